"""A self-hosted Stable Diffusion web UI (Automatic1111) API: `POST {base}/sdapi/v1/txt2img`.

JSON in ({prompt, negative_prompt, width, height, steps, ...}), JSON out ({images: [base64]}).
"""

from __future__ import annotations

import asyncio
from typing import Any

from PIL import Image

from contracts.errors import ApiError
from contracts.image import Provider
from runtime.upstream import ProviderHttp
from services.image.picture import decode_base64, open_image
from services.image.providers.base import ImageJob


def render_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The asked shape scaled to fit `max_side`, both sides multiples of 8 as SD requires."""
    scale = min(1.0, max_side / max(width, height))
    return max(64, round(width * scale / 8) * 8), max(64, round(height * scale / 8) * 8)


class Automatic1111Provider:
    name: Provider = "automatic1111"
    model: str | None = "stable-diffusion"

    def __init__(
        self,
        http: ProviderHttp,
        *,
        base_url: str,
        steps: int,
        cfg_scale: float,
        max_side: int,
        auth: tuple[str, str] | None,
    ) -> None:
        self.http = http
        self.url = base_url.rstrip("/") + "/sdapi/v1/txt2img"
        self.steps = steps
        self.cfg_scale = cfg_scale
        self.max_side = max_side
        self.auth = auth

    async def draw(self, job: ImageJob) -> Image.Image:
        width, height = render_size(job.width, job.height, self.max_side)
        body: dict[str, Any] = {
            "prompt": job.styled_prompt(),
            "negative_prompt": job.negative_prompt,
            "width": width,
            "height": height,
            "steps": self.steps,
            "cfg_scale": self.cfg_scale,
            "seed": -1 if job.seed is None else job.seed,
            "batch_size": 1,
            "n_iter": 1,
        }
        extra: dict[str, Any] = {"auth": self.auth} if self.auth else {}
        answer = await self.http.request("POST", self.url, json=body, **extra)
        images = self.http.json(answer).get("images")
        if not isinstance(images, list) or not images:
            raise ApiError(502, f"{self.http.label} answered without an image")
        data = decode_base64(images[0], self.http.label)
        return await asyncio.to_thread(open_image, data, self.http.label)

    async def aclose(self) -> None:
        await self.http.client.aclose()
