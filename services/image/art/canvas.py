"""The canvas scenes are painted on, and how a style shapes the painting itself.

A `Look` changes how shapes are filled (smooth gradients, flat colour, cel bands, soft or crisp
edges, rounded forms); the finishing pass in `finish.py` then adds the medium (paper, strokes...).
Every painted shape gets a label so finishers can find outlines between shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from services.image.art.primitives import F32, f32, gradient

RGB = tuple[float, float, float]


@dataclass(frozen=True)
class Look:
    edge: float  # edge softness in pixels at 1080p
    flat: bool  # one colour per shape, banded sky
    bands: int  # cel-shading bands (0: smooth shading)
    haze: float  # how much distance fades towards the horizon colour
    rounded: bool  # smoothed ridges, round tree crowns
    clouds: Literal["wispy", "puffy"]
    vivid: bool  # deeper, more saturated sky


LOOKS: dict[str, Look] = {
    "realistic": Look(1.0, False, 0, 1.0, False, "wispy", False),
    "pixar": Look(2.5, False, 0, 0.7, True, "puffy", False),
    "anime": Look(0.8, False, 3, 0.6, False, "puffy", True),
    "flat_design": Look(0.7, True, 0, 0.8, True, "puffy", False),
    "watercolor": Look(2.0, False, 0, 1.0, False, "wispy", False),
    "oil_painting": Look(1.5, False, 0, 0.9, False, "wispy", True),
    "sketch": Look(1.0, False, 0, 0.8, False, "wispy", False),
}


class Canvas:
    def __init__(self, width: int, height: int, look: Look) -> None:
        self.width = width
        self.height = height
        self.look = look
        self.unit = min(width, height) / 1080.0
        self.edge = max(0.6, look.edge * self.unit)
        self.rgb = np.zeros((height, width, 3), np.float32)
        self.labels = np.zeros((height, width), np.uint8)
        self._label = 0
        self.x = np.arange(width, dtype=np.float32)

    def px(self, amount: float) -> float:
        """A length given at 1080p, scaled to this canvas."""
        return amount * self.unit

    def _next_label(self) -> int:
        self._label = self._label % 254 + 1
        return self._label

    def blend(
        self, top: int, left: int, alpha: F32, colour: F32 | RGB, *, outline: bool = True
    ) -> None:
        """Paint `colour` through `alpha` (a patch whose corner is at top, left)."""
        rows, cols = alpha.shape
        bottom, right = min(top + rows, self.height), min(left + cols, self.width)
        y0, x0 = max(top, 0), max(left, 0)
        if bottom <= y0 or right <= x0:
            return
        rows_in = slice(y0 - top, bottom - top)
        cols_in = slice(x0 - left, right - left)
        a = alpha[rows_in, cols_in]
        paint = np.asarray(colour, np.float32)
        if paint.ndim == 3:
            # Colours may be per row (n, 1, 3) or per column (1, n, 3): crop only real axes.
            paint = paint[
                rows_in if paint.shape[0] > 1 else slice(None),
                cols_in if paint.shape[1] > 1 else slice(None),
            ]
        region = self.rgb[y0:bottom, x0:right]
        region += (paint - region) * a[..., None]
        if outline:
            self.labels[y0:bottom, x0:right][a > 0.5] = self._next_label()

    def add_light(self, top: int, light: F32) -> None:
        """Additive light (glows, lit windows' halos) on rows from `top`."""
        rows = light.shape[0]
        self.rgb[top : top + rows] += light

    def tone(self, t: F32, light: RGB, dark: RGB) -> F32:
        """Colour from `light` (t=0) to `dark` (t=1): smooth, flat or banded as the look says."""
        if self.look.flat:
            t = np.full_like(t, 0.35)
        elif self.look.bands:
            t = np.floor(np.clip(t, 0, 0.999) * self.look.bands) / max(self.look.bands - 1, 1)
        return gradient([(0.0, light), (1.0, dark)], t)

    def fill_below(
        self, ridge: F32, light: RGB, dark: RGB, *, side_light: F32 | None = None
    ) -> None:
        """Fill everything under a ridge line (one y per column), shaded from light to dark.

        `side_light` (one value per column, about -1..1) brightens slopes facing the light,
        fading with depth below the ridge, which is what makes mountains read as 3-D.
        """
        top = int(max(0.0, np.floor(ridge.min() - 2 * self.edge)))
        if top >= self.height:
            return
        ys = np.arange(top, self.height, dtype=np.float32)[:, None]
        below = ys - ridge[None, :]
        alpha = np.clip(below / self.edge + 0.5, 0.0, 1.0).astype(np.float32)
        t = (ys - top) / max(self.height - top, 1)
        colour = self.tone(t, light, dark)
        if side_light is not None and not self.look.flat:
            falloff = np.exp(-np.maximum(below, 0) / self.px(160)).astype(np.float32)
            shade = side_light[None, :] * falloff
            if self.look.bands:
                shade = np.round(shade * 2) / 2
            colour = colour * (1.0 + 0.35 * shade[..., None])
        self.blend(top, 0, alpha, colour)

    def grid(self, left: int, top: int, width: int, height: int) -> tuple[F32, F32]:
        """Pixel-centre coordinates of a patch, for the distance-field shapes."""
        xs = np.arange(left, left + width, dtype=np.float32)[None, :] + 0.5
        ys = np.arange(top, top + height, dtype=np.float32)[:, None] + 0.5
        return xs, ys

    def coverage(self, distance: F32) -> F32:
        """Alpha from a signed distance (negative inside), antialiased over the look's edge."""
        return f32(np.clip(0.5 - distance / self.edge, 0.0, 1.0))
