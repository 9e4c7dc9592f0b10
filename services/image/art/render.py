"""Entry point of the procedural renderer: prompt, style and size in, Pillow image out."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from services.image.art.canvas import LOOKS, Canvas
from services.image.art.compose import compose
from services.image.art.finish import FINISHERS
from services.image.art.palette import palette_for
from services.image.art.plan import plan_scene

# Above about 1080p the scene is painted at 1080p and scaled up: detail would not improve,
# time and memory would.
WORK_PIXELS = 1920 * 1080


def render(
    prompt: str, style: str, width: int, height: int, seed: int | None = None
) -> Image.Image:
    """Deterministic: the same prompt, style, size and seed always give the same pixels."""
    plan = plan_scene(prompt, seed)
    scale = min(1.0, math.sqrt(WORK_PIXELS / (width * height)))
    work_w, work_h = max(64, round(width * scale)), max(64, round(height * scale))
    canvas = Canvas(work_w, work_h, LOOKS[style])
    compose(canvas, plan, palette_for(plan, canvas.look))
    rgb = FINISHERS[style](canvas, plan.rng("finish"))
    pixels = (np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    image = Image.fromarray(pixels, "RGB")
    if (work_w, work_h) != (width, height):
        image = image.resize((width, height), Image.Resampling.LANCZOS)
    return image
