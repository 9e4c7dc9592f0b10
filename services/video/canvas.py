"""Scene images fitted onto the motion canvas, once per render, with Pillow (blocking: call
these through asyncio.to_thread)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageEnhance, ImageFilter, ImageOps, UnidentifiedImageError

from contracts.video import Fit


class NotAnImage(ValueError):
    """The file is not an image Pillow can read, or it is too large to decode safely."""


def _open(src: Path, size: tuple[int, int], max_pixels: int) -> Image.Image:
    try:
        image: Image.Image = Image.open(src)
        if image.width * image.height > max_pixels:
            raise NotAnImage(f"{image.width}x{image.height} exceeds {max_pixels} pixels")
        # JPEG can decode at 1/2, 1/4 or 1/8 scale directly: far cheaper for huge photos.
        image.draft("RGB", size)
        image = ImageOps.exif_transpose(image)
        return image.convert("RGB")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
        raise NotAnImage(str(exc)) from exc


def fit_canvas(src: Path, dest: Path, size: tuple[int, int], fit: Fit, max_pixels: int) -> None:
    """Write the image fitted to `size` as PPM (raw RGB: nothing to decode per segment).

    cover: fills the canvas, cropping the overflow around the centre. contain: the whole
    image, centred over a blurred, darkened cover-fit of itself, so a portrait picture keeps
    all its height in a landscape video instead of losing two thirds of it."""
    image = _open(src, size, max_pixels)
    if fit == "cover":
        canvas = ImageOps.fit(image, size, Image.Resampling.LANCZOS)
    else:
        # The fill is blurred anyway: build it at 1/8 scale, then enlarge it.
        small = (max(1, size[0] // 8), max(1, size[1] // 8))
        fill = ImageOps.fit(image, small, Image.Resampling.BILINEAR)
        fill = fill.filter(ImageFilter.GaussianBlur(max(2, small[0] // 40)))
        canvas = ImageEnhance.Brightness(fill.resize(size, Image.Resampling.BILINEAR)).enhance(0.55)
        front = ImageOps.contain(image, size, Image.Resampling.LANCZOS)
        canvas.paste(front, ((size[0] - front.width) // 2, (size[1] - front.height) // 2))
    canvas.save(dest, format="PPM")


def fit_picture(
    src: Path, dest: Path, box: tuple[int, int], opacity: float, max_pixels: int
) -> tuple[int, int]:
    """Write an overlay picture (a logo, an avatar pose) as RGBA PNG, kept in proportion and
    as large as fits `box`, its opacity multiplied in; return its size."""
    try:
        image: Image.Image = Image.open(src)
        if image.width * image.height > max_pixels:
            raise NotAnImage(f"{image.width}x{image.height} exceeds {max_pixels} pixels")
        image = ImageOps.exif_transpose(image).convert("RGBA")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
        raise NotAnImage(str(exc)) from exc
    picture = ImageOps.contain(image, (max(2, box[0]), max(2, box[1])), Image.Resampling.LANCZOS)
    if opacity < 1:
        alpha = picture.getchannel("A").point(lambda a: round(a * opacity))
        picture.putalpha(alpha)
    picture.save(dest, format="PNG", compress_level=1)
    return picture.size
