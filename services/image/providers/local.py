"""The offline default: procedural scene art drawn with numpy and Pillow, no model involved."""

from __future__ import annotations

import asyncio

from PIL import Image

from contracts.image import Provider
from services.image.art.render import render
from services.image.providers.base import ImageJob


class LocalProvider:
    name: Provider = "local"
    model: str | None = "procedural-scene-art"

    async def draw(self, job: ImageJob) -> Image.Image:
        # CPU-bound numpy work: off the event loop (numpy and Pillow release the GIL).
        return await asyncio.to_thread(
            render, job.prompt, job.style, job.width, job.height, job.seed
        )

    async def aclose(self) -> None:
        return None
