"""OpenAI Images API: `POST {base}/images/generations` answering base64 or a URL."""

from __future__ import annotations

import asyncio
from typing import Any

from PIL import Image

from contracts.errors import ApiError
from contracts.image import Provider
from runtime.upstream import ProviderHttp
from services.image.picture import decode_base64, open_image
from services.image.providers.base import ImageJob

# The sizes each model family accepts: (landscape, portrait, square).
SIZES: dict[str, tuple[str, str, str]] = {
    "gpt-image": ("1536x1024", "1024x1536", "1024x1024"),
    "dall-e-3": ("1792x1024", "1024x1792", "1024x1024"),
    "dall-e-2": ("1024x1024", "1024x1024", "1024x1024"),
}


def size_for(model: str, width: int, height: int) -> str:
    family = next((f for f in SIZES if model.startswith(f)), "gpt-image")
    landscape, portrait, square = SIZES[family]
    if width > height * 1.15:
        return landscape
    if height > width * 1.15:
        return portrait
    return square


class OpenAIProvider:
    name: Provider = "openai"

    def __init__(
        self, http: ProviderHttp, *, api_key: str, base_url: str, model: str, quality: str | None
    ) -> None:
        self.http = http
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.model: str | None = model
        self.quality = quality

    async def draw(self, job: ImageJob) -> Image.Image:
        model = self.model or "gpt-image-1"
        prompt = job.styled_prompt()
        if job.negative_prompt:
            prompt += f" Avoid: {job.negative_prompt}."
        body: dict[str, Any] = {
            "model": model,
            "prompt": prompt,
            "n": 1,
            "size": size_for(model, job.width, job.height),
        }
        if model.startswith("dall-e"):
            # gpt-image models always answer base64 and refuse this field.
            body["response_format"] = "b64_json"
        if self.quality:
            body["quality"] = self.quality
        answer = await self.http.request(
            "POST",
            f"{self.base_url}/images/generations",
            headers={"Authorization": f"Bearer {self.api_key}"},
            json=body,
        )
        data = await self._image_bytes(self.http.json(answer))
        return await asyncio.to_thread(open_image, data, self.http.label)

    async def _image_bytes(self, payload: dict[str, Any]) -> bytes:
        items = payload.get("data")
        item = items[0] if isinstance(items, list) and items else None
        if not isinstance(item, dict):
            raise ApiError(502, f"{self.http.label} answered without an image")
        if item.get("b64_json"):
            return decode_base64(item["b64_json"], self.http.label)
        url = item.get("url")
        if isinstance(url, str) and url.startswith("https://"):
            return (await self.http.request("GET", url)).content
        raise ApiError(502, f"{self.http.label} answered without an image")

    async def aclose(self) -> None:
        await self.http.client.aclose()
