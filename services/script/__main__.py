"""`python -m services.script`: serve on SCRIPT_HOST:SCRIPT_PORT (default 127.0.0.1:8001)."""

from __future__ import annotations

import uvicorn

from services.script.settings import ScriptSettings


def main() -> None:
    settings = ScriptSettings()
    uvicorn.run(
        "services.script.app:build_app",
        factory=True,
        host=settings.script_host,
        port=settings.script_port,
        log_config=None,
    )


if __name__ == "__main__":
    main()
