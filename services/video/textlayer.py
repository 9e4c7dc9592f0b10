"""Text overlays and the watermark as layers drawn by libass at their changes only.

A run of text overlays that follow each other in the stacking order becomes one ASS document
on one band of the frame (the rows its texts can reach), handed to `SubtitleLayer`: each segment
draws the band once per change (an overlay appearing, each frame of an entrance animation,
each step of the typewriter) and `overlay` blends it into every frame, as it does subtitles.
"""

from __future__ import annotations

import itertools
import math
import textwrap
from dataclasses import dataclass
from pathlib import Path

from contracts.timeline import TextOverlay
from runtime.captions import ass_clock, ass_header, ass_text
from services.video.sublayer import SubtitleLayer

_LINE_HEIGHT = 1.25  # of the font size, with the outline
_CHAR_WIDTH = 0.62  # a generous average advance of DejaVu, of the font size
_SLIDE = 1.2  # slideUp starts this many font sizes below its place
_WATERMARK_SIZE = 0.035  # of the frame's short side
_WATERMARK_OPACITY = 0.6
_STYLE = (
    "Style: Default,DejaVu Sans,48,&H00FFFFFF,&H00FFFFFF,&H00000000,&H00000000,"
    "0,0,0,0,100,100,0,0,1,0,0,5,0,0,0,1"
)


@dataclass(frozen=True)
class TimedText:
    overlay: TextOverlay
    first: int  # frames [first, last) of the whole video
    last: int


def _colour(hex_rgb: str) -> str:
    r, g, b = hex_rgb[1:3], hex_rgb[3:5], hex_rgb[5:7]
    return f"&H{b}{g}{r}&"


def _clock(frame: int, fps: int) -> str:
    # libass shows an event on frame f (time f/fps, in whole ms) when start <= time < end:
    # whole centiseconds rounded down put each boundary exactly on its frame.
    return ass_clock(math.floor(frame * 100 / fps) / 100)


def _font_px(overlay: TextOverlay, size: tuple[int, int]) -> int:
    return max(6, round(overlay.font_size * min(size) / 1080))


def _lines(overlay: TextOverlay, size: tuple[int, int]) -> list[str]:
    px = _font_px(overlay, size)
    width = max(4, int(size[0] * 0.92 / (px * _CHAR_WIDTH)))
    lines: list[str] = []
    for paragraph in overlay.text.splitlines() or [""]:
        lines += textwrap.wrap(paragraph, width) or [""]
    return lines


def rows(item: TimedText, size: tuple[int, int]) -> tuple[float, float]:
    """The frame rows the overlay's text can reach, its animation included."""
    overlay = item.overlay
    px = _font_px(overlay, size)
    tall = len(_lines(overlay, size)) * px * _LINE_HEIGHT + px * 0.5
    middle = overlay.position.y * size[1] / 100
    below = px * _SLIDE if overlay.animation == "slideUp" else 0.0
    return middle - tall / 2, middle + tall / 2 + below


def _band(items: list[TimedText], size: tuple[int, int]) -> tuple[int, int]:
    """The band's first row and height: every row the run's texts can reach."""
    tops, bottoms = zip(*(rows(item, size) for item in items), strict=True)
    top = max(0, math.floor(min(tops) / 2) * 2)
    bottom = min(size[1], math.ceil(max(bottoms) / 2) * 2)
    return top, max(2, bottom - top)


def _override(overlay: TextOverlay, x: float, y: float, px: int, fps: int) -> str:
    anchor = {"left": 4, "center": 5, "right": 6}[overlay.text_align]
    outline = max(1.0, px / 18)
    tags = (
        f"\\an{anchor}\\fn{overlay.font_family}\\fs{px}\\b{int(overlay.font_weight == 'bold')}"
        f"\\i{int(overlay.font_style == 'italic')}\\c{_colour(overlay.color)}"
        f"\\3c&H000000&\\bord{outline:.1f}\\shad0"
    )
    ms = round(overlay.animation_seconds * 1000)
    if overlay.animation == "slideUp":
        return f"{{{tags}\\move({x:.1f},{y + px * _SLIDE:.1f},{x:.1f},{y:.1f},0,{ms})}}"
    return f"{{{tags}\\pos({x:.1f},{y:.1f})}}"


def _animation_frames(item: TimedText, fps: int) -> int:
    if item.overlay.animation == "none":
        return 0
    return min(item.last - item.first, max(1, round(item.overlay.animation_seconds * fps)))


def _typed_steps(item: TimedText, fps: int) -> list[tuple[int, int]]:
    """(first frame, characters shown) of each step of the typewriter."""
    count = len(item.overlay.text)
    frames = _animation_frames(item, fps)
    steps: dict[int, int] = {}
    for shown in range(1, count + 1):
        steps.setdefault(item.first + (shown - 1) * frames // count, shown)
    return sorted(steps.items())


def _dialogues(item: TimedText, layer: int, size: tuple[int, int], top: int, fps: int) -> list[str]:
    overlay = item.overlay
    px = _font_px(overlay, size)
    x = overlay.position.x * size[0] / 100
    y = overlay.position.y * size[1] / 100 - top
    head = _override(overlay, x, y, px, fps)
    lines = _lines(overlay, size)
    if overlay.animation != "typewriter":
        text = ass_text("\n".join(lines))
        return [
            f"Dialogue: {layer},{_clock(item.first, fps)},{_clock(item.last, fps)},"
            f"Default,,0,0,0,,{head}{text}"
        ]
    # Untyped characters are drawn fully transparent, so the typed ones never move.
    joined = "\n".join(lines)
    steps = _typed_steps(item, fps)
    out = []
    for k, (frame, shown) in enumerate(steps):
        end = steps[k + 1][0] if k + 1 < len(steps) else item.last
        typed, rest = joined[:shown], joined[shown:]
        text = ass_text(typed) + ("{\\alpha&HFF&}" + ass_text(rest) if rest else "")
        out.append(
            f"Dialogue: {layer},{_clock(frame, fps)},{_clock(end, fps)},"
            f"Default,,0,0,0,,{head}{text}"
        )
    return out


def _spans(items: list[TimedText], fps: int) -> list[tuple[int, int]]:
    """Frames [first, last) of each state the run shows: between two changes nothing moves."""
    changes: set[int] = set()
    for item in items:
        changes |= {item.first, item.last}
        if item.overlay.animation == "typewriter":
            changes |= {frame for frame, _ in _typed_steps(item, fps)}
        else:
            changes |= set(range(item.first, item.first + _animation_frames(item, fps)))
    edges = sorted(changes)
    return [
        (a, b)
        for a, b in itertools.pairwise(edges)
        if any(item.first <= a < item.last for item in items)
    ]


_FILES = {"DejaVu Sans": "DejaVuSans", "DejaVu Serif": "DejaVuSerif",
          "DejaVu Sans Mono": "DejaVuSansMono"}  # fmt: skip


def _font_files(items: list[TimedText], fonts_dir: Path | None, dest: Path) -> Path | None:
    """A folder of only the font files the run uses: libass reads every file of its fonts
    folder into memory, in every segment process."""
    if fonts_dir is None:
        return None
    dest.mkdir(exist_ok=True)
    for item in items:
        overlay = item.overlay
        base = _FILES[overlay.font_family]
        bold = overlay.font_weight == "bold"
        slanted = overlay.font_style == "italic"
        suffixes = [("Bold" if bold else "") + (slant if slanted else "") for slant in
                    ("Oblique", "Italic")]  # fmt: skip
        for suffix in dict.fromkeys(suffixes):
            source = fonts_dir / (f"{base}-{suffix}.ttf" if suffix else f"{base}.ttf")
            target = dest / source.name
            if source.is_file() and not target.exists():
                target.symlink_to(source)
    return dest


def text_layer(
    items: list[TimedText], size: tuple[int, int], fps: int, dest: Path, fonts_dir: Path | None
) -> SubtitleLayer:
    """One layer for a run of text overlays (later ones on top). Blocking: writes `dest`.
    A fadeIn overlay has a layer of its own: the whole band fades in."""
    top, tall = _band(items, size)
    lines = ass_header(size[0], tall, _STYLE)
    for layer, item in enumerate(items):
        lines += _dialogues(item, layer, size, top, fps)
    dest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    first = items[0]
    fade = (
        (first.first / fps, _animation_frames(first, fps) / fps)
        if first.overlay.animation == "fadeIn"
        else None
    )
    return SubtitleLayer(
        ass=dest,
        fonts_dir=_font_files(items, fonts_dir, dest.with_suffix(".fonts")),
        width=size[0],
        height=tall,
        top=top,
        opaque=True,
        showing=_spans(items, fps),
        fade_in=fade,
    )


def watermark_layer(
    text: str,
    size: tuple[int, int],
    total_frames: int,
    fps: int,
    dest: Path,
    fonts_dir: Path | None,
) -> SubtitleLayer:
    """The watermark: translucent white text in the bottom right corner of every frame."""
    px = max(10, round(min(size) * _WATERMARK_SIZE))
    tall = math.ceil(px * 1.6 / 2) * 2
    margin = round(px * 0.8)
    lines = ass_header(size[0], tall, _STYLE)
    lines.append(
        f"Dialogue: 0,{_clock(0, fps)},{_clock(total_frames + fps, fps)},Default,,0,0,0,,"
        f"{{\\an6\\pos({size[0] - margin},{tall // 2})\\fs{px}\\b1"
        f"\\3c&H000000&\\bord{max(1, px // 14)}\\shad0}}{ass_text(text)}"
    )
    dest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    bold = TextOverlay(type="text", text=text, font_weight="bold")
    return SubtitleLayer(
        ass=dest,
        fonts_dir=_font_files(
            [TimedText(bold, 0, total_frames)], fonts_dir, dest.with_suffix(".fonts")
        ),
        width=size[0],
        height=tall,
        top=(size[1] - tall - margin // 2) // 2 * 2,
        opaque=True,
        showing=[(0, total_frames)],
        opacity=_WATERMARK_OPACITY,
    )
