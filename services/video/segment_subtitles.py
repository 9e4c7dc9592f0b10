"""Each segment's own subtitle document: only the events shown on its frames.

One document for the whole video would be an input of every segment, so editing one caption
would change every segment's cache key. libass lays out an event against the events shown at
the same moment only, and every event shown on a segment's frames is in its document (in the
whole document's order, which decides their stacking): the pixels are the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from services.video.subtitles import Event
from services.video.timeline import Segment


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
