"""`studio up` (what `make run` runs): the whole stack starts, serves, survives a crashed
process, and stops on Ctrl-C in order."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from studio.stack import busy_ports
from tests.support import free_block, free_port, wait_until_ready

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STUDIO = str(Path(sys.executable).with_name("studio"))


class Up:
    """A `studio up` child process whose output is read as it comes."""

    def __init__(self, data_dir: Path) -> None:
        self.port, self.mongo_port, self.redis_port = free_block(6), free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URL", "REDIS_URL")}
        self.proc = subprocess.Popen(
            [STUDIO, "up", "--port", str(self.port), "--mongo-port", str(self.mongo_port),
             "--redis-port", str(self.redis_port), "--data-dir", str(data_dir)],
            env=env,
            cwd=data_dir.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 60, after: int = 0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines[after:]:
                if match := re.search(pattern, line):
                    return match
            assert self.proc.poll() is None, f"studio up exited:\n{self.output}"
            time.sleep(0.1)
        raise AssertionError(f"no line matching {pattern!r} in {timeout} s:\n{self.output}")

    def pid(self, name: str, after: int = 0) -> int:
        return int(self.wait_for(rf"studio +\| (?:re)?started {name} .*pid (\d+)", after=after)[1])

    def ports(self) -> list[int]:
        return [*range(self.port, self.port + 6), self.mongo_port, self.redis_port]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        self.reader.join(5)
        return code


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    stack = Up(tmp_path / "data")
    yield stack
    if stack.proc.poll() is None:
        stack.stop()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too; it is reaped by its parent.
    return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()


def test_up_serves_the_app_with_redis_worker_and_beat_then_stops_in_order(
    up: Up, tmp_path: Path
) -> None:
    wait_until_ready(up.base, up.proc)
    assert httpx.get(f"{up.base}/projects").json() == []
    created = httpx.post(f"{up.base}/projects", json={"title": "from studio up"}).json()
    assert httpx.get(f"{up.base}/projects/{created['id']}").json()["title"] == "from studio up"
    assert (tmp_path / "data" / "mongo").is_dir()
    # The embedded Redis persists (append-only) next to the database, on loopback.
    up.wait_for(rf"started redis on port {up.redis_port}")
    assert list((tmp_path / "data" / "redis").glob("appendonly*"))
    # The Celery worker consumes the job queues, beat schedules the sweep, which a worker picks up.
    up.wait_for(r"worker +\| .*celery@\S+ ready")
    up.wait_for(r"beat +\| .*Sending due task studio\.sweep", timeout=60)
    up.wait_for(r"worker +\| .*Task studio\.sweep\[\S+\] received", timeout=30)
    assert (tmp_path / "data" / "celerybeat-schedule").exists() or list(
        (tmp_path / "data").glob("celerybeat-schedule*")
    )
    # The services answer only their gateway: it holds this run's service token.
    # The app's YouTube calls answer on their own port (8005 by default) from the same code.
    youtube = httpx.get(f"http://127.0.0.1:{up.port + 5}/auth/status")
    assert youtube.json() == {
        "is_authenticated": False,
        "configured": False,
        "youtube_channel_id": None,
    }
    refused = httpx.post(f"http://127.0.0.1:{up.port + 1}/description/generate", json={})
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Missing service token"
    worker = up.pid("worker")
    assert up.stop() == 0, up.output
    assert "stopping" in up.output
    stopped = [re.search(r"studio +\| stopped (\w+)", line) for line in up.lines]
    order = [m[1] for m in stopped if m]
    assert set(order) == {"mongo", "redis", "script", "audio", "image", "video", "gateway",
                          "youtube", "worker", "beat"}  # fmt: skip
    # Workers first (warm shutdown), then the gateways, the services, Redis, MongoDB last.
    assert set(order[:2]) == {"worker", "beat"}
    assert set(order[2:4]) == {"gateway", "youtube"}
    assert order[-2:] == ["redis", "mongo"]
    assert "Warm shutdown" in up.output
    assert "killed" not in " ".join(line for line in up.lines if "stopped" in line)
    assert not alive(worker)
    assert busy_ports("127.0.0.1", up.ports()) == []


def test_a_crashed_service_or_worker_is_restarted_not_the_end_of_the_stack(up: Up) -> None:
    wait_until_ready(up.base, up.proc)
    # Supervision starts once studio says ready (every HTTP process answered, the YouTube port
    # too); a crash before that is a failed start-up, which ends the stack by design.
    up.wait_for(r"studio +\| ready: ")
    script_url = f"http://127.0.0.1:{up.port + 1}/health"
    # kill -9 a service: it is restarted (after the first backoff) and answers again.
    old = up.pid("script")
    mark = len(up.lines)
    os.kill(old, signal.SIGKILL)
    up.wait_for(r"studio +\| script exited \(killed by SIGKILL\); restarting in 1 s", after=mark)
    new = up.pid("script", after=mark)
    assert new != old
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(script_url, timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"script did not answer again:\n{up.output}"
        time.sleep(0.2)
    # The gateway reaches it again: a generation route goes through.
    project = httpx.post(f"{up.base}/projects", json={"title": "after a crash"}).json()
    written = httpx.post(f"{up.base}/scripts/{project['id']}", json={}, timeout=60)
    assert written.status_code < 300, written.text
    # kill -9 the Celery worker's main process: its pool children go with it, and a new worker
    # comes up and consumes again.
    up.wait_for(r"worker +\| .*celery@\S+ ready")
    old = up.pid("worker")
    children = [
        int(pid)
        for pid in subprocess.run(
            ["pgrep", "-P", str(old)], capture_output=True, text=True, check=False
        ).stdout.split()
    ]
    mark = len(up.lines)
    os.kill(old, signal.SIGKILL)
    up.wait_for(r"studio +\| worker exited \(killed by SIGKILL\); restarting in 1 s", after=mark)
    new = up.pid("worker", after=mark)
    assert new != old
    up.wait_for(r"worker +\| .*celery@\S+ ready", after=mark)
    assert children
    assert not any(alive(child) for child in children)
    up.wait_for(r"worker +\| .*Task studio\.sweep\[\S+\] received", after=mark, timeout=40)
    assert up.stop() == 0, up.output
    assert busy_ports("127.0.0.1", up.ports()) == []


def test_a_port_in_use_is_a_clear_message_not_a_traceback(tmp_path: Path) -> None:
    port = free_block(6)
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", port + 2))
        blocker.listen()
        env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URL", "REDIS_URL")}
        proc = subprocess.run(
            [STUDIO, "up", "--port", str(port), "--mongo-port", str(free_port()),
             "--redis-port", str(free_port()), "--data-dir", str(tmp_path / "data")],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1
    assert f"port(s) {port + 2} on 127.0.0.1 already in use" in output
    assert "Traceback" not in output
