"""Finishing passes: the medium of each style over the painted scene.

realistic: bloom, gentle contrast, vignette, smooth gradients. pixar: warm light, soft bloom,
lifted shadows. anime: vivid colour and bold outlines between shapes. flat_design: flat colour.
watercolor: wobbly washes, pigment granulation, darker edges, paper and a ragged margin.
oil_painting: smudged brush strokes with impasto relief on a canvas weave. sketch: pencil lines and
hatching on paper.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from services.image.art.canvas import Canvas
from services.image.art.primitives import (
    F32,
    f32,
    luminance,
    saturate,
    smoothstep,
    soften,
    value_noise,
)

Finisher = Callable[[Canvas, np.random.Generator], F32]


def _coords(c: Canvas) -> tuple[F32, F32]:
    return c.x[None, :], np.arange(c.height, dtype=np.float32)[:, None]


def _vignette(c: Canvas, rgb: F32, strength: float) -> F32:
    xs, ys = _coords(c)
    dx = (xs / c.width - 0.5) * 2
    dy = (ys / c.height - 0.5) * 2
    fall = 1.0 - strength * smoothstep(0.5, 1.6, dx * dx + dy * dy)
    return (rgb * fall[..., None]).astype(np.float32)


def _bloom(rgb: F32, threshold: float, amount: float) -> F32:
    bright = np.clip(luminance(rgb) - threshold, 0.0, None)
    halo = soften(bright.astype(np.float32), 24)
    return (rgb + amount * halo[..., None]).astype(np.float32)


def _boundaries(c: Canvas, thickness: float) -> F32:
    """1 where two painted shapes meet, thickened to about `thickness` pixels."""
    labels = c.labels
    edge = np.zeros(labels.shape, np.float32)
    edge[:, 1:] = np.maximum(edge[:, 1:], labels[:, 1:] != labels[:, :-1])
    edge[1:, :] = np.maximum(edge[1:, :], labels[1:, :] != labels[:-1, :])
    if thickness <= 1.5:
        return edge
    steps = round(thickness / 2)
    grown = edge.copy()
    for shift in range(1, steps + 1):
        grown[:, shift:] = np.maximum(grown[:, shift:], edge[:, :-shift])
        grown[shift:, :] = np.maximum(grown[shift:, :], edge[:-shift, :])
    return grown


def _warp(c: Canvas, rgb: F32, rng: np.random.Generator, cell: float, amount: float) -> F32:
    """Resample through a smooth random displacement: hand-made, wobbly edges."""
    dx = (value_noise(rng, c.width, c.height, cell, octaves=2) - 0.5) * 2 * amount
    dy = (value_noise(rng, c.width, c.height, cell, octaves=2) - 0.5) * 2 * amount
    xs, ys = _coords(c)
    src_x = np.clip(xs + dx, 0, c.width - 1).astype(np.intp)
    src_y = np.clip(ys + dy, 0, c.height - 1).astype(np.intp)
    return rgb[src_y, src_x]


def realistic(c: Canvas, rng: np.random.Generator) -> F32:
    rgb = _bloom(c.rgb, 0.72, 0.28)
    rgb = np.clip(rgb, 0.0, 1.0)
    rgb = rgb + 0.3 * (rgb * rgb * (3 - 2 * rgb) - rgb)  # gentle S-curve contrast
    return _vignette(c, saturate(rgb, 0.95), 0.3)


def pixar(c: Canvas, rng: np.random.Generator) -> F32:
    rgb = _bloom(c.rgb, 0.6, 0.4) * np.array([1.06, 1.0, 0.9], np.float32)
    rgb = 0.05 + 0.95 * saturate(rgb, 1.18)
    return _vignette(c, rgb, 0.16)


def anime(c: Canvas, rng: np.random.Generator) -> F32:
    rgb = saturate(c.rgb, 1.25)
    lines = _boundaries(c, c.px(2.4))
    ink = rgb * 0.28 + np.array([0.02, 0.02, 0.05], np.float32)
    return (rgb + (ink - rgb) * lines[..., None] * 0.9).astype(np.float32)


def flat_design(c: Canvas, rng: np.random.Generator) -> F32:
    return saturate(c.rgb, 0.95)


def watercolor(c: Canvas, rng: np.random.Generator) -> F32:
    rgb = _warp(c, c.rgb, rng, c.px(60), c.px(5))
    pigment = 1.0 - np.clip(rgb, 0, 1)
    blooms = value_noise(rng, c.width, c.height, c.px(160), octaves=3)
    granules = value_noise(rng, c.width, c.height, c.px(3), octaves=2)
    density = 0.62 + 0.3 * blooms + 0.18 * (granules - 0.5)
    edges = soften(_boundaries(c, c.px(2)), 4)
    pigment = pigment * density[..., None] + 0.16 * edges[..., None] * pigment
    paper = np.array([0.98, 0.96, 0.91], np.float32) * (1 - 0.06 * granules)[..., None]
    # A ragged unpainted margin, like a sheet the wash did not quite reach.
    xs, ys = _coords(c)
    border = np.minimum(np.minimum(xs, c.width - 1 - xs), np.minimum(ys, c.height - 1 - ys))
    margin = c.px(26) + blooms * c.px(40)
    painted = smoothstep(0.0, 1.0, (border - margin) / c.px(12))
    return (paper * (1 - pigment * painted[..., None])).astype(np.float32)


def _smear_taps(
    c: Canvas, xs: F32, ys: F32, dx: F32, dy: F32, step: float
) -> list[NDArray[np.intp]]:
    """Flat pixel indices of five taps along a flow direction (line-integral convolution)."""
    taps = []
    for k in (-2, -1, 0, 1, 2):
        sx = np.clip(xs + dx * (k * step), 0, c.width - 1).astype(np.intp)
        sy = np.clip(ys + dy * (k * step), 0, c.height - 1).astype(np.intp)
        taps.append((sy * c.width + sx).ravel())
    return taps


def _smear(field: F32, taps: list[NDArray[np.intp]]) -> F32:
    """The field averaged over the taps: paint dragged along by a brush."""
    flat = field.reshape(len(taps[0]), -1)
    total = sum((np.take(flat, tap, axis=0) for tap in taps), np.zeros_like(flat))
    return f32(total / len(taps)).reshape(field.shape)


def oil_painting(c: Canvas, rng: np.random.Generator) -> F32:
    # Strokes follow a slowly turning direction, mostly sideways like a landscape painter's.
    angle = (value_noise(rng, c.width, c.height, c.px(300), octaves=2) - 0.5) * 1.6
    dx, dy = np.cos(angle).astype(np.float32), np.sin(angle).astype(np.float32)
    xs, ys = _coords(c)
    dabs = value_noise(rng, c.width, c.height, c.px(16))
    taps = _smear_taps(c, xs + (dabs - 0.5) * c.px(10), ys, dx, dy, c.px(4))
    rgb = _smear(c.rgb, taps)
    # Bristle marks: noise smeared along the same strokes, lit from the top left.
    bristles = _smear(rng.random((c.height, c.width), dtype=np.float32), taps)
    relief = np.zeros_like(bristles)
    relief[1:, 1:] = bristles[1:, 1:] - bristles[:-1, :-1]
    shade = 1.0 + relief * 0.9 + (dabs - 0.5) * 0.12
    rgb = rgb * shade[..., None]
    weave = np.sin(xs * (np.pi / c.px(2.5))) * np.sin(ys * (np.pi / c.px(2.5)))
    rgb = rgb * (1.0 - 0.035 * weave * weave)[..., None]
    rgb = saturate(rgb, 1.12) * np.array([1.03, 1.0, 0.9], np.float32)
    return _vignette(c, rgb, 0.32)


def _lines(u: F32, period: float, width: float) -> F32:
    """Antialiased parallel lines across the coordinate `u` (pixels), `period` apart."""
    distance = np.abs((u / period) % 1.0 - 0.5) * period
    return f32(np.clip(width / 2 - distance + 0.5, 0.0, 1.0))


def sketch(c: Canvas, rng: np.random.Generator) -> F32:
    grey = luminance(_warp(c, c.rgb, rng, c.px(80), c.px(2)))
    gx = np.zeros_like(grey)
    gy = np.zeros_like(grey)
    gx[:, 1:] = np.abs(grey[:, 1:] - grey[:, :-1])
    gy[1:, :] = np.abs(grey[1:, :] - grey[:-1, :])
    contour = smoothstep(0.03, 0.12, gx + gy)
    contour = np.maximum(contour, _boundaries(c, c.px(1.6)) * 0.8)
    # Pencil shows tone by density: stretch the scene's range so dark scenes stay readable.
    low, high = np.percentile(grey[::8, ::8], [2, 98])
    tone = 1.0 - np.clip((grey - low) / max(float(high - low), 0.05), 0, 1) * 0.9 - 0.05
    xs, ys = _coords(c)
    period = c.px(7)
    # The open sky gets lighter hatching: pencil artists leave it mostly to the paper.
    weight = np.where(c.labels == 0, 0.45, 1.0).astype(np.float32)
    hatch = weight * (
        _lines((xs + ys) * 0.7071, period, c.px(1.2)) * smoothstep(0.35, 0.45, tone)
        + _lines((xs - ys) * 0.7071, period, c.px(1.2)) * smoothstep(0.55, 0.65, tone)
        + _lines(ys, period * 0.8, c.px(1.0)) * smoothstep(0.75, 0.85, tone)
    )
    pressure = 0.55 + 0.45 * value_noise(rng, c.width, c.height, c.px(14), octaves=2)
    darkness = np.clip(0.85 * contour + 0.45 * hatch + 0.22 * tone, 0, 1) * pressure
    paper_grain = value_noise(rng, c.width, c.height, c.px(2))
    paper = np.array([0.96, 0.95, 0.91], np.float32) * (1 - 0.05 * paper_grain)[..., None]
    graphite = np.array([0.2, 0.2, 0.23], np.float32)
    return f32(paper + (graphite - paper) * darkness[..., None])


FINISHERS: dict[str, Finisher] = {
    "realistic": realistic,
    "pixar": pixar,
    "anime": anime,
    "flat_design": flat_design,
    "watercolor": watercolor,
    "oil_painting": oil_painting,
    "sketch": sketch,
}
