# The README's two commands: `make run` and `make test`. Both need only Python 3.11+:
# uv is bootstrapped into .tools from PyPI, then installs the locked environment into .venv.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test test-fast lint bench openapi clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON) --quiet
	touch $@

run: $(VENV)/.synced
	$(VENV)/bin/studio up

# The checks, defined once: `make test` runs them before the tests, and .pre-commit-config.yaml
# runs the same commands.
lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/pytest

# The inner loop: no checks, and neither the tests that start whole processes nor the long ones.
test-fast: $(VENV)/.synced
	$(VENV)/bin/pytest -m "not slow and not e2e"

bench: $(VENV)/.synced
	$(VENV)/bin/python -m bench.gateway

openapi: $(VENV)/.synced
	$(VENV)/bin/studio openapi

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache
