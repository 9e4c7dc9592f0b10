"""The checks are defined once: `make test` is `make lint` then pytest, and the pre-commit hooks
run exactly `make lint`'s commands; `make test-fast` leaves out the marked tests."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def recipe(target: str) -> list[str]:
    """The commands `make` would run for `target`, the environment taken as installed."""
    done = subprocess.run(
        # --no-print-directory: under a parent make (as `make test` runs this) make announces
        # the directory it enters, which is not a command.
        ["make", "--no-print-directory", "-n", "-o", ".venv/.synced", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in done.stdout.splitlines() if line.strip()]


def test_make_test_is_make_lint_then_the_whole_suite() -> None:
    lint = recipe("lint")
    assert lint == [".venv/bin/ruff check .", ".venv/bin/ruff format --check .", ".venv/bin/mypy"]
    assert recipe("test") == [*lint, ".venv/bin/pytest"]


def test_pre_commit_hooks_run_the_lint_commands() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    (repo,) = config["repos"]
    assert repo["repo"] == "local"
    hooks = repo["hooks"]
    assert all(hook["language"] == "system" and not hook["pass_filenames"] for hook in hooks)
    assert [hook["entry"] for hook in hooks] == recipe("lint")


def test_test_fast_leaves_out_slow_and_e2e_tests() -> None:
    (command,) = recipe("test-fast")
    assert shlex.split(command) == [".venv/bin/pytest", "-m", "not slow and not e2e"]


def test_process_level_modules_are_left_out_of_test_fast() -> None:
    modules = ["test_job_faults", "test_studio_up", "test_pipeline", "test_schemathesis"]
    collected = subprocess.run(
        [".venv/bin/pytest", "--collect-only", "-q", "-m", "not slow and not e2e",
         *(f"tests/{module}.py" for module in modules)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )  # fmt: skip
    # Exit code 5: every test of those modules was deselected, none collected.
    assert collected.returncode == 5, collected.stdout
