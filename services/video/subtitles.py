"""Burned-in subtitles: cues from word timings (contracts.captions) or from an SRT/VTT file,
written as an ASS document styled for the frame size, which libass then draws."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from contracts.audio import WordTiming
from contracts.captions import Cue, build_cues
from contracts.video import SubtitlePosition, SubtitleStyle

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


def _clock(seconds: float) -> str:
    centis = max(0, round(seconds * 100))
    hours, rest = divmod(centis, 360_000)
    minutes, rest = divmod(rest, 6000)
    secs, centis = divmod(rest, 100)
    return f"{hours:d}:{minutes:02d}:{secs:02d}.{centis:02d}"


def _escape(text: str) -> str:
    # ASS has no escape for braces or backslashes: they would start override tags.
    return " ".join(text.split()).replace("\\", "/").replace("{", "(").replace("}", ")")


def _text(cue: Cue, lit: WordTiming | None) -> str:
    rows = []
    for line in cue.lines:
        words = []
        for word in line:
            text = _escape(word.word)
            words.append(f"{{\\c{HIGHLIGHT}}}{text}{{\\r}}" if word is lit else text)
        rows.append(" ".join(words))
    return "\\N".join(rows)


def ass_document(
    cues: Sequence[Cue],
    *,
    style: SubtitleStyle,
    position: SubtitlePosition,
    size: tuple[int, int],
    font: str,
) -> str:
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
    header = [
        "[Script Info]",
        "ScriptType: v4.00+",
        f"PlayResX: {width}",
        f"PlayResY: {height}",
        "WrapStyle: 2",  # lines are already broken: never wrap again
        "ScaledBorderAndShadow: yes",
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
        style_line,
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    events = []
    for cue in cues:
        if style != "tiktok_highlight":
            events.append((cue.start, cue.end, _text(cue, None)))
            continue
        # One event per word: the whole cue, with the word being spoken lit, until the next.
        words = [w for line in cue.lines for w in line]
        for j, word in enumerate(words):
            start = cue.start if j == 0 else max(cue.start, word.start)
            end = words[j + 1].start if j + 1 < len(words) else cue.end
            if end > start:
                events.append((start, min(end, cue.end), _text(cue, word)))
    body = [
        f"Dialogue: 0,{_clock(start)},{_clock(end)},Default,,0,0,0,,{text}"
        for start, end, text in events
    ]
    return "\n".join([*header, *body]) + "\n"
