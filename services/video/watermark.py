"""The watermark drawn on a video: its text on a translucent plate, as a PNG that FFmpeg
overlays on every frame (Pillow, blocking: call it through asyncio.to_thread)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

# Legible on any picture without hiding it: white text at 80%, on black at 40%.
TEXT = (255, 255, 255, 204)
PLATE = (0, 0, 0, 102)


def watermark_image(text: str, frame: tuple[int, int], dest: Path) -> None:
    """The text sized to the frame (a 24th of its height), padded, as an RGBA PNG."""
    font_px = max(12, frame[1] // 24)
    font = ImageFont.load_default(size=font_px)
    left, top, right, bottom = ImageDraw.Draw(Image.new("RGBA", (1, 1))).textbbox(
        (0, 0), text, font=font
    )
    pad = max(4, font_px // 3)
    width = min(round(right - left) + 2 * pad, frame[0] // 2)
    image = Image.new("RGBA", (width, round(bottom - top) + 2 * pad), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, image.width - 1, image.height - 1), radius=pad, fill=PLATE)
    draw.text((pad - left, pad - top), text, font=font, fill=TEXT)
    image.save(dest, format="PNG")
