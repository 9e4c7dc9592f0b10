"""The image service: draws one picture per scene prompt and stores it, alone or in batches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from contracts.avatars import AvatarsResponse
from contracts.image import (
    GenerateBatchRequest,
    GenerateBatchResponse,
    GeneratedImage,
    GenerateImageRequest,
)
from runtime.app import create_app
from runtime.logs import configure_logging
from runtime.storage import build_storage
from services.image.avatars import AvatarShelf
from services.image.generate import ImageGenerator
from services.image.picture import CONTENT_TYPES
from services.image.providers import build_provider
from services.image.settings import ImageSettings

VERSION = "0.1.0"


def _generator(request: Request) -> ImageGenerator:
    generator: ImageGenerator = request.app.state.generator
    return generator


def build_app(settings: ImageSettings | None = None) -> FastAPI:
    settings = settings or ImageSettings()
    configure_logging("image", settings.log_level)
    shelf = AvatarShelf(build_storage(settings))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        provider = build_provider(settings)
        app.state.generator = ImageGenerator(
            provider,
            build_storage(settings),
            concurrency=settings.concurrency,
            deadline_seconds=settings.image_provider_deadline_seconds,
            jpeg_quality=settings.image_jpeg_quality,
        )
        try:
            yield
        finally:
            await provider.aclose()

    def health(request: Request) -> dict[str, object]:
        provider = _generator(request).provider
        return {
            "provider": provider.name,
            "model": provider.model,
            "concurrency": settings.concurrency,
        }

    app = create_app(
        name="image",
        version=VERSION,
        description="Draws one picture per scene prompt and stores it; answers storage keys.",
        max_body_bytes=settings.max_body_bytes,
        service_tokens=settings.service_token_values(),
        lifespan=lifespan,
        health_details=health,
    )

    @app.post("/avatars", response_model=AvatarsResponse)
    async def avatars() -> AvatarsResponse:
        """The presenter avatars and their poses' keys, drawn and stored on first call."""
        return await shelf.avatars()

    @app.post("/generate", response_model=GeneratedImage)
    async def generate(body: GenerateImageRequest, request: Request) -> GeneratedImage:
        """One picture for `prompt` in `style`, at `aspect_ratio` or `width` x `height`."""
        return await _generator(request).one(body)

    @app.post("/generate-batch", response_model=GenerateBatchResponse)
    async def generate_batch(body: GenerateBatchRequest, request: Request) -> GenerateBatchResponse:
        """One picture per prompt; each result has a key or an error. All failed: 5xx."""
        generator = _generator(request)
        results = await generator.batch(body)
        width, height = body.dimensions()
        succeeded = sum(1 for r in results if r.key is not None)
        return GenerateBatchResponse(
            images=results,
            provider=generator.provider.name,
            model=generator.provider.model,
            style=body.style,
            width=width,
            height=height,
            content_type=CONTENT_TYPES[body.format],
            succeeded=succeeded,
            failed=len(results) - succeeded,
        )

    return app
