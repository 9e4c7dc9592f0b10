"""People built from capsules: silhouettes against a low sun, dressed figures in plain light."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.image.art.canvas import RGB, Canvas
from services.image.art.primitives import F32, segment_distance

SKINS: list[RGB] = [(0.94, 0.78, 0.66), (0.80, 0.60, 0.45), (0.55, 0.38, 0.28), (0.36, 0.25, 0.19)]
SHIRTS: list[RGB] = [(0.80, 0.30, 0.28), (0.25, 0.45, 0.70), (0.95, 0.75, 0.30), (0.30, 0.60, 0.45)]
TROUSERS: list[RGB] = [(0.15, 0.18, 0.28), (0.35, 0.30, 0.25), (0.22, 0.22, 0.24)]


@dataclass(frozen=True)
class Outfit:
    skin: RGB
    shirt: RGB
    trousers: RGB
    visor: bool = False  # an astronaut's helmet visor

    @classmethod
    def silhouette(cls, colour: RGB) -> Outfit:
        return cls(colour, colour, colour)

    @classmethod
    def dressed(cls, rng: np.random.Generator) -> Outfit:
        return cls(
            SKINS[int(rng.integers(len(SKINS)))],
            SHIRTS[int(rng.integers(len(SHIRTS)))],
            TROUSERS[int(rng.integers(len(TROUSERS)))],
        )


def person(
    c: Canvas,
    foot: tuple[float, float],
    height: float,
    outfit: Outfit,
    rng: np.random.Generator,
) -> None:
    x, y = foot
    unit = height / 8.0  # a figure about eight heads tall
    left, top = int(x - 3 * unit), int(y - height - unit)
    xs, ys = c.grid(left, top, int(6 * unit) + 2, int(height + 2 * unit))
    neck = (x, y - 6.7 * unit)
    hip = (x, y - 3.9 * unit)
    shoulder = (x, y - 6.3 * unit)
    stride = float(rng.uniform(-0.7, 0.7)) * unit
    raised = rng.random() < 0.25  # now and then someone raises their arms
    hand_y = y - 8.3 * unit if raised else y - 3.5 * unit
    spread = 1.9 * unit if raised else 0.9 * unit
    legs: F32 = np.minimum(
        segment_distance(xs, ys, hip, (x - 0.5 * unit + stride, y - 0.2 * unit)),
        segment_distance(xs, ys, hip, (x + 0.5 * unit - stride, y - 0.2 * unit)),
    )
    c.blend(top, left, c.coverage(legs - 0.4 * unit), outfit.trousers)
    arms = np.minimum(
        segment_distance(xs, ys, shoulder, (x - spread, hand_y)),
        segment_distance(xs, ys, shoulder, (x + spread, hand_y)),
    )
    body = np.minimum(segment_distance(xs, ys, neck, hip) - 0.8 * unit, arms - 0.3 * unit)
    c.blend(top, left, c.coverage(body), outfit.shirt)
    head = np.hypot(xs - x, ys - (y - 7.4 * unit)) - 0.64 * unit
    c.blend(top, left, c.coverage(head), outfit.skin)
    if outfit.visor:
        visor = np.hypot((xs - x) / 0.48, (ys - (y - 7.45 * unit)) / 0.3) - unit
        c.blend(top, left, c.coverage(visor * 0.3), (0.12, 0.16, 0.26))


def group(
    c: Canvas,
    ground: F32,
    count: int,
    height: float,
    outfit: Outfit | None,
    rng: np.random.Generator,
) -> None:
    """`count` people standing on a ground line (one y per column), near a third of the width.

    Without an outfit each person is dressed at random.
    """
    # Stand where there is ground in the picture (a shore may fall away to the water).
    spots = [x for x in (0.33, 0.5, 0.66, 0.2, 0.8) if ground[int(c.width * x)] < c.height * 0.95]
    centre = c.width * (
        float(rng.choice(spots[:3])) if spots else float(np.argmin(ground)) / c.width
    )
    for i in range(count):
        x = centre + (i - (count - 1) / 2) * height * float(rng.uniform(0.38, 0.5))
        col = int(np.clip(x, 0, c.width - 1))
        scale = float(rng.uniform(0.85, 1.0)) if i else 1.0
        clothes = outfit or Outfit.dressed(rng)
        person(c, (x, float(ground[col]) + c.px(2)), height * scale, clothes, rng)
