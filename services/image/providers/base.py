"""The one interface every image provider implements, and what a provider is asked for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from PIL import Image

from contracts.image import Provider
from contracts.project import ImageStyle

# How a style is described to a model that takes words (cloud and Stable Diffusion providers).
STYLE_PHRASES: dict[str, str] = {
    "realistic": "photorealistic, natural light, detailed, high quality photograph",
    "pixar": "3D animated film still, Pixar style, soft rounded shapes, warm lighting",
    "anime": "anime illustration, cel shading, bold outlines, vivid colours",
    "flat_design": "flat design vector illustration, simple shapes, no gradients",
    "watercolor": "watercolor painting, soft washes, visible paper texture",
    "oil_painting": "oil painting, visible brush strokes, canvas texture",
    "sketch": "pencil sketch, graphite lines and hatching on paper, monochrome",
}


@dataclass(frozen=True)
class ImageJob:
    prompt: str
    style: ImageStyle
    width: int
    height: int
    negative_prompt: str = ""
    seed: int | None = None

    def styled_prompt(self) -> str:
        return f"{self.prompt.rstrip('. ')}. {STYLE_PHRASES[self.style]}."


class ImageProvider(Protocol):
    name: Provider
    model: str | None

    async def draw(self, job: ImageJob) -> Image.Image:
        """An RGB picture for the job; any size (the caller fits it), any failure an ApiError."""
        ...

    async def aclose(self) -> None: ...
