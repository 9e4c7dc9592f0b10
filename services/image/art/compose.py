"""Puts a planned scene together, back to front: sky, distance, middle ground, foreground."""

from __future__ import annotations

import numpy as np

from services.image.art.canvas import RGB, Canvas
from services.image.art.city import skyline, street
from services.image.art.figures import Outfit, group
from services.image.art.interior import room
from services.image.art.land import dunes, hills, mountains, shore, tree, tree_line, water
from services.image.art.palette import Palette
from services.image.art.plan import Plan
from services.image.art.primitives import F32, mix, noise_1d
from services.image.art.sky import (
    paint_light,
    paint_puffy_clouds,
    paint_sky,
    paint_stars,
    paint_wispy_clouds,
)
from services.image.art.space import space
from services.image.art.weather import weather


def compose(c: Canvas, plan: Plan, palette: Palette) -> None:
    if plan.setting == "space":
        ground = space(c, plan.rng("space"))
        if plan.people:
            suit: RGB = (0.88, 0.89, 0.92)
            astronaut = Outfit(suit, suit, suit, visor=True)
            group(c, ground, plan.people, c.height * 0.3, astronaut, plan.rng("people"))
        return
    if plan.setting == "interior":
        floor_y = room(c, plan, palette, plan.rng("room"))
        if plan.people:
            ground = np.full(c.width, floor_y + c.height * 0.1, np.float32)
            group(c, ground, plan.people, c.height * 0.42, None, plan.rng("people"))
        return
    _outdoors(c, plan, palette)


def _outdoors(c: Canvas, plan: Plan, palette: Palette) -> None:
    layout = plan.rng("layout")
    if plan.setting == "city":
        horizon = c.height * float(layout.uniform(0.66, 0.72))
    elif "mountains" in plan.features:
        horizon = c.height * float(layout.uniform(0.6, 0.66))
    else:
        horizon = c.height * float(layout.uniform(0.55, 0.66))

    paint_sky(c, palette, horizon)
    if plan.time == "night":
        paint_stars(c, horizon, plan.rng("stars"))
    sun = paint_light(c, plan, palette, horizon, plan.rng("sun"))
    clouds = paint_puffy_clouds if c.look.clouds == "puffy" else paint_wispy_clouds
    clouds(c, plan, palette, horizon, plan.rng("clouds"))

    ground: F32
    if plan.setting == "city":
        ground = _city(c, plan, palette, horizon, sun)
    else:
        ground = _land(c, plan, palette, horizon, sun)
    if plan.people:
        height = c.height * (0.16 if plan.setting == "city" else 0.24)
        # Against a low sun or at night people are silhouettes; in daylight they are dressed.
        dark: RGB = mix(palette.lit((0.16, 0.14, 0.16)), (0.02, 0.02, 0.04), 0.5)
        backlit = plan.time in ("golden", "night")
        outfit = Outfit.silhouette(dark) if backlit else None
        group(c, ground, plan.people, height, outfit, plan.rng("people"))
    weather(c, plan, palette, horizon, plan.rng("weather"))


def _city(c: Canvas, plan: Plan, palette: Palette, horizon: float, sun: tuple[float, float]) -> F32:
    rng = plan.rng("city")
    night = plan.time == "night"
    skyline(c, palette, rng, horizon, 0.1, c.height * 0.42, night=night, windows=False)
    skyline(c, palette, rng, horizon + c.px(6), 0.6, c.height * 0.3, night=night, windows=True)
    if "water" in plan.features:
        water(c, palette, plan.rng("water"), horizon + c.px(6), sun)
        quay = np.full(c.width, c.height * 0.9, np.float32)
        stone = palette.lit((0.45, 0.44, 0.46))
        c.fill_below(quay, stone, mix(stone, (0, 0, 0), 0.5))
        return quay
    street(c, palette, rng, horizon + c.px(6), night=night)
    return np.full(c.width, horizon + (c.height - horizon) * 0.3, np.float32)


def _land(c: Canvas, plan: Plan, palette: Palette, horizon: float, sun: tuple[float, float]) -> F32:
    rng = plan.rng("land")
    if "mountains" in plan.features:
        mountains(c, palette, rng, horizon, sun[0], snowy="snow" in plan.features)
    if "desert" in plan.features and "water" not in plan.features:
        return dunes(c, palette, rng, horizon, sun[0])
    wooded = "forest" in plan.features
    if "water" in plan.features:
        if wooded or "mountains" not in plan.features:
            # A low far bank (wooded when the prompt says so) that the water mirrors.
            bank = horizon - c.px(8) + noise_1d(rng, c.width, c.px(300), 3) * c.px(8)
            light, dark = palette.layer(palette.ground, 0.15, c.look.haze)
            c.fill_below(bank.astype(np.float32), light, dark)
            if wooded:
                tree_line(c, palette, rng, bank.astype(np.float32), 0.2, 46, sun[0], 18)
        water(c, palette, plan.rng("water"), horizon, sun)
        ridge = shore(c, palette, rng, horizon, sandy=bool(plan.features & {"beach", "desert"}))
        if wooded or c.look.rounded:
            # A couple of trees on the shore frame the water.
            land_side = 0.12 if ridge[0] < ridge[-1] else 0.88
            for offset in (0.0, 0.07):
                x = c.width * abs(land_side - offset)
                tree(c, palette, (x, float(ridge[int(x)])), c.height * 0.4, 0.9, sun[0])
        return ridge
    ridge = hills(
        c,
        palette,
        rng,
        horizon + c.px(20),
        c.height * 0.84,
        3,
        palette.ground,
        sun[0],
        wooded=wooded,
    )
    if not wooded and "field" in plan.features:
        for _ in range(int(rng.integers(1, 3))):
            x = c.width * float(rng.choice([rng.uniform(0.05, 0.25), rng.uniform(0.75, 0.95)]))
            tree(c, palette, (x, float(ridge[int(x)])), c.height * 0.34, 0.9, sun[0])
    return ridge
