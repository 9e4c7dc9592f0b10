"""`python -m services.script`: serve on SCRIPT_HOST:SCRIPT_PORT (default 127.0.0.1:8001)."""

from __future__ import annotations

from runtime.app import run
from services.script.settings import ScriptSettings


def main() -> None:
    settings = ScriptSettings()
    run("services.script.app:build_app", host=settings.script_host, port=settings.script_port)


if __name__ == "__main__":
    main()
