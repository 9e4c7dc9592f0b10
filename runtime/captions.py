"""Subtitle cues from word timings, and their SRT, WebVTT and ASS renderings.

Shared by the audio service (subtitle files) and the video service (burned-in captions). A cue
starts exactly when its first word starts and ends when its last word ends, so captions never
drift from the speech. Cues break at sentence ends and pauses first, then where the lines would
overflow; lines are balanced so that no line holds a lone word when that can be avoided.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contracts.audio import WordTiming

# A silence this long between two words reads as a pause: a good place to change cue.
PAUSE_SECONDS = 0.45
# A cue shorter than this flashes by: it joins a neighbour when they fit together.
MIN_CUE_SECONDS = 0.8
# Full stops, ellipsis and the CJK full-width sentence ends.
_SENTENCE_END = (".", "!", "?", "\u2026", "\u3002", "\uff01", "\uff1f")
# Comma, semicolon, colon, em dash and en dash.
_CLAUSE_END = (",", ";", ":", "\u2014", "\u2013")
# Closing quotes and brackets after the punctuation that ends a sentence.
_CLOSERS = "\"')]\u201d\u2019\u00bb"


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    lines: tuple[tuple[WordTiming, ...], ...]  # 1 or 2 lines

    @property
    def text(self) -> str:
        return "\n".join(" ".join(_clean(w.word) for w in line) for line in self.lines)


def _clean(word: str) -> str:
    # A word carrying a newline would end an SRT cue early; whitespace inside one is noise.
    return " ".join(word.split())


def _stripped(word: str) -> str:
    return _clean(word).rstrip(_CLOSERS)


def _ends_sentence(word: str) -> bool:
    return _stripped(word).endswith(_SENTENCE_END)


def _ends_clause(word: str) -> bool:
    return _stripped(word).endswith(_CLAUSE_END)


@dataclass
class _Layout:
    """Splits a run of words into at most `max_lines` lines of at most `max_chars`."""

    max_chars: int
    max_lines: int

    def lines(self, words: Sequence[WordTiming]) -> list[list[WordTiming]] | None:
        """The most balanced split that fits, or None when the words cannot fit."""
        lengths = [len(_clean(w.word)) for w in words]
        if sum(lengths) + len(lengths) - 1 <= self.max_chars:
            return [list(words)]
        if self.max_lines == 1 or len(words) < 2:
            return None
        best: tuple[tuple[int, int, int], int] | None = None
        for cut in range(1, len(words)):
            top = sum(lengths[:cut]) + cut - 1
            bottom = sum(lengths[cut:]) + len(words) - cut - 1
            if top > self.max_chars or bottom > self.max_chars:
                continue
            lone = int(cut == 1) + int(cut == len(words) - 1)
            # Prefer: no lone word, then breaking after a comma, then balanced lengths.
            score = (lone, int(not _ends_clause(words[cut - 1].word)), abs(top - bottom))
            if best is None or score < best[0]:
                best = (score, cut)
        if best is None:
            return None
        cut = best[1]
        return [list(words[:cut]), list(words[cut:])]

    def fits(self, words: Sequence[WordTiming]) -> bool:
        return self.lines(words) is not None


def _phrases(words: Sequence[WordTiming]) -> list[list[WordTiming]]:
    """Runs of words between sentence ends and pauses: a cue never spans two of them."""
    phrases: list[list[WordTiming]] = [[]]
    for index, word in enumerate(words):
        phrases[-1].append(word)
        following = words[index + 1] if index + 1 < len(words) else None
        if following is None:
            break
        if _ends_sentence(word.word) or following.start - word.end >= PAUSE_SECONDS:
            phrases.append([])
    return [p for p in phrases if p]


def _chunks(
    phrase: list[WordTiming], layout: _Layout, max_cue_seconds: float
) -> list[list[WordTiming]]:
    """Greedy packing of one phrase into cues; on overflow, cut after a late comma if any."""
    chunks: list[list[WordTiming]] = []
    current: list[WordTiming] = []
    for word in phrase:
        candidate = [*current, word]
        too_long = bool(current) and word.end - current[0].start > max_cue_seconds
        if not current or not (too_long or not layout.fits(candidate)):
            current = candidate
            continue
        # Only a comma past the middle: an early cut would leave a thin cue.
        clause = max(
            (j for j in range(len(current) - 1) if _ends_clause(current[j].word)), default=-1
        )
        carried = [*current[clause + 1 :], word]
        if clause >= len(current) // 2 and layout.fits(carried):
            chunks.append(current[: clause + 1])
            current = carried
        else:
            chunks.append(current)
            current = [word]
    if current:
        chunks.append(current)
    if len(chunks) >= 2:
        chunks[-2:] = _balance_tail(chunks[-2], chunks[-1], layout)
    return chunks


def _text_length(words: Sequence[WordTiming]) -> int:
    return sum(len(_clean(w.word)) for w in words) + max(0, len(words) - 1)


def _balance_tail(
    head: list[WordTiming], tail: list[WordTiming], layout: _Layout
) -> list[list[WordTiming]]:
    """A phrase's last cue should not be a scrap ("river."): move words back into it."""
    if _text_length(tail) * 2 >= _text_length(head):
        return [head, tail]
    best = (abs(_text_length(head) - _text_length(tail)), 0)
    for moved in range(1, len(head)):
        new_head, new_tail = head[:-moved], head[-moved:] + tail
        if not layout.fits(new_tail):
            break
        gap = abs(_text_length(new_head) - _text_length(new_tail))
        # A cut after a comma is worth a few characters of imbalance.
        gap -= 8 if _ends_clause(new_head[-1].word) else 0
        if gap < best[0]:
            best = (gap, moved)
    moved = best[1]
    return [head[: len(head) - moved], head[len(head) - moved :] + tail]


def _join_short(
    chunks: list[list[WordTiming]], layout: _Layout, max_cue_seconds: float
) -> list[list[WordTiming]]:
    """Join a too-brief cue ("Why?") to the next one, else to the previous one, if they fit."""

    def joinable(first: list[WordTiming], second: list[WordTiming]) -> bool:
        both = first + second
        return (
            second[0].start - first[-1].end < PAUSE_SECONDS * 2
            and both[-1].end - both[0].start <= max_cue_seconds
            and layout.fits(both)
        )

    def brief(chunk: list[WordTiming]) -> bool:
        return chunk[-1].end - chunk[0].start < MIN_CUE_SECONDS

    joined: list[list[WordTiming]] = []
    pending: list[WordTiming] | None = None

    def settle(chunk: list[WordTiming]) -> None:
        if joined and joinable(joined[-1], chunk):
            joined[-1] = joined[-1] + chunk
        else:
            joined.append(chunk)

    for chunk in chunks:
        if pending is not None:
            if joinable(pending, chunk):
                chunk = pending + chunk
            else:
                settle(pending)
            pending = None
        if brief(chunk):
            pending = chunk
        else:
            joined.append(chunk)
    if pending is not None:
        settle(pending)
    return joined


def build_cues(
    words: Sequence[WordTiming],
    *,
    max_line_chars: int = 42,
    max_lines: int = 2,
    max_cue_seconds: float = 6.0,
) -> list[Cue]:
    if max_line_chars < 1 or max_lines < 1 or max_cue_seconds <= 0:
        raise ValueError("max_line_chars, max_lines and max_cue_seconds must be positive")
    layout = _Layout(max_line_chars, max_lines)
    spoken = [w for w in words if _clean(w.word)]
    chunks = [
        chunk for phrase in _phrases(spoken) for chunk in _chunks(phrase, layout, max_cue_seconds)
    ]
    cues: list[Cue] = []
    for chunk in _join_short(chunks, layout, max_cue_seconds):
        # A single word longer than a line cannot be split: it gets a line of its own.
        lines = layout.lines(chunk) or [chunk]
        start = chunk[0].start
        end = max(chunk[-1].end, start)
        if cues and start < cues[-1].end:
            # Overlapping input timings: end the previous cue where this one starts.
            prev = cues[-1]
            cues[-1] = Cue(prev.start, max(prev.start, start), prev.lines)
        cues.append(Cue(start, end, tuple(tuple(line) for line in lines)))
    return cues


def _clock(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def to_srt(cues: Sequence[Cue]) -> str:
    blocks = [
        f"{n}\n{_clock(c.start, ',')} --> {_clock(c.end, ',')}\n{c.text}\n"
        for n, c in enumerate(cues, start=1)
    ]
    return "\n".join(blocks)


def _vtt_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(cues: Sequence[Cue]) -> str:
    blocks = [
        f"{_clock(c.start, '.')} --> {_clock(c.end, '.')}\n{_vtt_text(c.text)}\n" for c in cues
    ]
    return "\n".join(["WEBVTT\n", *blocks])


def ass_clock(seconds: float) -> str:
    """An ASS timestamp, H:MM:SS.cc (ASS counts in centiseconds)."""
    centis = max(0, round(seconds * 100))
    hours, rest = divmod(centis, 360_000)
    minutes, rest = divmod(rest, 6000)
    secs, centis = divmod(rest, 100)
    return f"{hours:d}:{minutes:02d}:{secs:02d}.{centis:02d}"


def ass_text(text: str) -> str:
    # ASS has no escape for braces or backslashes: they would start override tags.
    safe = text.replace("\\", "/").replace("{", "(").replace("}", ")")
    return safe.replace("\n", "\\N")


def ass_header(width: int, height: int, style_line: str) -> list[str]:
    """Everything of an ASS file before its Dialogue lines, with one `Default` style."""
    return [
        "[Script Info]",
        "ScriptType: v4.00+",
        # The colours are plain RGB: without this, libass treats them as TV-range BT.601
        # (VSFilter's habit) and white comes out grey on an RGB frame.
        "YCbCr Matrix: None",
        f"PlayResX: {width}",
        f"PlayResY: {height}",
        "WrapStyle: 2",  # lines are already broken by build_cues: never wrap again
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


def to_ass(cues: Sequence[Cue], *, width: int = 1920, height: int = 1080) -> str:
    if width <= 0 or height <= 0:
        raise ValueError("width and height must be positive")
    font_size = max(12, round(height * 0.055))
    margin_v = max(10, round(height * 0.06))
    margin_h = max(10, round(width * 0.05))
    outline = max(1, round(height / 360))
    style = (
        f"Style: Default,Arial,{font_size},&H00FFFFFF,&H0000FFFF,&H00000000,&H80000000,"
        f"-1,0,0,0,100,100,0,0,1,{outline},{max(1, outline // 2)},2,"
        f"{margin_h},{margin_h},{margin_v},1"
    )
    header = ass_header(width, height, style)
    events = [
        f"Dialogue: 0,{ass_clock(c.start)},{ass_clock(c.end)},Default,,0,0,0,,{ass_text(c.text)}"
        for c in cues
    ]
    return "\n".join([*header, *events]) + "\n"
