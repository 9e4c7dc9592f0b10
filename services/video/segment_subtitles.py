"""Each segment's own subtitle document: only the events shown on its frames.

One document for the whole video would be an input of every segment, so editing one caption
would change every segment's cache key. libass lays out an event against the events shown at
the same moment only, and every event shown on a segment's frames is in its document (in the
whole document's order, which decides their stacking): the pixels are the same.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

from contracts.video import SubtitleOptions
from runtime.captions import Cue
from services.video.sublayer import SubtitleLayer
from services.video.subtitles import Event, band_document, events
from services.video.timeline import Plan, Segment


def event_frames(event: Event, fps: int) -> tuple[int, int]:
    """Frames [first, last) on which libass shows an event (start <= t < end, centiseconds)."""
    return -(-event.start * fps // 100), -(-event.end * fps // 100)


def segment_documents(
    timed: Sequence[Event],
    segments: Sequence[Segment],
    fps: int,
    document: Callable[[Sequence[Event]], str],
) -> list[str | None]:
    """Per segment, `document` of the events its frames show; None where none shows."""
    spans = [event_frames(event, fps) for event in timed]
    found: list[str | None] = []
    for segment in segments:
        shown = [
            event
            for event, (a, b) in zip(timed, spans, strict=True)
            if a < segment.end and b > segment.start and b > a
        ]
        found.append(document(shown) if shown else None)
    return found


async def segment_layers(
    layer: SubtitleLayer | None,
    cues: list[Cue] | None,
    options: SubtitleOptions | None,
    size: tuple[int, int],
    plan: Plan,
    work: Path,
    *,
    font: str,
) -> tuple[list[SubtitleLayer | None], dict[Path, str]]:
    """Each segment's subtitle layer, drawing from a document of its own events, and the
    documents' content digests (for the segment cache)."""
    if layer is None or cues is None or options is None:
        return [None] * len(plan.segments), {}
    texts = segment_documents(
        events(cues, options.style),
        plan.segments,
        plan.fps,
        functools.partial(
            band_document, style=options.style, position=options.position, size=size, font=font
        ),
    )
    layers: list[SubtitleLayer | None] = []
    documents: dict[Path, str] = {}
    for k, text in enumerate(texts):
        if text is None:
            layers.append(None)
            continue
        path = work / f"band-{k:04d}.ass"
        await asyncio.to_thread(path.write_text, text, encoding="utf-8")
        documents[path] = hashlib.sha256(text.encode()).hexdigest()
        layers.append(dataclasses.replace(layer, ass=path))
    return layers, documents
