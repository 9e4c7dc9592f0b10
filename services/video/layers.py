"""A timeline's overlays as the layers every segment draws, in stacking order: scenes in order,
within a scene later overlays on top; consecutive text overlays share one libass layer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from contracts.audio import WordTiming
from contracts.errors import ApiError
from contracts.timeline import AvatarOverlay, ImageOverlay, Overlay, TextOverlay, Timeline
from services.video.assets import Pictures
from services.video.graph import Layer, Picture
from services.video.textlayer import TimedText, rows, text_layer
from services.video.timeline import Plan

# A mouth stays open at least this long, so fast speech does not flicker.
_MIN_OPEN_SECONDS = 0.08


def _frames(overlay: Overlay, field: str, first: int, last: int, fps: int) -> tuple[int, int]:
    """The overlay's frames [a, b) of the video, cut at its scene's end."""
    a = first + round(overlay.start * fps)
    if a >= last:
        length = (last - first) / fps
        raise ApiError(
            422,
            f"{field}.start: {overlay.start} s is after its scene's end ({length:.2f} s); "
            f"use 0-{length:.2f}",
        )
    b = last if overlay.end is None else min(last, first + round(overlay.end * fps))
    return a, max(a + 1, b)


def _place(x: float, y: float, picture: tuple[int, int], size: tuple[int, int]) -> tuple[int, int]:
    """The top left corner that puts the picture's centre at x, y percent of the frame."""
    return round(x * size[0] / 100 - picture[0] / 2), round(y * size[1] / 100 - picture[1] / 2)


def _open_mouth(
    words: Sequence[WordTiming], first: int, last: int, fps: int
) -> list[tuple[int, int]]:
    """The frames within [first, last) on which a word is being spoken."""
    spans: list[tuple[int, int]] = []
    least = max(1, round(_MIN_OPEN_SECONDS * fps))
    for word in words:
        a = max(first, round(word.start * fps))
        b = min(last, max(round(word.end * fps), a + least))
        if b <= a:
            continue
        if spans and a <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(b, spans[-1][1]))
        else:
            spans.append((a, b))
    return spans


def _between(first: int, last: int, holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans, at = [], first
    for a, b in holes:
        if a > at:
            spans.append((at, a))
        at = max(at, b)
    if at < last:
        spans.append((at, last))
    return spans


async def _picture_layers(
    overlay: ImageOverlay | AvatarOverlay,
    field: str,
    span: tuple[int, int],
    words: Sequence[WordTiming] | None,
    pictures: Pictures,
    size: tuple[int, int],
    fps: int,
) -> list[Layer]:
    box = (round(size[0] * overlay.scale), round(size[1] * overlay.scale))
    if isinstance(overlay, ImageOverlay):
        path, made = await pictures.get(overlay.key, f"{field}.key", box, overlay.opacity)
        x, y = _place(overlay.position.x, overlay.position.y, made, size)
        return [Picture(path, x, y, [span])]
    poses = [
        await pictures.get(key, f"{field}.pose_keys[{k}]", box, 1.0)
        for k, key in enumerate(overlay.pose_keys)
    ]
    closed, made = poses[0]
    x, y = _place(overlay.position.x, overlay.position.y, made, size)
    if overlay.animation != "talking" or len(poses) < 2 or not words:
        return [Picture(closed, x, y, [span])]
    talking = _open_mouth(words, *span, fps)
    # The open poses take turns word by word, so the mouth does not look frozen.
    opened = [
        Picture(path, *_place(overlay.position.x, overlay.position.y, shape, size), talking[k::2])
        for k, (path, shape) in enumerate(poses[1:3])
    ]
    return [Picture(closed, x, y, _between(*span, talking)), *(p for p in opened if p.spans)]


def _overlapping(run: list[TimedText], item: TimedText, size: tuple[int, int]) -> bool:
    top, bottom = rows(item, size)
    return any(a < bottom and top < b for a, b in (rows(other, size) for other in run))


async def overlay_layers(
    timeline: Timeline,
    plan: Plan,
    size: tuple[int, int],
    words: Sequence[WordTiming] | None,
    pictures: Pictures,
    work: Path,
    fonts_dir: Path | None,
) -> list[Layer]:
    fps = plan.fps
    layers: list[Layer] = []
    run: list[TimedText] = []

    async def close_run() -> None:
        if run:
            dest = work / f"text-{len(layers)}.ass"
            layers.append(
                await asyncio.to_thread(text_layer, list(run), size, fps, dest, fonts_dir)
            )
            run.clear()

    for i, scene in enumerate(timeline.scenes):
        first, last = plan.boundaries[i], plan.boundaries[i + 1]
        for j, overlay in enumerate(scene.overlays):
            field = f"scenes[{i}].overlays[{j}]"
            span = _frames(overlay, field, first, last, fps)
            if isinstance(overlay, TextOverlay):
                timed = TimedText(overlay, *span)
                # Texts on rows apart never cover each other: a band each is far smaller
                # than one band spanning both (a title and a footer: nearly the whole frame).
                fades = overlay.animation == "fadeIn"
                if run and (fades or not _overlapping(run, timed, size)):
                    await close_run()
                run.append(timed)
                if fades:
                    await close_run()
                continue
            await close_run()
            layers += await _picture_layers(overlay, field, span, words, pictures, size, fps)
        await close_run()
    return layers
