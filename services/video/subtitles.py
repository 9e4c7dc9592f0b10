"""Burned-in subtitles: cues from word timings (runtime.captions) or from an SRT/VTT file,
written as an ASS document styled for the frame size, which libass then draws."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from contracts.audio import WordTiming
from contracts.video import SubtitlePosition, SubtitleStyle
from runtime.captions import Cue, ass_clock, ass_header, ass_text, build_cues

HIGHLIGHT = "&H0000FFFF&"  # ASS colours are &HBBGGRR: pure yellow


@dataclass(frozen=True)
class _Look:
    size: float  # font size as a fraction of the frame's short side
    bold: bool
    primary: str
    outline_colour: str
    back_colour: str
    border_style: int  # 1: outline and shadow, 3: opaque box
    outline: float  # fraction of the short side
    shadow: float


_LOOKS: dict[str, _Look] = {
    "classic": _Look(0.055, False, "&H00FFFFFF", "&H00000000", "&H80000000", 1, 0.003, 0.0015),
    "tiktok_highlight": _Look(0.07, True, "&H00FFFFFF", "&H00000000", "&H00000000", 1, 0.005, 0),
    "boxed": _Look(0.05, False, "&H00FFFFFF", "&H60000000", "&H60000000", 3, 0.008, 0),
    "minimal": _Look(0.042, False, "&H10FFFFFF", "&H00000000", "&H90000000", 1, 0, 0.002),
}
_ALIGNMENT: dict[str, int] = {"bottom": 2, "middle": 5, "top": 8}


def _font_size(style: SubtitleStyle, size: tuple[int, int]) -> int:
    return max(10, round(min(size) * _LOOKS[style].size))


def line_chars(style: SubtitleStyle, size: tuple[int, int]) -> int:
    """Characters per line that fit 88% of the frame width (a glyph is ~0.58 em wide)."""
    return max(12, min(42, int(size[0] * 0.88 / (_font_size(style, size) * 0.58))))


def cues_from_words(
    words: Sequence[WordTiming], style: SubtitleStyle, size: tuple[int, int]
) -> list[Cue]:
    return build_cues(words, max_line_chars=line_chars(style, size), max_lines=2)


_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
_CUE_TIMES = re.compile(_TIME + r"\s*-->\s*" + _TIME)
_TAGS = re.compile(r"<[^>]*>|\{[^}]*\}")


def _seconds(hours: str | None, minutes: str, secs: str, frac: str) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(secs) + int(frac.ljust(3, "0")) / 1000


def cues_from_file(text: str) -> list[Cue]:
    """Cues of an SRT or WebVTT document. Words are spread evenly over their cue, which is
    as close as a file without word timings allows for the word highlight."""
    cues: list[Cue] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = block.strip().split("\n")
        for index, line in enumerate(lines):
            match = _CUE_TIMES.search(line)
            if not match:
                continue
            g = match.groups()
            start, end = _seconds(*g[:4]), _seconds(*g[4:])
            body = [_TAGS.sub("", t).strip() for t in lines[index + 1 :]]
            body = [t for t in body if t]
            count = sum(len(t.split()) for t in body)
            if end <= start or not count:
                break
            step = (end - start) / count
            if len(body) > 2:
                body = [" ".join(body[:-1]), body[-1]]
            timed: list[tuple[WordTiming, ...]] = []
            k = 0
            for text_line in body:
                row = []
                for word in text_line.split():
                    at = start + k * step
                    row.append(WordTiming(word=word, start=at, end=at + step))
                    k += 1
                timed.append(tuple(row))
            cues.append(Cue(start, end, tuple(timed)))
            break
    if not cues:
        raise ValueError("no cues found: expected an SRT or WebVTT file")
    return sorted(cues, key=lambda c: c.start)


def _text(cue: Cue, lit: WordTiming | None) -> str:
    rows = []
    for line in cue.lines:
        words = []
        for word in line:
            text = ass_text(" ".join(word.word.split()))
            words.append(f"{{\\c{HIGHLIGHT}}}{text}{{\\r}}" if word is lit else text)
        rows.append(" ".join(words))
    return "\\N".join(rows)


@dataclass(frozen=True)
class Event:
    """One ASS event; times in whole centiseconds, ASS's own resolution."""

    start: int
    end: int
    text: str


def events(cues: Sequence[Cue], style: SubtitleStyle) -> list[Event]:
    timed: list[tuple[float, float, str]] = []
    for cue in cues:
        if style != "tiktok_highlight":
            timed.append((cue.start, cue.end, _text(cue, None)))
            continue
        # One event per word: the whole cue, with the word being spoken lit, until the next.
        words = [w for line in cue.lines for w in line]
        for j, word in enumerate(words):
            start = cue.start if j == 0 else max(cue.start, word.start)
            end = words[j + 1].start if j + 1 < len(words) else cue.end
            timed.append((start, min(end, cue.end), _text(cue, word)))
    found = [Event(max(0, round(a * 100)), round(b * 100), text) for a, b, text in timed]
    return [e for e in found if e.end > e.start]


def _header(
    style: SubtitleStyle,
    position: SubtitlePosition,
    size: tuple[int, int],
    font: str,
    play_height: int,
) -> list[str]:
    width, height = size
    short = min(size)
    look = _LOOKS[style]
    margin_v = round(height * 0.07)
    margin_h = round(width * 0.06)
    style_line = (
        f"Style: Default,{font},{_font_size(style, size)},{look.primary},&H0000FFFF,"
        f"{look.outline_colour},{look.back_colour},{-1 if look.bold else 0},0,0,0,100,100,0,0,"
        f"{look.border_style},{look.outline * short:.1f},{look.shadow * short:.1f},"
        f"{_ALIGNMENT[position]},{margin_h},{margin_h},{margin_v},1"
    )
    return ass_header(width, play_height, style_line)


def _dialogue(start: int, end: int, text: str) -> str:
    return f"Dialogue: 0,{ass_clock(start / 100)},{ass_clock(end / 100)},Default,,0,0,0,,{text}"


def ass_document(
    cues: Sequence[Cue],
    *,
    style: SubtitleStyle,
    position: SubtitlePosition,
    size: tuple[int, int],
    font: str,
) -> str:
    header = _header(style, position, size, font, size[1])
    body = [_dialogue(e.start, e.end, e.text) for e in events(cues, style)]
    return "\n".join([*header, *body]) + "\n"


@dataclass(frozen=True)
class State:
    """What the subtitles show from `start` to `end` (centiseconds): these events' texts,
    in the document's order (libass stacks simultaneous events in that order)."""

    start: int
    end: int
    texts: tuple[str, ...]


def states(timed: Sequence[Event]) -> list[State]:
    """The distinct pictures of a list of events, in time order; nothing shown is no state."""
    changes: dict[int, list[tuple[int, bool]]] = {}
    for index, event in enumerate(timed):
        changes.setdefault(event.start, []).append((index, True))
        changes.setdefault(event.end, []).append((index, False))
    found: list[State] = []
    active: set[int] = set()
    times = sorted(changes)
    for at, after in itertools.pairwise(times):
        for index, starts in changes[at]:
            if starts:
                active.add(index)
            else:
                active.discard(index)
        if not active:
            continue
        texts = tuple(timed[i].text for i in sorted(active))
        if found and found[-1].end == at and found[-1].texts == texts:
            found[-1] = State(found[-1].start, after, texts)
        else:
            found.append(State(at, after, texts))
    return found


def band(
    style: SubtitleStyle, position: SubtitlePosition, size: tuple[int, int]
) -> tuple[int, int]:
    """Top row and height of a band of the frame that holds every subtitle of this style and
    position: two lines (cues never have more, and lines never wrap) with their outline or
    box, and the vertical margin. Even numbers, so 4:2:0 chroma lines up when it is overlaid."""
    height = size[1]
    short = min(size)
    look = _LOOKS[style]
    font_size = _font_size(style, size)
    # DejaVu Sans is 1.16 em from ascender to descender; 1.5 em a line leaves room to spare.
    text = 2 * 1.5 * font_size + 2 * (look.outline + look.shadow) * short + 8
    if position == "middle":
        tall = min(height, 4 * ((round(text) + 3) // 4) + height % 4)
        return (height - tall) // 2, tall
    tall = min(height, 2 * ((round(text + height * 0.07) + 1) // 2))
    return (0 if position == "top" else height - tall), tall


def band_document(
    timed: Sequence[Event],
    *,
    style: SubtitleStyle,
    position: SubtitlePosition,
    size: tuple[int, int],
    font: str,
) -> str:
    """The events for drawing on the band alone: with the band's height as PlayResY and the
    frame's margins, libass places them where it would on the whole frame."""
    _, tall = band(style, position, size)
    header = _header(style, position, size, font, tall)
    return "\n".join([*header, *(_dialogue(e.start, e.end, e.text) for e in timed)]) + "\n"


def opaque(style: SubtitleStyle) -> bool:
    """Whether every colour this style draws is fully opaque (ASS alpha 00)."""
    look = _LOOKS[style]
    used = [look.primary, HIGHLIGHT]
    if look.outline or look.border_style == 3:
        used.append(look.outline_colour)
    if look.shadow:
        used.append(look.back_colour)
    return all(colour.startswith("&H00") for colour in used)
