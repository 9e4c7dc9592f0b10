"""Colours of a scene: sky by time of day, land by terrain, all tinted by the light."""

from __future__ import annotations

from dataclasses import dataclass

from services.image.art.canvas import RGB, Look
from services.image.art.plan import Plan, TimeOfDay
from services.image.art.primitives import mix

Stops = list[tuple[float, RGB]]

SKIES: dict[TimeOfDay, Stops] = {
    "day": [(0.0, (0.20, 0.42, 0.78)), (0.65, (0.50, 0.70, 0.92)), (1.0, (0.80, 0.88, 0.95))],
    "golden": [
        (0.0, (0.17, 0.19, 0.40)),
        (0.45, (0.60, 0.36, 0.50)),
        (0.8, (0.97, 0.56, 0.33)),
        (1.0, (1.00, 0.80, 0.50)),
    ],
    "dawn": [(0.0, (0.28, 0.36, 0.60)), (0.6, (0.78, 0.62, 0.72)), (1.0, (1.00, 0.83, 0.70))],
    "night": [(0.0, (0.01, 0.02, 0.07)), (0.7, (0.04, 0.07, 0.18)), (1.0, (0.11, 0.15, 0.30))],
}
VIVID_SKIES: dict[TimeOfDay, Stops] = {
    "day": [(0.0, (0.04, 0.28, 0.82)), (0.6, (0.35, 0.68, 1.00)), (1.0, (0.82, 0.95, 1.00))],
    "golden": [
        (0.0, (0.20, 0.12, 0.45)),
        (0.4, (0.78, 0.30, 0.55)),
        (0.75, (1.00, 0.50, 0.25)),
        (1.0, (1.00, 0.85, 0.40)),
    ],
    "dawn": [(0.0, (0.22, 0.30, 0.72)), (0.6, (0.90, 0.55, 0.75)), (1.0, (1.00, 0.85, 0.62))],
    "night": [(0.0, (0.02, 0.01, 0.12)), (0.7, (0.08, 0.08, 0.32)), (1.0, (0.22, 0.18, 0.48))],
}
# The light's colour multiplies everything lit by it.
LIGHT: dict[TimeOfDay, RGB] = {
    "day": (1.0, 1.0, 1.0),
    "golden": (0.95, 0.70, 0.62),
    "dawn": (0.88, 0.80, 0.86),
    "night": (0.22, 0.27, 0.42),
}
TERRAIN: dict[str, RGB] = {
    "field": (0.36, 0.56, 0.27),
    "forest": (0.20, 0.40, 0.24),
    "mountains": (0.42, 0.46, 0.56),
    "desert": (0.88, 0.64, 0.40),
    "snow": (0.88, 0.92, 0.98),
    "water": (0.16, 0.38, 0.58),
    "city": (0.36, 0.40, 0.50),
}


@dataclass(frozen=True)
class Palette:
    sky: Stops
    horizon: RGB
    light: RGB
    ground: RGB
    water: RGB
    sun: RGB

    def lit(self, colour: RGB, amount: float = 1.0) -> RGB:
        tint = mix((1.0, 1.0, 1.0), self.light, amount)
        return (colour[0] * tint[0], colour[1] * tint[1], colour[2] * tint[2])

    def layer(self, colour: RGB, depth: float, haze: float) -> tuple[RGB, RGB]:
        """Light and dark colour of a land layer at `depth` (0 far .. 1 near).

        Far layers fade into the horizon colour (aerial perspective), near ones are darker.
        """
        base = self.lit(colour)
        fade = haze * (1.0 - depth) * 0.8
        light = mix(base, self.horizon, fade)
        dark_base = (base[0] * 0.55, base[1] * 0.55, base[2] * 0.6)
        dark = mix(dark_base, self.horizon, fade * 0.8)
        near = 1.0 - 0.35 * depth
        return (
            (light[0] * near, light[1] * near, light[2] * near),
            (dark[0] * near, dark[1] * near, dark[2] * near),
        )


def palette_for(plan: Plan, look: Look) -> Palette:
    sky = (VIVID_SKIES if look.vivid else SKIES)[plan.time]
    if plan.weather in ("cloudy", "rain", "fog") and plan.time != "night":
        # Overcast light: the sky loses saturation towards grey.
        grey = 0.55 if plan.weather == "rain" else 0.3
        sky = [(p, mix(c, (0.62, 0.65, 0.70), grey)) for p, c in sky]
    horizon = sky[-1][1]
    if "snow" in plan.features:
        ground = TERRAIN["snow"]
    elif "desert" in plan.features:
        ground = TERRAIN["desert"]
    elif "forest" in plan.features:
        ground = TERRAIN["forest"]
    else:
        ground = TERRAIN["field"]
    sun = {
        "day": (1.0, 0.98, 0.90),
        "golden": (1.0, 0.78, 0.45),
        "dawn": (1.0, 0.88, 0.72),
        "night": (0.92, 0.93, 0.98),
    }[plan.time]
    return Palette(sky, horizon, LIGHT[plan.time], ground, TERRAIN["water"], sun)
