"""The script service: writes narration scripts split into scenes."""

from __future__ import annotations

from fastapi import FastAPI

from contracts.app import Health, create_app
from contracts.logs import configure_logging
from services.script.settings import ScriptSettings

VERSION = "0.1.0"


def build_app(settings: ScriptSettings | None = None) -> FastAPI:
    settings = settings or ScriptSettings()
    configure_logging("script", settings.log_level)
    app = create_app(
        name="script",
        version=VERSION,
        description="Writes narration scripts split into scenes.",
        max_body_bytes=settings.max_body_bytes,
    )

    @app.get("/health", response_model=Health)
    async def health() -> Health:
        return Health(
            status="ok",
            service="script",
            version=VERSION,
            details={"provider": settings.script_provider},
        )

    return app
