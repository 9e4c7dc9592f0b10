"""When each scene is on screen, in whole frames, and how the render splits into segments.

Everything here is a pure function of the request and the narration's length, so a segment can
be rendered by any process: a scene's motion depends only on the frame's place in its clip.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from contracts.audio import WordTiming
from contracts.errors import ApiError
from contracts.timeline import TimelineScene
from contracts.video import Scene

_WORDISH = re.compile(r"\w", re.UNICODE)


def _word_count(text: str) -> int:
    return sum(1 for token in text.split() if _WORDISH.search(token))


def scene_seconds(
    narration: float,
    scenes: Sequence[Scene] | Sequence[TimelineScene],
    words: Sequence[WordTiming] | None,
) -> list[float]:
    """Each scene's share of the narration, in seconds; the shares add up to the narration.

    Durations on every scene are scaled to the narration; else the scenes' texts are matched
    to the word timings so each scene starts with the first word of its section; else equal.
    """
    count = len(scenes)
    given = [s.duration for s in scenes if s.duration is not None]
    if given and len(given) != count:
        raise ApiError(422, "Give a duration on every scene or on none of them")
    if given:
        total = sum(given)
        return [d * narration / total for d in given]
    texts = [s.text or "" for s in scenes]
    counts = [_word_count(t) for t in texts]
    if words and count > 1 and all(counts):
        return _from_sections(narration, counts, words)
    return [narration / count] * count


def _from_sections(narration: float, counts: list[int], words: Sequence[WordTiming]) -> list[float]:
    # The synthesiser may count words slightly differently from a whitespace split, so the
    # section boundaries are placed proportionally in the timing list.
    spoken = len(words)
    total = sum(counts)
    starts = [0.0]
    seen = 0
    for size in counts[:-1]:
        seen += size
        index = min(spoken - 1, round(seen * spoken / total))
        starts.append(min(narration, max(starts[-1], words[index].start)))
    edges = [*starts, narration]
    return [b - a for a, b in itertools.pairwise(edges)]


@dataclass(frozen=True)
class Clip:
    """A scene's frames on screen, [first, last), its transitions included."""

    first: int
    last: int

    @property
    def length(self) -> int:
        return self.last - self.first


@dataclass(frozen=True)
class Segment:
    """Frames [start, end) rendered by one FFmpeg process: a piece of one scene, or (`scenes`
    has two) the `blend` frames of the transition from the first into the second."""

    start: int
    end: int
    scenes: tuple[int, ...]
    blend: int = 0

    @property
    def frames(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Plan:
    fps: int
    total_frames: int
    boundaries: list[int]  # scene i is nominally on screen [boundaries[i], boundaries[i+1])
    transitions: list[int]  # frames of the transition into scene i (0 for the first)
    clips: list[Clip]
    segments: list[Segment]

    @property
    def duration(self) -> float:
        return self.total_frames / self.fps


def plan(
    seconds: Sequence[float],
    *,
    fps: int,
    transition_seconds: float,
    chunk_frames: int,
) -> Plan:
    """Round the scene shares to frames and cut the timeline into segments of at most about
    `chunk_frames`: each transition alone, each scene's frames after it in equal pieces."""
    count = len(seconds)
    total = round(sum(seconds) * fps)
    if total < count:
        raise ApiError(
            422,
            f"The narration is too short for {count} scenes at {fps} fps "
            f"({total} frames); use fewer scenes",
        )
    bounds = [0]
    elapsed = 0.0
    for i, share in enumerate(seconds[:-1], start=1):
        elapsed += share
        # At least one frame per scene, and room left for every scene after this one.
        bounds.append(min(max(round(elapsed * fps), bounds[-1] + 1), total - (count - i)))
    bounds.append(total)
    lengths = [b - a for a, b in itertools.pairwise(bounds)]
    wanted = round(transition_seconds * fps)
    # A transition never takes more than half of either scene it joins.
    trans = [0] + [min(wanted, lengths[i - 1] // 2, lengths[i] // 2) for i in range(1, count)]
    # The transition is centred on the boundary: half before, half after.
    lead = [d // 2 for d in trans]
    clips = []
    for i in range(count):
        first = bounds[i] - lead[i]
        last = bounds[i + 1] - lead[i + 1] + trans[i + 1] if i + 1 < count else total
        clips.append(Clip(first, last))
    # A transition is a segment of its own: editing a scene then re-encodes its frames and
    # the short blends into and out of it, not the whole neighbouring scene.
    segments: list[Segment] = []
    for i in range(count):
        start = bounds[i] - lead[i]
        end = bounds[i + 1] - lead[i + 1] if i + 1 < count else total
        if trans[i]:
            segments.append(Segment(start, start + trans[i], (i - 1, i), trans[i]))
            start += trans[i]
        pieces = max(1, round((end - start) / chunk_frames))
        cuts = [start + (end - start) * k // pieces for k in range(pieces + 1)]
        segments += [Segment(a, b, (i,)) for a, b in itertools.pairwise(cuts) if b > a]
    return Plan(fps, total, bounds, trans, clips, segments)
