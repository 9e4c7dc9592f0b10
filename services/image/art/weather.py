"""Weather over a finished scene: rain streaks, snowflakes, ground fog."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from services.image.art.canvas import Canvas
from services.image.art.palette import Palette
from services.image.art.plan import Plan
from services.image.art.primitives import smoothstep, value_noise


def _strokes(c: Canvas) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    layer = Image.new("L", (c.width, c.height), 0)
    return layer, ImageDraw.Draw(layer)


def weather(
    c: Canvas, plan: Plan, palette: Palette, horizon: float, rng: np.random.Generator
) -> None:
    area = c.width * c.height / 2_073_600
    if plan.weather == "rain":
        layer, draw = _strokes(c)
        length, slant = c.px(38), c.px(9)
        for _ in range(int(900 * area)):
            x, y = float(rng.uniform(-slant, c.width)), float(rng.uniform(-length, c.height))
            draw.line(
                (x, y, x + slant, y + length),
                fill=int(rng.integers(90, 200)),
                width=max(1, round(c.px(1.5))),
            )
        alpha = np.asarray(layer, np.float32) / 255 * 0.45
        c.blend(0, 0, alpha, (0.78, 0.82, 0.88), outline=False)
    elif plan.weather == "snow":
        layer, draw = _strokes(c)
        for _ in range(int(700 * area)):
            x, y = float(rng.uniform(0, c.width)), float(rng.uniform(0, c.height))
            r = c.px(float(rng.uniform(1.5, 5.0)))
            draw.ellipse((x - r, y - r, x + r, y + r), fill=int(rng.integers(150, 255)))
        c.blend(0, 0, np.asarray(layer, np.float32) / 255 * 0.9, (0.97, 0.98, 1.0), outline=False)
    elif plan.weather == "fog":
        banks = value_noise(rng, c.width, c.height, c.px(500), c.px(120), octaves=3)
        ys = np.arange(c.height, dtype=np.float32)[:, None]
        profile = np.exp(-(((ys - horizon) / (c.height * 0.22)) ** 2))
        density = smoothstep(0.25, 0.75, banks) * profile * 0.75
        if c.look.flat or c.look.bands:
            density = np.round(density * 3) / 3
        fog = palette.lit((0.86, 0.88, 0.9), 0.5)
        c.blend(0, 0, density.astype(np.float32), fog, outline=False)
