"""Word timings: exact ones from synthesiser events, and the documented estimate for the rest.

Words are the text's whitespace-separated tokens that hold a letter or a digit, kept with their
punctuation so that subtitles read like the script ("events,"); a token of bare punctuation
("—") is not spoken and gets no timing.

The estimate, for providers that report no timings: each word's share of the voiced audio is
proportional to its syllables (vowel groups, at least one; digits count one each), a comma
adds the length of one syllable of pause and a sentence end two.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from contracts.audio import WordTiming
from services.audio.espeak_engine import WordEvent

_TOKEN = re.compile(r"\S+")
_VOWEL_GROUP = re.compile(r"[aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœ]+", re.IGNORECASE)
# Speech quieter than this (of full scale) counts as silence when finding where a word ends.
_SILENCE = 0.02
_WINDOW_SECONDS = 0.01
_MIN_WORD_SECONDS = 0.05


@dataclass(frozen=True)
class Token:
    start: int  # code point offsets into the text
    end: int
    word: str


def tokens(text: str) -> list[Token]:
    return [
        Token(m.start(), m.end(), m.group())
        for m in _TOKEN.finditer(text)
        if any(ch.isalnum() for ch in m.group())
    ]


def _voiced_windows(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """For each 10 ms window, whether it holds speech."""
    window = max(1, int(sample_rate * _WINDOW_SECONDS))
    usable = len(samples) - len(samples) % window
    if usable == 0:
        return np.zeros(0, dtype=bool)
    frames = np.abs(samples[:usable].astype(np.int32)).reshape(-1, window).max(axis=1)
    return np.asarray(frames > _SILENCE * 32767)


def _speech_end(voiced: np.ndarray, start: float, limit: float) -> float:
    """The end of the last voiced window in [start, limit): where a word stops sounding."""
    first = int(start / _WINDOW_SECONDS)
    last = min(int(limit / _WINDOW_SECONDS), len(voiced))
    hits = np.flatnonzero(voiced[first:last])
    if hits.size == 0:
        return min(limit, start + _MIN_WORD_SECONDS)
    end = (first + int(hits[-1]) + 1) * _WINDOW_SECONDS
    return min(limit, max(end, start + _MIN_WORD_SECONDS))


def exact_words(
    text: str, events: Sequence[WordEvent], pcm: bytes, sample_rate: int
) -> list[WordTiming]:
    """Starts from espeak-ng's word events; ends where the audio falls silent before the next."""
    toks = tokens(text)
    if not toks:
        return []
    duration = len(pcm) / 2 / sample_rate
    starts: list[float | None] = [None] * len(toks)
    offsets = [t.start for t in toks]
    for event in events:
        i = bisect.bisect_right(offsets, event.char_index) - 1
        if i >= 0 and event.char_index < toks[i].end:
            current = starts[i]
            starts[i] = event.seconds if current is None else min(current, event.seconds)
    filled = _fill_missing(starts, toks, duration)
    # Event times never go backwards in the audio; guard against rounding anyway.
    filled = list(np.maximum.accumulate(np.array(filled)))
    voiced = _voiced_windows(np.frombuffer(pcm, dtype="<i2"), sample_rate)
    words = []
    for i, tok in enumerate(toks):
        start = min(filled[i], duration)
        limit = filled[i + 1] if i + 1 < len(toks) else duration
        end = _speech_end(voiced, start, max(limit, start))
        words.append(WordTiming(word=tok.word, start=round(start, 3), end=round(end, 3)))
    return words


def _fill_missing(starts: list[float | None], toks: list[Token], duration: float) -> list[float]:
    """A token no event fell in (rare: espeak merges some) shares its neighbours' gap by length."""
    known = [(i, s) for i, s in enumerate(starts) if s is not None]
    if not known:
        return [float(s) for s in _spread([len(t.word) for t in toks], 0.0, duration)[0]]
    result = [0.0] * len(starts)
    anchors = [(-1, 0.0), *known, (len(starts), duration)]
    for (i0, t0), (i1, t1) in itertools.pairwise(anchors):
        if i0 >= 0:
            result[i0] = t0
        gap = list(range(i0 + 1, i1))
        if gap:
            begin = t0 if i0 >= 0 else 0.0
            weights = [len(toks[i0].word) if i0 >= 0 else 0] + [len(toks[j].word) for j in gap]
            points, _ = _spread(weights, begin, t1)
            for j, point in zip(gap, points[1:], strict=True):
                result[j] = point
    return result


def _spread(weights: Sequence[float], begin: float, end: float) -> tuple[list[float], float]:
    """Start points that split [begin, end] in proportion to the weights; and the unit."""
    total = sum(weights) or 1.0
    unit = (end - begin) / total
    points, cursor = [], begin
    for weight in weights:
        points.append(cursor)
        cursor += weight * unit
    return points, unit


def _syllables(word: str) -> int:
    letters = sum(1 for ch in word if ch.isdigit())
    return max(1, len(_VOWEL_GROUP.findall(word)) + letters)


def _pause_after(word: str) -> int:
    stripped = word.rstrip("\"')]\u201d\u2019\u00bb")
    if stripped.endswith((".", "!", "?", "\u2026")):
        return 2
    if stripped.endswith((",", ";", ":", "\u2014", "\u2013")):
        return 1
    return 0


def estimated_words(text: str, begin: float, end: float) -> list[WordTiming]:
    """The documented estimate: syllable-weighted spread of the words over [begin, end]."""
    toks = tokens(text)
    if not toks or end <= begin:
        return []
    weights = [_syllables(t.word) + _pause_after(t.word) for t in toks]
    # The last word's trailing pause is not spoken: drop it so speech fills the span.
    weights[-1] -= _pause_after(toks[-1].word)
    points, unit = _spread(weights, begin, end)
    words = []
    for tok, point in zip(toks, points, strict=True):
        spoken = _syllables(tok.word) * unit
        words.append(
            WordTiming(word=tok.word, start=round(point, 3), end=round(min(point + spoken, end), 3))
        )
    return words
