"""Pictures in and out: checking a provider's bytes really are an image, fitting it to the asked
size, and encoding PNG or JPEG labelled with where the picture came from."""

from __future__ import annotations

import base64
import binascii
import io
import warnings

from PIL import Image, PngImagePlugin, UnidentifiedImageError

from contracts.errors import ApiError
from contracts.image import ImageFormat

# A provider answer bigger than this is refused before decoding (a 4K image is 8.3 MP).
MAX_DECODED_PIXELS = 40_000_000
EXIF_SOFTWARE = 0x0131
EXIF_DESCRIPTION = 0x010E
CONTENT_TYPES: dict[str, str] = {"png": "image/png", "jpeg": "image/jpeg"}
EXTENSIONS: dict[str, str] = {"png": "png", "jpeg": "jpg"}


def decode_base64(text: object, label: str) -> bytes:
    """Base64 text (optionally a data: URL) as bytes, or a 502 naming the provider."""
    if not isinstance(text, str) or not text:
        raise ApiError(502, f"{label} sent no image data")
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(502, f"{label} sent image data that is not valid base64") from None


def open_image(data: bytes, label: str) -> Image.Image:
    """Verify and decode a provider's image bytes into RGB, or a 502: never store a non-image."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                width, height = probe.size
                if width * height > MAX_DECODED_PIXELS:
                    raise ApiError(502, f"{label} sent an image too large to handle")
                probe.verify()
            # verify() leaves the file unusable: decode from a fresh handle.
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                return image.convert("RGB")
    except ApiError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ApiError(502, f"{label} sent data that is not a readable image") from None
    except Image.DecompressionBombWarning:
        raise ApiError(502, f"{label} sent an image too large to handle") from None


def fit(image: Image.Image, width: int, height: int) -> Image.Image:
    """Scale to cover width x height and crop the middle: exactly the size that was asked."""
    if image.size == (width, height):
        return image
    scale = max(width / image.width, height / image.height)
    scaled_w, scaled_h = (
        max(width, round(image.width * scale)),
        max(height, round(image.height * scale)),
    )
    resized = image.resize((scaled_w, scaled_h), Image.Resampling.LANCZOS)
    left, top = (scaled_w - width) // 2, (scaled_h - height) // 2
    return resized.crop((left, top, left + width, top + height))


def encode(
    image: Image.Image, fmt: ImageFormat, *, software: str, description: str, jpeg_quality: int
) -> bytes:
    """PNG or JPEG bytes carrying honest provenance (PNG text chunks, JPEG EXIF)."""
    out = io.BytesIO()
    if fmt == "png":
        info = PngImagePlugin.PngInfo()
        info.add_text("Software", software)
        info.add_text("Description", description)
        # Level 3 is much faster than the default 6 for files only slightly larger.
        image.save(out, "PNG", pnginfo=info, compress_level=3)
    else:
        exif = Image.Exif()
        exif[EXIF_SOFTWARE] = software
        exif[EXIF_DESCRIPTION] = description
        image.save(out, "JPEG", quality=jpeg_quality, exif=exif, optimize=False)
    return out.getvalue()
