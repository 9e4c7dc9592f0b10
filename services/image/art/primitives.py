"""Vectorised drawing helpers on float32 arrays: noise, ridge lines, signed-distance shapes."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

# Arrays are float32 by convention; numpy's stubs promote freely, so the alias accepts any float.
F32 = NDArray[np.floating[Any]]


def f32(values: Any) -> F32:
    """Any array-like as float32 (numpy's stubs lose the dtype through most operations)."""
    return np.asarray(values, dtype=np.float32)


def smoothstep(edge0: float, edge1: float, x: F32) -> F32:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return f32(t * t * (3.0 - 2.0 * t))


def resize(field: F32, width: int, height: int) -> F32:
    """Bicubic resize of a 2-D float field (Pillow's float mode is fast and deterministic)."""
    image = Image.fromarray(np.ascontiguousarray(field, dtype=np.float32), mode="F")
    return np.asarray(image.resize((width, height), Image.Resampling.BICUBIC), dtype=np.float32)


def value_noise(
    rng: np.random.Generator,
    width: int,
    height: int,
    cell_x: float,
    cell_y: float | None = None,
    octaves: int = 1,
) -> F32:
    """Fractal value noise in about [0, 1]: cells of cell_x by cell_y pixels, halved per octave."""
    cell_y = cell_x if cell_y is None else cell_y
    total = np.zeros((height, width), np.float32)
    weight = 0.0
    amplitude = 1.0
    for _ in range(octaves):
        grid_w = max(2, int(width / cell_x) + 2)
        grid_h = max(2, int(height / cell_y) + 2)
        grid = rng.random((grid_h, grid_w), dtype=np.float32)
        total += amplitude * resize(grid, width, height)
        weight += amplitude
        amplitude *= 0.5
        cell_x, cell_y = max(cell_x / 2, 1.0), max(cell_y / 2, 1.0)
    return f32(np.clip(total / weight, 0.0, 1.0))


def noise_1d(rng: np.random.Generator, length: int, cell: float, octaves: int = 4) -> F32:
    """Fractal 1-D noise in about [-1, 1], linear between random knots."""
    xs = np.arange(length, dtype=np.float32)
    total = np.zeros(length, np.float32)
    amplitude, weight = 1.0, 0.0
    for _ in range(octaves):
        knots = max(2, int(length / cell) + 2)
        values = rng.uniform(-1.0, 1.0, knots).astype(np.float32)
        total += amplitude * np.interp(xs / cell, np.arange(knots), values).astype(np.float32)
        weight += amplitude
        amplitude *= 0.5
        cell = max(cell / 2, 1.0)
    return total / weight


def blur_1d(values: F32, radius: int) -> F32:
    if radius < 1:
        return values
    kernel = np.ones(2 * radius + 1, np.float32) / (2 * radius + 1)
    padded = np.pad(values, radius, mode="edge")
    return np.convolve(padded, kernel, mode="valid").astype(np.float32)


def soften(field: F32, factor: int) -> F32:
    """A cheap wide blur: shrink by `factor`, then grow back bicubically."""
    height, width = field.shape
    small = resize(field, max(2, width // factor), max(2, height // factor))
    return resize(small, width, height)


def gradient(stops: list[tuple[float, tuple[float, float, float]]], t: F32) -> F32:
    """Colours at positions `t` (any shape) interpolated between (position, rgb) stops."""
    positions = np.array([p for p, _ in stops], np.float32)
    colours = np.array([c for _, c in stops], np.float32)
    flat = t.reshape(-1)
    channels = [np.interp(flat, positions, colours[:, i]) for i in range(3)]
    return np.stack(channels, axis=-1).astype(np.float32).reshape(*t.shape, 3)


def segment_distance(px: F32, py: F32, a: tuple[float, float], b: tuple[float, float]) -> F32:
    """Distance from each point to the segment a-b (for capsules: subtract the radius)."""
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    length_sq = dx * dx + dy * dy or 1e-6
    t = np.clip(((px - ax) * dx + (py - ay) * dy) / length_sq, 0.0, 1.0)
    return np.hypot(px - (ax + t * dx), py - (ay + t * dy)).astype(np.float32)


def luminance(rgb: F32) -> F32:
    return (rgb @ np.array([0.299, 0.587, 0.114], np.float32)).astype(np.float32)


def saturate(rgb: F32, amount: float) -> F32:
    grey = luminance(rgb)[..., None]
    return (grey + (rgb - grey) * amount).astype(np.float32)


def mix(
    a: tuple[float, float, float], b: tuple[float, float, float], t: float
) -> tuple[float, float, float]:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)
