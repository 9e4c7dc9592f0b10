"""Land: mountain ranges, rolling hills, dunes, water with reflections, trees."""

from __future__ import annotations

import numpy as np

from services.image.art.canvas import RGB, Canvas
from services.image.art.palette import TERRAIN, Palette
from services.image.art.primitives import (
    F32,
    blur_1d,
    f32,
    mix,
    noise_1d,
    smoothstep,
    value_noise,
)


def _side_light(c: Canvas, ridge: F32, sun_x: float) -> F32:
    """+1 on slopes facing the sun, -1 on slopes turned away (y grows downwards)."""
    # From the broad shape only: the ridge's small wiggles would paint vertical stripes.
    slope = np.gradient(blur_1d(ridge, int(c.px(30))))
    towards = 1.0 if sun_x < c.width / 2 else -1.0
    return f32(np.clip(-slope * towards / c.px(1.2), -1.0, 1.0))


def mountains(
    c: Canvas,
    palette: Palette,
    rng: np.random.Generator,
    horizon: float,
    sun_x: float,
    *,
    snowy: bool,
) -> None:
    for depth, height in ((0.0, 0.36), (0.4, 0.22)):
        profile = np.zeros(c.width, np.float32)
        for _ in range(int(rng.integers(2, 5))):
            centre = c.width * float(rng.uniform(-0.1, 1.1))
            half = c.width * float(rng.uniform(0.15, 0.35))
            peak = c.height * height * float(rng.uniform(0.55, 1.0))
            cone = np.clip(1.0 - np.abs(c.x - centre) / half, 0.0, 1.0) ** 1.15
            profile = np.maximum(profile, peak * cone)
        detail = noise_1d(rng, c.width, c.px(90), octaves=2 if c.look.rounded else 5)
        profile += detail * c.height * height * 0.09
        if c.look.rounded:
            profile = blur_1d(profile, int(c.px(28)))
        ridge = horizon + c.px(10) - profile
        rock = mix(TERRAIN["mountains"], palette.ground, 0.25 * depth)
        light, dark = palette.layer(rock, depth, c.look.haze)
        c.fill_below(ridge, light, dark, side_light=_side_light(c, ridge, sun_x))
        if snowy or height > 0.3:
            _snow_caps(c, palette, rng, ridge, profile, depth)


def _snow_caps(
    c: Canvas, palette: Palette, rng: np.random.Generator, ridge: F32, profile: F32, depth: float
) -> None:
    line = float(profile.max()) * 0.55
    depth_px = np.clip(profile - line, 0.0, None) * 0.8
    depth_px += noise_1d(rng, c.width, c.px(30), octaves=3) * c.px(10) * (depth_px > 0)
    top = int(max(0.0, float(ridge.min()) - 2))
    bottom = int(min(c.height, float((ridge + depth_px).max()) + 2))
    if bottom <= top:
        return
    ys = np.arange(top, bottom, dtype=np.float32)[:, None]
    inside = np.minimum(ys - ridge[None, :], ridge[None, :] + depth_px[None, :] - ys)
    alpha = np.clip(inside / c.edge + 0.5, 0.0, 1.0).astype(np.float32)
    light, dark = palette.layer((0.95, 0.96, 1.0), depth, c.look.haze * 0.6)
    t = ((ys - top) / max(bottom - top, 1)).astype(np.float32)
    c.blend(top, 0, alpha, c.tone(np.broadcast_to(t, alpha.shape).astype(np.float32), light, dark))


def hills(
    c: Canvas,
    palette: Palette,
    rng: np.random.Generator,
    top: float,
    bottom: float,
    count: int,
    colour: RGB,
    sun_x: float,
    *,
    wooded: bool,
) -> F32:
    """Rolling hills from `top` (far) to `bottom` (near); returns the nearest ridge.

    Wooded hills get a line of trees on each ridge, painted before the nearer hill hides them.
    """
    ridge = np.full(c.width, bottom, np.float32)
    for i in range(count):
        depth = (i + 1) / (count + 1)
        base = top + (bottom - top) * i / max(count - 1, 1)
        wave = noise_1d(rng, c.width, c.px(520), octaves=2 if c.look.rounded else 4)
        ridge = (base + wave * c.px(70) * (1 + depth)).astype(np.float32)
        if c.look.rounded:
            ridge = blur_1d(ridge, int(c.px(20)))
        light, dark = palette.layer(mix(colour, palette.ground, depth * 0.5), depth, c.look.haze)
        c.fill_below(ridge, light, dark, side_light=_side_light(c, ridge, sun_x) * 0.5)
        if wooded:
            size = 40 + 160 * depth**2
            tree_line(c, palette, rng, ridge, depth, size, sun_x, spacing=size * 0.45)
    return ridge


def dunes(
    c: Canvas, palette: Palette, rng: np.random.Generator, horizon: float, sun_x: float
) -> F32:
    ridge = np.full(c.width, horizon, np.float32)
    for i, depth in enumerate((0.1, 0.45, 0.8)):
        base = horizon + (c.height - horizon) * (0.05 + 0.3 * i)
        crest = 1.0 - np.abs(noise_1d(rng, c.width, c.px(600), octaves=3))
        ridge = (base - crest * c.px(110)).astype(np.float32)
        light, dark = palette.layer(TERRAIN["desert"], depth, c.look.haze)
        c.fill_below(ridge, light, dark, side_light=_side_light(c, ridge, sun_x))
    return ridge


def water(
    c: Canvas,
    palette: Palette,
    rng: np.random.Generator,
    horizon: float,
    sun: tuple[float, float],
) -> None:
    """Water below the horizon, mirroring what was painted above it, with ripples and glints."""
    top = int(horizon)
    rows = c.height - top
    if rows <= 0:
        return
    ys = np.arange(rows, dtype=np.float32)[:, None]
    ripples = value_noise(rng, c.width, rows, c.px(240), c.px(5), octaves=2)
    if c.look.flat:
        reflection = np.broadcast_to(
            np.asarray(palette.lit(palette.water), np.float32), (rows, c.width, 3)
        )
    else:
        source_y = np.clip(top - 1 - ys * 0.85, 0, top - 1).astype(np.int64)
        shift = (ripples - 0.5) * (c.px(3) + ys * 0.05)
        source_x = np.clip(c.x[None, :] + shift, 0, c.width - 1).astype(np.int64)
        reflection = c.rgb[source_y, source_x]
    tint = np.asarray(palette.lit(palette.water), np.float32)
    depth = (ys / rows)[..., None]
    colour = reflection * (0.72 - 0.3 * depth) + tint * (0.28 + 0.3 * depth)
    # Glints: bright ripple crests in a column under the sun.
    spread = c.px(40) + ys * 0.45
    column = np.exp(-(((c.x[None, :] - sun[0]) / spread) ** 2))
    crests = smoothstep(0.58, 0.8, ripples)
    if c.look.flat or c.look.bands:
        crests = (crests > 0.5).astype(np.float32)
    glint = (column * crests * 0.7)[..., None] * np.asarray(palette.sun, np.float32)
    sheen = smoothstep(0.66, 0.85, ripples)[..., None] * 0.08
    c.blend(top, 0, np.ones((rows, c.width), np.float32), colour + glint + sheen)


def shore(
    c: Canvas, palette: Palette, rng: np.random.Generator, horizon: float, sandy: bool
) -> F32:
    """Near land on one side, leaving the water open on the other; returns its ridge."""
    rise = smoothstep(0.25, 0.75, c.x / c.width)
    if rng.random() < 0.5:
        rise = rise[::-1]
    base = horizon + (c.height - horizon) * 0.45
    ridge = base + rise * c.height * 0.6 + noise_1d(rng, c.width, c.px(200), 3) * c.px(18)
    colour = TERRAIN["desert"] if sandy else palette.ground
    light, dark = palette.layer(colour, 0.85, c.look.haze)
    c.fill_below(ridge.astype(np.float32), light, dark)
    return ridge.astype(np.float32)


def _convex_distance(xs: F32, ys: F32, points: list[tuple[float, float]]) -> F32:
    """Signed distance (negative inside) to a convex polygon, whichever way it is wound."""
    pairs = list(zip(points, points[1:] + points[:1], strict=True))
    area = sum(ax * by - bx * ay for (ax, ay), (bx, by) in pairs)
    sign = 1.0 if area > 0 else -1.0
    distance = np.full(np.broadcast_shapes(xs.shape, ys.shape), -np.inf, np.float32)
    for (ax, ay), (bx, by) in pairs:
        nx, ny = (by - ay) * sign, (ax - bx) * sign
        length = float(np.hypot(nx, ny)) or 1.0
        distance = np.maximum(distance, ((xs - ax) * nx + (ys - ay) * ny) / length)
    return distance


def tree(
    c: Canvas,
    palette: Palette,
    foot: tuple[float, float],
    height: float,
    depth: float,
    sun_x: float,
    colour: RGB | None = None,
) -> None:
    """A pine (tiers of triangles) or, for rounded looks, a round-crowned tree."""
    x, y = foot
    half = height * 0.3
    left, top = int(x - half - 3), int(y - height - 3)
    xs, ys = c.grid(left, top, int(2 * half + 6), int(height + 6))
    trunk = np.maximum(np.abs(xs - x) - height * 0.035, np.maximum(ys - y, y - height * 0.3 - ys))
    leaves = mix(colour or TERRAIN["forest"], palette.ground, 0.2)
    if c.look.rounded:
        crown_r = height * 0.34
        cy = y - height + crown_r
        crown = np.hypot(xs - x, (ys - cy) * 1.1) - crown_r
    else:
        crown = np.full(trunk.shape, np.inf, np.float32)
        for tier in range(3):
            tip = y - height + tier * height * 0.22
            base = tip + height * 0.42
            w = half * (0.6 + 0.2 * tier)
            crown = np.minimum(
                crown, _convex_distance(xs, ys, [(x, tip), (x - w, base), (x + w, base)])
            )
    light, dark = palette.layer(leaves, depth, c.look.haze)
    towards = 1.0 if sun_x < x else -1.0
    t = np.clip(0.5 + (xs - x) / (2 * half) * towards, 0.0, 1.0).astype(np.float32)
    bark = palette.layer((0.30, 0.22, 0.16), depth, c.look.haze)
    c.blend(top, left, c.coverage(trunk), bark[1])
    c.blend(
        top,
        left,
        c.coverage(crown),
        c.tone(np.broadcast_to(t, crown.shape).astype(np.float32), light, dark),
    )


def tree_line(
    c: Canvas,
    palette: Palette,
    rng: np.random.Generator,
    ridge: F32,
    depth: float,
    size: float,
    sun_x: float,
    spacing: float,
) -> None:
    x = float(rng.uniform(0, spacing))
    while x < c.width:
        col = int(np.clip(x, 0, c.width - 1))
        height = c.px(size) * float(rng.uniform(0.7, 1.2))
        tree(c, palette, (x, float(ridge[col]) + c.px(4)), height, depth, sun_x)
        x += c.px(spacing) * float(rng.uniform(0.5, 1.4))
