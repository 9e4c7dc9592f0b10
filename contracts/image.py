"""HTTP contract of the image service (`services/image`), shared with the gateway.

`POST /generate` draws one picture, `POST /generate-batch` several; both write to the shared
storage and answer storage KEYS (`images/<uuid>/<n>.png`), never URLs: the gateway maps keys to
URLs. A size is an aspect ratio (default 16:9) or an explicit `width`/`height` (or `size: "WxH"`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from contracts.project import MAX_IMAGES, ImageStyle

AspectRatio = Literal["16:9", "9:16", "1:1", "4:5"]
ImageFormat = Literal["png", "jpeg"]
Provider = Literal["local", "openai", "stability", "automatic1111"]

# Pixel sizes per aspect ratio: about 1080p, every side a multiple of 8 like explicit sizes.
ASPECT_SIZES: dict[str, tuple[int, int]] = {
    "16:9": (1920, 1080),
    "9:16": (1080, 1920),
    "1:1": (1080, 1080),
    "4:5": (1088, 1360),
}
MIN_SIDE = 256
MAX_SIDE = 4096
# 4096x2160 (DCI 4K): bounds memory and time per image whatever the shape.
MAX_PIXELS = 4096 * 2160
MAX_PROMPT_CHARS = 4000
MAX_NEGATIVE_PROMPT_CHARS = 2000
MAX_BATCH_IMAGES = MAX_IMAGES
MAX_SEED = 4_294_967_294

Prompt = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_PROMPT_CHARS)
]
Side = Annotated[int, Field(ge=MIN_SIDE, le=MAX_SIDE, multiple_of=8)]


class ImageOptions(BaseModel):
    """What every request may say about the pictures besides their prompts."""

    style: ImageStyle = "realistic"
    aspect_ratio: AspectRatio = "16:9"
    width: Side | None = None
    height: Side | None = None
    negative_prompt: str = Field(default="", max_length=MAX_NEGATIVE_PROMPT_CHARS)
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED)
    format: ImageFormat = "png"

    @model_validator(mode="before")
    @classmethod
    def _size_string(cls, data: Any) -> Any:
        """`size: "1280x720"` (the OpenAI spelling) is the same as width and height."""
        if not isinstance(data, dict) or data.get("size") in (None, ""):
            return data
        size = data["size"]
        parts = size.lower().split("x") if isinstance(size, str) else []
        if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
            raise ValueError("size must look like 1920x1080")
        width, height = (int(p) for p in parts)
        if data.get("width") not in (None, width) or data.get("height") not in (None, height):
            raise ValueError("size disagrees with width/height")
        return {**data, "width": width, "height": height}

    @model_validator(mode="after")
    def _whole_size(self) -> ImageOptions:
        if (self.width is None) != (self.height is None):
            raise ValueError("give both width and height, or neither")
        if self.width and self.height and self.width * self.height > MAX_PIXELS:
            raise ValueError(f"width x height must not exceed {MAX_PIXELS} pixels")
        return self

    def dimensions(self) -> tuple[int, int]:
        if self.width and self.height:
            return self.width, self.height
        return ASPECT_SIZES[self.aspect_ratio]


class GenerateImageRequest(ImageOptions):
    prompt: Prompt


class BatchImage(BaseModel):
    # The app sends its image slots as they are: `{prompt, url}`; only the prompt matters here.
    model_config = ConfigDict(extra="ignore")

    prompt: Prompt


class GenerateBatchRequest(ImageOptions):
    images: list[BatchImage] = Field(min_length=1, max_length=MAX_BATCH_IMAGES)

    @model_validator(mode="before")
    @classmethod
    def _older_prompts(cls, data: Any) -> Any:
        """The integration guide's older shape `{prompts: [...], style}`."""
        if isinstance(data, dict) and "images" not in data:
            prompts = data.get("prompts")
            if isinstance(prompts, list):
                return {**data, "images": [{"prompt": p} for p in prompts]}
        return data


class GeneratedImage(BaseModel):
    key: str
    prompt: str
    provider: Provider
    model: str | None
    style: ImageStyle
    width: int
    height: int
    content_type: str
    bytes: int


class BatchImageResult(BaseModel):
    index: int
    prompt: str
    key: str | None
    error: str | None


class GenerateBatchResponse(BaseModel):
    images: list[BatchImageResult]
    provider: Provider
    model: str | None
    style: ImageStyle
    width: int
    height: int
    content_type: str
    succeeded: int
    failed: int
