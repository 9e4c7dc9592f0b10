"""Rooms: a wall with a window on the time of day, a floor, a desk and screen, shelves, a plant."""

from __future__ import annotations

import numpy as np

from services.image.art.canvas import RGB, Canvas
from services.image.art.palette import Palette
from services.image.art.plan import Plan
from services.image.art.primitives import F32, gradient, mix

WALLS: list[RGB] = [(0.86, 0.80, 0.70), (0.72, 0.78, 0.80), (0.80, 0.74, 0.68), (0.66, 0.70, 0.62)]
CLINIC_WALL: RGB = (0.86, 0.92, 0.92)


def _box(
    c: Canvas,
    left: float,
    top: float,
    right: float,
    bottom: float,
    colour: RGB | F32,
    radius: float = 0.0,
) -> None:
    x0, y0 = int(left) - 2, int(top) - 2
    xs, ys = c.grid(x0, y0, int(right - left) + 4, int(bottom - top) + 4)
    r = c.px(radius) if c.look.rounded else 0.0
    cx, cy = (left + right) / 2, (top + bottom) / 2
    hx, hy = (right - left) / 2 - r, (bottom - top) / 2 - r
    qx, qy = np.abs(xs - cx) - hx, np.abs(ys - cy) - hy
    outside = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0))
    distance = (outside + np.minimum(np.maximum(qx, qy), 0) - r).astype(np.float32)
    c.blend(y0, x0, c.coverage(distance), colour)


def room(c: Canvas, plan: Plan, palette: Palette, rng: np.random.Generator) -> float:
    """Paints the room; returns the floor line people stand on."""
    floor_y = c.height * float(rng.uniform(0.68, 0.76))
    wall = CLINIC_WALL if "clinic" in plan.features else WALLS[int(rng.integers(len(WALLS)))]
    indoor_light = palette.lit(wall, 0.5 if plan.time != "night" else 0.8)
    ys = np.arange(c.height, dtype=np.float32)
    t = np.clip(ys / floor_y, 0, 1)
    wall_colours = c.tone(
        t[:, None], mix(indoor_light, (1, 1, 1), 0.1), mix(indoor_light, (0, 0, 0), 0.25)
    )
    c.rgb[:] = wall_colours

    # Window with the outside at the time of day.
    win_w = c.width * float(rng.uniform(0.26, 0.36))
    win_l = c.width * float(rng.choice([0.08, 0.56]))
    win_t, win_b = c.height * 0.14, floor_y - c.height * 0.2
    _box(
        c,
        win_l - c.px(14),
        win_t - c.px(14),
        win_l + win_w + c.px(14),
        win_b + c.px(14),
        palette.lit((0.95, 0.94, 0.9), 0.4),
        6,
    )
    sky_t = np.clip((ys[int(win_t) : int(win_b)] - win_t) / (win_b - win_t), 0, 1)
    view = np.broadcast_to(gradient(palette.sky, sky_t)[:, None, :], (len(sky_t), int(win_w), 3))
    c.blend(int(win_t), int(win_l), np.ones(view.shape[:2], np.float32), view)
    hill = win_b - (win_b - win_t) * (
        0.2 + 0.1 * np.sin(np.arange(int(win_w)) / c.px(60) + float(rng.uniform(0, 6)))
    )
    hill_alpha = np.clip(ys[int(win_t) : int(win_b), None] - hill[None, :], 0, 1).astype(np.float32)
    c.blend(int(win_t), int(win_l), hill_alpha, palette.layer(palette.ground, 0.2, c.look.haze)[0])
    frame = palette.lit((0.95, 0.94, 0.9), 0.4)
    _box(c, win_l + win_w / 2 - c.px(7), win_t, win_l + win_w / 2 + c.px(7), win_b, frame)
    _box(
        c, win_l, (win_t + win_b) / 2 - c.px(7), win_l + win_w, (win_t + win_b) / 2 + c.px(7), frame
    )

    # Floor: boards that get wider towards the viewer.
    wood = palette.lit(
        (0.55, 0.38, 0.24) if "clinic" not in plan.features else (0.7, 0.72, 0.72), 0.6
    )
    ridge = np.full(c.width, floor_y, np.float32)
    c.fill_below(ridge, wood, mix(wood, (0, 0, 0), 0.35))
    rows = np.arange(int(floor_y), c.height, dtype=np.float32)
    depth = np.clip((rows - floor_y) / (c.height - floor_y), 0, 1)
    seams = (np.abs(((depth**0.6) * 9) % 1.0 - 0.5) > 0.47).astype(np.float32)[:, None]
    c.blend(
        int(floor_y),
        0,
        seams * np.ones((1, c.width), np.float32) * 0.35,
        mix(wood, (0, 0, 0), 0.5),
        outline=False,
    )

    if plan.time != "night":
        # Daylight through the window falls on the floor as a soft bright patch.
        offset = np.abs(c.x[None, :] - (win_l + win_w / 2))
        beam = np.clip(1 - offset / (win_w * (0.5 + depth[:, None])), 0, 1) * 0.18
        c.add_light(
            int(floor_y),
            (beam * (1 - depth[:, None]))[..., None] * np.asarray(palette.sun, np.float32),
        )

    shelf_side = win_l > c.width / 2
    if "books" in plan.features:
        _bookshelf(c, rng, palette, c.width * (0.06 if shelf_side else 0.7), floor_y)
    _desk(c, rng, palette, plan, c.width * (0.32 if shelf_side else 0.48), floor_y)
    _plant(c, rng, palette, c.width * (0.9 if shelf_side else 0.06), floor_y)
    return floor_y


def _bookshelf(
    c: Canvas, rng: np.random.Generator, palette: Palette, left: float, floor_y: float
) -> None:
    width, top = c.width * 0.22, c.height * 0.16
    wood = palette.lit((0.42, 0.28, 0.18), 0.6)
    _box(c, left, top, left + width, floor_y + c.px(6), wood, 4)
    shelves = 4
    step = (floor_y - top - c.px(20)) / shelves
    for i in range(shelves):
        bottom = top + c.px(14) + step * (i + 1)
        x = left + c.px(14)
        while x < left + width - c.px(30):
            book_w = c.px(float(rng.uniform(12, 26)))
            book_h = step * float(rng.uniform(0.6, 0.85))
            colour = palette.lit(tuple(rng.uniform(0.2, 0.85, 3)), 0.6)
            _box(c, x, bottom - book_h, x + book_w, bottom - c.px(2), colour, 2)
            x += book_w + c.px(2)
        _box(
            c,
            left + c.px(8),
            bottom - c.px(2),
            left + width - c.px(8),
            bottom + c.px(8),
            mix(wood, (0, 0, 0), 0.3),
        )


def _desk(
    c: Canvas, rng: np.random.Generator, palette: Palette, plan: Plan, left: float, floor_y: float
) -> None:
    width = c.width * 0.36
    top = floor_y - c.height * 0.2
    wood = palette.lit((0.62, 0.46, 0.32), 0.6)
    dark = mix(wood, (0, 0, 0), 0.45)
    for leg_x in (left + c.px(20), left + width - c.px(40)):
        _box(c, leg_x, top, leg_x + c.px(20), floor_y + c.px(30), dark)
    _box(c, left, top - c.px(22), left + width, top, wood, 6)
    if "screen" in plan.features or rng.random() < 0.6:
        screen_w, screen_h = width * 0.42, c.height * 0.17
        sx = left + width * 0.3
        _box(
            c,
            sx + screen_w / 2 - c.px(8),
            top - c.px(22) - c.px(40),
            sx + screen_w / 2 + c.px(8),
            top - c.px(22),
            dark,
        )
        _box(c, sx, top - c.px(62) - screen_h, sx + screen_w, top - c.px(62), (0.08, 0.09, 0.12), 6)
        glow: RGB = (0.35, 0.65, 0.95) if plan.time == "night" else (0.55, 0.75, 0.95)
        m = c.px(8)
        _box(
            c, sx + m, top - c.px(62) - screen_h + m, sx + screen_w - m, top - c.px(62) - m, glow, 3
        )
        # Lines of "text" on the screen.
        for i in range(5):
            y = top - c.px(62) - screen_h + m + c.px(14) + i * c.px(18)
            length = (screen_w - 4 * m) * float(rng.uniform(0.4, 1.0))
            _box(c, sx + 2 * m, y, sx + 2 * m + length, y + c.px(6), mix(glow, (1, 1, 1), 0.6))
    # A mug keeps the desk from looking staged.
    mug_x = left + width * 0.12
    _box(
        c,
        mug_x,
        top - c.px(22) - c.px(46),
        mug_x + c.px(34),
        top - c.px(22),
        palette.lit((0.85, 0.3, 0.25), 0.5),
        5,
    )


def _plant(
    c: Canvas, rng: np.random.Generator, palette: Palette, left: float, floor_y: float
) -> None:
    pot_w, pot_h = c.px(90), c.px(100)
    _box(
        c,
        left,
        floor_y - pot_h + c.px(20),
        left + pot_w,
        floor_y + c.px(20),
        palette.lit((0.72, 0.42, 0.30), 0.6),
        10,
    )
    cx, base = left + pot_w / 2, floor_y - pot_h + c.px(20)
    leaf = palette.lit((0.22, 0.52, 0.28), 0.6)
    size = c.px(float(rng.uniform(200, 280)))
    x0, y0 = int(cx - size), int(base - size * 1.1)
    xs, ys = c.grid(x0, y0, int(2 * size), int(size * 1.1) + 2)
    distance = np.full((ys.shape[0], xs.shape[1]), np.inf, np.float32)
    for _ in range(9):
        angle = float(rng.uniform(-1.2, 1.2))
        length = size * float(rng.uniform(0.55, 1.0))
        tip_x, tip_y = cx + np.sin(angle) * length, base - np.cos(angle) * length
        mx, my = (cx + tip_x) / 2, (base + tip_y) / 2
        # A leaf: an ellipse along the stem direction.
        u = (xs - mx) * np.sin(angle) - (ys - my) * np.cos(angle)
        v = (xs - mx) * np.cos(angle) + (ys - my) * np.sin(angle)
        ellipse = (np.hypot(u / (length / 2), v / (length * 0.16)) - 1.0) * length * 0.16
        distance = np.minimum(distance, ellipse)
    t_leaf = np.clip((ys - y0) / (size * 1.1), 0, 1).astype(np.float32)
    colours = c.tone(
        np.broadcast_to(t_leaf, distance.shape).astype(np.float32),
        mix(leaf, (1, 1, 0.8), 0.15),
        mix(leaf, (0, 0, 0), 0.4),
    )
    c.blend(y0, x0, c.coverage(distance), colours)
