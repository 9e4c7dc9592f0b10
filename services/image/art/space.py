"""Space: a deep gradient, a nebula, stars, a shaded planet with a ring, a moon surface."""

from __future__ import annotations

import numpy as np

from services.image.art.canvas import Canvas
from services.image.art.primitives import F32, f32, gradient, mix, smoothstep, value_noise
from services.image.art.sky import paint_stars

NEBULAE = [
    ((0.55, 0.20, 0.65), (0.15, 0.45, 0.85)),
    ((0.85, 0.35, 0.45), (0.35, 0.20, 0.70)),
    ((0.20, 0.65, 0.70), (0.45, 0.25, 0.75)),
]


def space(c: Canvas, rng: np.random.Generator) -> F32:
    """Paints the scene; returns the surface line an astronaut can stand on."""
    t = np.arange(c.height, dtype=np.float32) / c.height
    stops = [(0.0, (0.01, 0.01, 0.04)), (0.6, (0.04, 0.03, 0.12)), (1.0, (0.08, 0.05, 0.18))]
    if c.look.flat:
        t = np.floor(t * 4) / 4
    c.rgb[:] = gradient(stops, t)[:, None, :]

    first, second = NEBULAE[int(rng.integers(len(NEBULAE)))]
    cloud = value_noise(rng, c.width, c.height, c.px(420), octaves=4)
    hue = value_noise(rng, c.width, c.height, c.px(700), octaves=2)
    density = smoothstep(0.45, 0.8, cloud)
    if c.look.flat or c.look.bands:
        density = np.round(density * 3) / 3
    colour = gradient([(0.3, first), (0.7, second)], hue)
    c.blend(0, 0, (density * 0.55).astype(np.float32), colour, outline=False)
    paint_stars(c, float(c.height), rng, density=3.0)

    # A planet with day and night sides and banded clouds.
    radius = c.px(float(rng.uniform(150, 260)))
    px, py = c.width * float(rng.uniform(0.6, 0.8)), c.height * float(rng.uniform(0.25, 0.4))
    left, top = int(px - radius * 2.2), int(py - radius * 1.4)
    xs, ys = c.grid(left, top, int(radius * 4.4), int(radius * 2.8))
    nx, ny = (xs - px) / radius, (ys - py) / radius
    body = np.hypot(xs - px, ys - py) - radius
    light = np.clip(-(nx * 0.7 + ny * 0.5) + np.sqrt(np.clip(1 - nx**2 - ny**2, 0, 1)) * 0.4, 0, 1)
    bands = 0.5 + 0.5 * np.sin(ny * float(rng.uniform(8, 14)) + nx * 1.5)
    base = mix((0.85, 0.62, 0.42), (0.45, 0.55, 0.80), float(rng.random()))
    surface = c.tone(
        np.broadcast_to(1 - light * (0.8 + 0.2 * bands), body.shape).astype(np.float32),
        base,
        (0.03, 0.02, 0.06),
    )
    ring_distance = np.abs(np.hypot(nx / 2.0, ny / 0.45) - 0.9) * radius - radius * 0.05
    behind = ys < py
    ring_colour = mix(base, (1, 1, 1), 0.4)
    c.blend(top, left, c.coverage(ring_distance) * behind * 0.8, ring_colour)
    c.blend(top, left, c.coverage(body), surface)
    c.blend(top, left, c.coverage(ring_distance) * ~behind * 0.85, ring_colour)

    # The grey curve of a moon along the bottom, with a few craters.
    curve_r = c.width * 1.6
    surface_y = (
        c.height * 0.82 + curve_r - np.sqrt(np.clip(curve_r**2 - (c.x - c.width / 2) ** 2, 0, None))
    )
    ground = f32(surface_y)
    c.fill_below(ground, (0.62, 0.62, 0.66), (0.22, 0.22, 0.26))
    for _ in range(6):
        cx = c.width * float(rng.uniform(0.05, 0.95))
        cy = float(ground[int(cx)]) + c.px(float(rng.uniform(30, 140)))
        rx = c.px(float(rng.uniform(30, 90)))
        x0, y0 = int(cx - rx) - 2, int(cy - rx * 0.3) - 2
        cxs, cys = c.grid(x0, y0, int(2 * rx) + 4, int(rx * 0.6) + 4)
        crater = (np.hypot((cxs - cx) / rx, (cys - cy) / (rx * 0.3)) - 1) * rx * 0.3
        c.blend(y0, x0, c.coverage(crater) * 0.6, (0.28, 0.28, 0.32))
    return ground
