"""Cities: skylines of boxy buildings with window grids, and the street in front of them."""

from __future__ import annotations

import numpy as np

from services.image.art.canvas import Canvas
from services.image.art.palette import TERRAIN, Palette
from services.image.art.primitives import mix


def skyline(
    c: Canvas,
    palette: Palette,
    rng: np.random.Generator,
    base: float,
    depth: float,
    tallest: float,
    *,
    night: bool,
    windows: bool,
) -> None:
    x = -c.px(20)
    while x < c.width:
        width = c.px(float(rng.uniform(70, 190)) * (1.3 if c.look.rounded else 1.0))
        height = tallest * float(rng.uniform(0.3, 1.0))
        hue = mix(TERRAIN["city"], tuple(rng.uniform(0.25, 0.75, 3)), 0.35)
        light, dark = palette.layer(hue, depth, c.look.haze)
        if night:
            light, dark = mix(light, (0.05, 0.06, 0.12), 0.4), mix(dark, (0.02, 0.02, 0.06), 0.4)
        _building(c, rng, x, base, width, height, (light, dark), night=night, windows=windows)
        x += width + c.px(float(rng.uniform(-10, 14)))


def _building(
    c: Canvas,
    rng: np.random.Generator,
    x: float,
    base: float,
    width: float,
    height: float,
    colours: tuple[tuple[float, float, float], tuple[float, float, float]],
    *,
    night: bool,
    windows: bool,
) -> None:
    light, dark = colours
    top = base - height
    setback = rng.random() < 0.35
    spire = rng.random() < 0.15
    left, patch_top = int(x) - 2, int(top - (height * 0.35 if spire or setback else 0)) - 2
    xs, ys = c.grid(left, patch_top, int(width) + 4, int(base - patch_top) + 2)
    radius = c.px(8) if c.look.rounded else 0.0
    hx, cx = width / 2 - radius, x + width / 2
    box = (
        np.maximum(np.abs(xs - cx) - hx, np.maximum(top + radius - ys, ys - base)) - radius
    ).astype(np.float32)
    if setback:
        upper = np.maximum(
            np.abs(xs - cx) - width * 0.3, np.maximum(top - height * 0.25 - ys, ys - base)
        )
        box = np.minimum(box, upper)
    if spire:
        spike = np.maximum(
            np.abs(xs - cx) - c.px(2.5), np.maximum(top - height * 0.33 - ys, ys - base)
        )
        box = np.minimum(box, spike)
    alpha = c.coverage(box)
    # The side away from the light is a darker strip: enough to read as a volume.
    side = np.clip((xs - (x + width * 0.78)) / c.edge, 0.0, 1.0)
    t = np.clip((ys - patch_top) / max(base - patch_top, 1.0) * 0.6 + side * 0.6, 0.0, 1.0)
    c.blend(
        patch_top,
        left,
        alpha,
        c.tone(np.broadcast_to(t, alpha.shape).astype(np.float32), light, dark),
    )
    if not windows or width < c.px(40):
        return
    pitch_x, pitch_y = c.px(float(rng.uniform(15, 22))), c.px(float(rng.uniform(20, 28)))
    column = np.floor((xs - x - c.px(8)) / pitch_x)
    row = np.floor((ys - top - c.px(10)) / pitch_y)
    in_cell = ((xs - x - c.px(8)) % pitch_x < pitch_x * 0.55) & (
        (ys - top - c.px(10)) % pitch_y < pitch_y * 0.55
    )
    inside = (
        (xs > x + c.px(8))
        & (xs < x + width - c.px(8))
        & (ys > top + c.px(10))
        & (ys < base - c.px(8))
    )
    # A fixed hash of the window's row and column decides which windows are lit.
    lit_hash = np.sin(column * 12.9898 + row * 78.233 + float(rng.uniform(0, 100))) * 43758.5453
    lit = (lit_hash - np.floor(lit_hash)) < (0.38 if night else 0.5)
    mask = (in_cell & inside & lit).astype(np.float32) * alpha
    glass = (1.0, 0.84, 0.52) if night else mix(light, (0.75, 0.86, 0.98), 0.55)
    c.blend(patch_top, left, mask * (0.95 if night else 0.6), glass, outline=False)


def street(
    c: Canvas, palette: Palette, rng: np.random.Generator, base: float, *, night: bool
) -> None:
    asphalt = palette.lit((0.22, 0.23, 0.26))
    c.fill_below(np.full(c.width, base, np.float32), asphalt, mix(asphalt, (0, 0, 0), 0.4))
    top = int(base)
    ys = np.arange(top, c.height, dtype=np.float32)[:, None]
    lane_y = base + (c.height - base) * 0.55
    dashes = ((c.x[None, :] / c.px(90)) % 1.0 < 0.5) & (np.abs(ys - lane_y) < c.px(4))
    c.blend(top, 0, dashes.astype(np.float32) * 0.8, palette.lit((0.92, 0.9, 0.8)), outline=False)
    kerb = np.broadcast_to(np.abs(ys - base - c.px(4)) < c.px(3), (len(ys), c.width))
    c.blend(top, 0, kerb.astype(np.float32), palette.lit((0.6, 0.6, 0.62)), outline=False)
    if not night:
        return
    reach = c.px(150)
    head_y = base - c.px(170)
    lamp_colour = np.asarray((1.0, 0.8, 0.5), np.float32)
    for lamp_x in np.arange(float(rng.uniform(0, c.px(300))), c.width, c.px(320)):
        left, top = int(lamp_x - reach), int(head_y - reach)
        xs, ys = c.grid(left, top, int(2 * reach), int(base - top))
        pole = np.maximum(np.abs(xs - lamp_x) - c.px(3), head_y - ys)
        c.blend(top, left, c.coverage(pole), (0.08, 0.08, 0.1), outline=False)
        glow = np.exp(-np.hypot(xs - lamp_x, ys - head_y) / c.px(45)) * 0.7
        c.blend(top, left, glow.astype(np.float32), lamp_colour, outline=False)
