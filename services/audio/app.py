"""The audio service: narration with word timings, the voice list, and subtitle files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Query

from contracts.audio import (
    Gender,
    GenerateRequest,
    GenerateResponse,
    SamplesRequest,
    SamplesResponse,
    SubtitlesRequest,
    SubtitlesResponse,
    VoicesResponse,
)
from contracts.project import Language
from runtime.app import create_app
from runtime.logs import configure_logging
from runtime.storage import build_storage
from services.audio.narration import Narrator
from services.audio.providers.factory import build_provider
from services.audio.samples import VoiceSamples
from services.audio.settings import AudioSettings
from services.audio.subtitles import Subtitler

VERSION = "0.1.0"


def build_app(settings: AudioSettings | None = None) -> FastAPI:
    settings = settings or AudioSettings()
    configure_logging("audio", settings.log_level)
    tts = build_provider(settings)
    storage = build_storage(settings)
    narrator = Narrator(tts, storage, settings.audio_max_concurrency)
    subtitler = Subtitler(storage)
    samples = VoiceSamples(tts, storage, settings.audio_max_concurrency)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await tts.start()
        try:
            yield
        finally:
            await tts.aclose()

    app = create_app(
        name="audio",
        version=VERSION,
        description="Narration (text to speech with word timings), voices, and subtitles.",
        max_body_bytes=settings.max_body_bytes,
        service_tokens=settings.service_token_values(),
        lifespan=lifespan,
        health_details=lambda _: {"provider": tts.name},
    )

    @app.get("/voices", response_model=VoicesResponse)
    async def voices(
        language: Language | None = Query(default=None),
        gender: Gender | None = Query(default=None),
    ) -> VoicesResponse:
        return VoicesResponse(
            voices=[
                v
                for v in tts.voices()
                if (language is None or v.language == language)
                and (gender is None or v.gender == gender)
            ]
        )

    @app.post("/voices/samples", response_model=SamplesResponse)
    async def voice_samples(request: SamplesRequest) -> SamplesResponse:
        """The voices with a short sample each, spoken on first request and kept."""
        return await samples.samples(request)

    @app.post("/generate", response_model=GenerateResponse)
    async def generate(request: GenerateRequest) -> GenerateResponse:
        return await narrator.generate(request)

    @app.post("/subtitles", response_model=SubtitlesResponse)
    async def subtitles(request: SubtitlesRequest) -> SubtitlesResponse:
        return await subtitler.write(request)

    return app
