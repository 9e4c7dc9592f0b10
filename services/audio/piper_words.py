"""Word timings from piper's phoneme alignment.

Piper reports how long each phoneme lasts, and its phonemes fall into word groups; but
espeak-ng's groups are not the text's words one to one: it fuses some ("of the" is one
group) and splits others ("1984" is three). Each word is therefore phonemized alone too, and
a dynamic programme matches the words to the groups in order, preferring the group counts
and phoneme counts each word predicts. A word then spans its groups exactly; words sharing
one fused group split its time by their phoneme counts.
"""

from __future__ import annotations

from collections.abc import Sequence

from contracts.audio import WordTiming
from services.audio.piper_engine import PhonemeGroup
from services.audio.timings import Token

# How far (in groups) the match may wander from where the word counts put it.
_BAND = 24
# Cost of a word not making the groups it predicts, and of words fused into one group.
_UNEXPECTED = 1.0
_FUSED = 1.0
_SILENT = 2.0  # on top of the word's phonemes, for a word that made no group at all


def _moves(predicted: int) -> list[tuple[int, int]]:
    """(words, groups) steps: one word to 0..predicted+2 groups, or 2-3 words to one."""
    return [(1, v) for v in range(max(predicted, 1) + 3)] + [(2, 1), (3, 1)]


def _penalty(words: int, voiced: int, expected_groups: int) -> float:
    """What a move costs beyond the sound count mismatch: fusing words, silence, surprise."""
    if words > 1:
        return _FUSED * (words - 1)
    if voiced == 0:
        return _SILENT
    if voiced != expected_groups:
        return _UNEXPECTED
    return 0.0


def _steps(
    back: dict[tuple[int, int], tuple[int, int]], end: tuple[int, int]
) -> list[tuple[int, int, int, int]]:
    """The chosen moves from the start to `end`, as (first word, past word, first group, past)."""
    steps: list[tuple[int, int, int, int]] = []
    at = end
    while at != (0, 0):
        before = back[at]
        steps.append((before[0], at[0], before[1], at[1]))
        at = before
    steps.reverse()
    return steps


def align_words(
    toks: Sequence[Token], expected: Sequence[Sequence[int]], groups: Sequence[PhonemeGroup]
) -> list[WordTiming] | None:
    """Each token's timing, or None when no plausible match exists (then: the estimate)."""
    n, m = len(toks), len(groups)
    if n == 0 or m == 0:
        return None
    said = [0]
    for group in groups:
        said.append(said[-1] + group.sounds)
    predicted, wanted = [0], [0]
    for counts in expected:
        predicted.append(predicted[-1] + len(counts))
        wanted.append(wanted[-1] + sum(counts))
    scale = m / max(predicted[-1], 1)

    def band(i: int) -> range:
        centre = round(predicted[i] * scale)
        return range(max(0, centre - _BAND), min(m, centre + _BAND) + 1)

    cost: dict[tuple[int, int], float] = {(0, 0): 0.0}
    back: dict[tuple[int, int], tuple[int, int]] = {}
    for i in range(n):
        for j in band(i):
            here = cost.get((i, j))
            if here is None:
                continue
            for u, v in _moves(len(expected[i])):
                ni, nj = i + u, j + v
                if ni > n or nj not in band(ni):
                    continue
                step: float = abs((wanted[ni] - wanted[i]) - (said[nj] - said[j]))
                step += _penalty(u, v, len(expected[i]))
                if here + step < cost.get((ni, nj), float("inf")):
                    cost[(ni, nj)] = here + step
                    back[(ni, nj)] = (i, j)
    if (n, m) not in cost:
        return None
    return _timings(toks, expected, groups, _steps(back, (n, m)))


def _timings(
    toks: Sequence[Token],
    expected: Sequence[Sequence[int]],
    groups: Sequence[PhonemeGroup],
    steps: list[tuple[int, int, int, int]],
) -> list[WordTiming]:
    words: list[WordTiming] = []
    last_end = 0.0
    for i0, i1, j0, j1 in steps:
        if j1 == j0:
            # A word espeak-ng did not voice: a zero-length mark where it would be.
            words.append(WordTiming(word=toks[i0].word, start=last_end, end=last_end))
            continue
        start, end = groups[j0].start, groups[j1 - 1].end
        weights = [max(sum(expected[k]), 1) for k in range(i0, i1)]
        unit = (end - start) / sum(weights)
        cursor = start
        for k, weight in zip(range(i0, i1), weights, strict=True):
            stop = end if k == i1 - 1 else cursor + weight * unit
            words.append(WordTiming(word=toks[k].word, start=round(cursor, 3), end=round(stop, 3)))
            cursor = stop
        last_end = round(end, 3)
    return words
