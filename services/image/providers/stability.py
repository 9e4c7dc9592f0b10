"""Stability AI Stable Image Core: `POST {base}/v2beta/stable-image/generate/core`.

A multipart form in, the image bytes out (`Accept: image/*`); errors come back as JSON.
"""

from __future__ import annotations

import asyncio

from PIL import Image

from contracts.errors import ApiError
from contracts.image import Provider
from runtime.upstream import ProviderHttp
from services.image.picture import open_image
from services.image.providers.base import ImageJob

PATH = "/v2beta/stable-image/generate/core"
ASPECT_RATIOS: dict[str, float] = {
    "21:9": 21 / 9,
    "16:9": 16 / 9,
    "3:2": 3 / 2,
    "5:4": 5 / 4,
    "1:1": 1.0,
    "4:5": 4 / 5,
    "2:3": 2 / 3,
    "9:16": 9 / 16,
    "9:21": 9 / 21,
}
# Stability's own presets where one matches a style; the rest is said in the prompt.
PRESETS: dict[str, str] = {
    "realistic": "photographic",
    "pixar": "3d-model",
    "anime": "anime",
    "flat_design": "digital-art",
    "sketch": "line-art",
}


def aspect_ratio_for(width: int, height: int) -> str:
    ratio = width / height
    return min(ASPECT_RATIOS, key=lambda name: abs(ASPECT_RATIOS[name] - ratio))


class StabilityProvider:
    name: Provider = "stability"
    model: str | None = "stable-image-core"

    def __init__(self, http: ProviderHttp, *, api_key: str, base_url: str) -> None:
        self.http = http
        self.api_key = api_key
        self.url = base_url.rstrip("/") + PATH

    async def draw(self, job: ImageJob) -> Image.Image:
        form = {
            "prompt": job.styled_prompt(),
            "aspect_ratio": aspect_ratio_for(job.width, job.height),
            "output_format": "png",
        }
        if job.style in PRESETS:
            form["style_preset"] = PRESETS[job.style]
        if job.negative_prompt:
            form["negative_prompt"] = job.negative_prompt
        if job.seed is not None:
            form["seed"] = str(job.seed)
        answer = await self.http.request(
            "POST",
            self.url,
            headers={"Authorization": f"Bearer {self.api_key}", "Accept": "image/*"},
            # Fields with no file name: httpx sends multipart/form-data, as the API requires.
            files={name: (None, value) for name, value in form.items()},
        )
        if answer.headers.get("finish-reason", "SUCCESS").upper() == "CONTENT_FILTERED":
            raise ApiError(502, f"{self.http.label} filtered the image (CONTENT_FILTERED)")
        return await asyncio.to_thread(open_image, answer.content, self.http.label)

    async def aclose(self) -> None:
        await self.http.client.aclose()
