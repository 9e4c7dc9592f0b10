"""Skies: the gradient, the sun or moon with its glow, stars and clouds."""

from __future__ import annotations

import numpy as np

from services.image.art.canvas import RGB, Canvas
from services.image.art.palette import Palette
from services.image.art.plan import Plan
from services.image.art.primitives import F32, gradient, mix, smoothstep, value_noise


def paint_sky(c: Canvas, palette: Palette, horizon: float) -> None:
    t = np.clip(np.arange(c.height, dtype=np.float32) / horizon, 0.0, 1.0)
    if c.look.flat:
        t = np.floor(t * 5) / 5  # flat design: bands of flat colour instead of a gradient
    c.rgb[:] = gradient(palette.sky, t)[:, None, :]


def paint_light(
    c: Canvas, plan: Plan, palette: Palette, horizon: float, rng: np.random.Generator
) -> tuple[float, float]:
    """Sun (or moon at night) with its glow; returns its centre for reflections and shading."""
    sx = c.width * float(rng.uniform(0.18, 0.82))
    if plan.time == "day":
        sy = horizon * float(rng.uniform(0.2, 0.45))
    elif plan.time == "night":
        sy = horizon * float(rng.uniform(0.15, 0.4))
    else:
        sy = horizon - c.height * float(rng.uniform(0.03, 0.12))
    radius = c.px(
        float(rng.uniform(34, 52)) if plan.time != "night" else float(rng.uniform(30, 44))
    )
    hidden = plan.weather in ("rain", "fog") or (plan.weather == "cloudy" and plan.time == "day")
    rows = int(min(c.height, horizon + c.px(40)))
    xs = c.x[None, :]
    ys = np.arange(rows, dtype=np.float32)[:, None]
    distance = np.hypot(xs - sx, ys - sy).astype(np.float32)
    glow_colour = np.asarray(palette.sun, np.float32)
    strength = {"day": 0.35, "golden": 0.75, "dawn": 0.55, "night": 0.18}[plan.time]
    if hidden:
        strength *= 0.5
    reach = c.px(260 if plan.time in ("golden", "dawn") else 150)
    if c.look.flat:
        # Flat design: two flat halo rings instead of a soft glow.
        for ring, amount in ((2.6, 0.12), (1.7, 0.16)):
            c.blend(0, 0, c.coverage(distance - radius * ring) * amount, palette.sun, outline=False)
    else:
        glow = strength * np.exp(-distance / reach)
        c.add_light(0, glow[..., None] * glow_colour)
    if hidden:
        return sx, sy
    disc = c.coverage(distance - radius)
    # The disc is the brightest thing in the sky, paler than its own glow.
    c.blend(0, 0, disc, mix(palette.sun, (1.0, 1.0, 0.97), 0.55))
    if plan.time == "night" and not c.look.flat:
        # Moon seas: a few darker blotches inside the disc.
        blotches = value_noise(rng, c.width, rows, c.px(18), octaves=2)
        shade = disc * smoothstep(0.55, 0.75, blotches) * 0.18
        c.blend(0, 0, shade, (0.55, 0.58, 0.68), outline=False)
    return sx, sy


def paint_stars(c: Canvas, horizon: float, rng: np.random.Generator, density: float = 1.0) -> None:
    count = int(500 * density * c.width * c.height / 2_073_600)
    xs = rng.integers(0, c.width, count)
    ys = (rng.random(count) ** 1.4 * horizon * 0.92).astype(np.int64)
    brightness = (rng.random(count) ** 3 * 0.9 + 0.1).astype(np.float32)
    brightness *= 1.0 - ys / horizon  # fainter towards the horizon haze
    big = rng.random(count) < 0.08
    for dy, dx, share in ((0, 0, 1.0), (1, 0, 0.4), (-1, 0, 0.4), (0, 1, 0.4), (0, -1, 0.4)):
        keep = big if share < 1.0 else np.ones(count, bool)
        yy = np.clip(ys[keep] + dy, 0, c.height - 1)
        xx = np.clip(xs[keep] + dx, 0, c.width - 1)
        c.rgb[yy, xx] += (brightness[keep] * share)[:, None] * np.float32(0.95)


def _cloud_colours(plan: Plan, palette: Palette) -> tuple[RGB, RGB]:
    lit: RGB = {
        "day": (0.98, 0.98, 1.0),
        "golden": (1.0, 0.76, 0.62),
        "dawn": (1.0, 0.86, 0.84),
        "night": (0.20, 0.22, 0.32),
    }[plan.time]
    if plan.weather == "rain":
        lit = mix(lit, (0.55, 0.57, 0.62), 0.6)
    shade = mix(lit, palette.sky[0][1], 0.45)
    return lit, shade


def paint_wispy_clouds(
    c: Canvas, plan: Plan, palette: Palette, horizon: float, rng: np.random.Generator
) -> None:
    rows = int(horizon)
    field = value_noise(rng, c.width, rows, c.px(520), c.px(110), octaves=4)
    threshold = {"clear": 0.62, "cloudy": 0.48, "rain": 0.34, "snow": 0.44, "fog": 0.45}[
        plan.weather
    ]
    ys = np.arange(rows, dtype=np.float32)[:, None] / max(rows, 1)
    # Clouds thin out near the horizon, where the sky is hazy anyway.
    band = smoothstep(1.0, 0.55, ys)
    cover = smoothstep(threshold, threshold + 0.2, field) * band
    lit, shade = _cloud_colours(plan, palette)
    t: F32 = np.clip(1.0 - (field - threshold) * 4.0, 0.0, 1.0)
    colour = c.tone(t, lit, shade)
    c.blend(0, 0, (cover * 0.92).astype(np.float32), colour, outline=False)


def paint_puffy_clouds(
    c: Canvas, plan: Plan, palette: Palette, horizon: float, rng: np.random.Generator
) -> None:
    count = {"clear": 3, "cloudy": 6, "rain": 8, "snow": 5, "fog": 4}[plan.weather]
    lit, shade = _cloud_colours(plan, palette)
    for _ in range(count):
        width = c.px(float(rng.uniform(260, 480)))
        base = horizon * float(rng.uniform(0.25, 0.8))
        left = c.width * float(rng.uniform(-0.1, 1.0)) - width / 2
        puffs = int(rng.integers(4, 7))
        centres = np.linspace(left + width * 0.2, left + width * 0.8, puffs)
        radii = width * rng.uniform(0.12, 0.2, puffs)
        radii[puffs // 2] *= 1.6  # the tallest puff in the middle reads as a cumulus
        heights = base - radii * rng.uniform(0.2, 0.6, puffs)
        top = int(float((heights - radii).min())) - 2
        patch_h = int(base - top) + 2
        patch_l = int(left - radii.max())
        patch_w = int(width + 2 * radii.max())
        xs, ys = c.grid(patch_l, top, patch_w, patch_h)
        distance = np.full((patch_h, patch_w), np.inf, np.float32)
        for cx, cy, r in zip(centres, heights, radii, strict=True):
            distance = np.minimum(distance, np.hypot(xs - cx, ys - cy) - r)
        distance = np.maximum(distance, ys - base)  # flat bottom
        # Lit above, shaded only along the underside.
        t = smoothstep(0.55, 1.0, (ys - top) / max(base - top, 1.0))
        colour = c.tone(np.broadcast_to(t, distance.shape).astype(np.float32), lit, shade)
        c.blend(top, patch_l, c.coverage(distance), colour)
