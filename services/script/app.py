"""The script service: writes narration scripts split into scenes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from contracts.script import DescriptionRequest, DescriptionResponse, ScriptRequest, ScriptResponse
from runtime.app import create_app
from runtime.logs import configure_logging
from services.script import phrasebook, prompts
from services.script.generate import generate_description, generate_script
from services.script.providers import build_writer
from services.script.settings import ScriptSettings
from services.script.writer import ScriptWriter

VERSION = "0.2.0"


def _writer(request: Request) -> ScriptWriter:
    writer: ScriptWriter = request.app.state.writer
    return writer


def build_app(settings: ScriptSettings | None = None) -> FastAPI:
    settings = settings or ScriptSettings()
    configure_logging("script", settings.log_level)
    # A broken phrasebook or prompt file stops start-up rather than failing a request later.
    phrasebook.load_all()
    prompts.load_all()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.writer = build_writer(settings)
        try:
            yield
        finally:
            await app.state.writer.aclose()

    def health(_: Request) -> dict[str, str]:
        details: dict[str, str] = {"provider": settings.script_provider}
        if settings.script_provider == "openai":
            details["model"] = settings.script_openai_model
        return details

    app = create_app(
        name="script",
        version=VERSION,
        description="Writes narration scripts split into scenes.",
        max_body_bytes=settings.max_body_bytes,
        service_tokens=settings.service_token_values(),
        lifespan=lifespan,
        health_details=health,
    )

    @app.post("/generate", response_model=ScriptResponse)
    async def generate(body: ScriptRequest, request: Request) -> ScriptResponse:
        """A script of exactly `nb_section` scenes, sized to `duration` seconds."""
        return await generate_script(_writer(request), body)

    @app.post("/description/generate", response_model=DescriptionResponse)
    async def describe(body: DescriptionRequest, request: Request) -> DescriptionResponse:
        """A short paragraph saying what the video will be about."""
        return await generate_description(_writer(request), body)

    return app
