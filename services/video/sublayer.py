"""Burned subtitles of a render: libass draws each change of the subtitles once, on a band of
the frame, and `overlay` blends that band into every frame.

FFmpeg's `subtitles` filter re-blends every glyph, outline and shadow bitmap into every frame
in plain C: about 2.6 ms per 1080p frame here. The subtitles change only a few times a second,
so each segment reads a tiny transparent picture once per change (the concat demuxer times it
exactly), libass draws the state of that moment on it, and `overlay` blends the band into
each frame with SIMD: about 0.3 ms a frame, and a few ms per change.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from services.video.ffmpeg import filter_path
from services.video.subtitles import State

# The band picture is RGBA; overlaid in BT.709 limited range like the frames.
TO_YUVA = "scale=out_color_matrix=bt709:out_range=tv,format=yuva420p"


def in_frames(shown: list[State], fps: int) -> list[tuple[int, int]]:
    """The frames [first, last) of each state. libass shows an event on a frame whose time t
    satisfies start <= t < end, so a state starts at frame ceil(start * fps)."""
    spans = [(-(-s.start * fps // 100), -(-s.end * fps // 100)) for s in shown]
    return [(a, b) for a, b in spans if b > a]


def blank_picture(path: Path, width: int, height: int) -> None:
    """A transparent picture of the band (blocking: a few ms)."""
    Image.new("RGBA", (width, height)).save(path, format="PNG", compress_level=1)


@dataclass(frozen=True)
class SubtitleLayer:
    ass: Path  # events in the whole video's time, drawn on the band (band_document)
    fonts_dir: Path | None
    blank: Path
    top: int  # the band's first row in the frame
    opaque: bool  # every colour of the style is opaque (see the filter)
    showing: list[tuple[int, int]]  # frames [first, last) of each state (in_frames)

    def script(self, start: int, end: int, fps: int) -> str | None:
        """An ffconcat script with one picture per change within frames [start, end), timed
        from `start` (time base 1/fps: exact); None when no subtitle shows in them."""
        if not any(a < end and b > start for a, b in self.showing):
            return None
        inside = {c for span in self.showing for c in span if start < c < end}
        points = [start, *sorted(inside), end]
        quoted = str(self.blank).replace("'", "'\\''")
        lines = ["ffconcat version 1.0"]
        for a, b in itertools.pairwise(points):
            lines += [
                f"file '{quoted}'",
                f"option framerate {fps}",
                f"duration {(b - a) / fps:.9f}",
            ]
        return "\n".join(lines) + "\n"

    def filter(self, index: int, start: int) -> str:
        """Filter chains from input `index` (the script's pictures) to [sub], the band drawn.

        Opaque styles: libass draws on transparent YUVA with its `alpha` option; where
        coverage is partial the colour is that of the outline (or pure colour over black),
        which is exactly what it draws on the frame. Translucent colours: that option
        multiplies their opacity in twice, so libass draws over black and over white
        instead; where it covers a pixel with opacity A, black becomes A*colour and white
        A*colour + (1 - A)*255: the difference gives A and black divided by A the colour."""
        fonts = f":fontsdir={filter_path(self.fonts_dir)}" if self.fonts_dir else ""
        draw = f"subtitles=filename={filter_path(self.ass)}{fonts}"
        # The events carry the whole video's times; this segment's frames count from 0.
        shift = f"[{index}:v]setpts=PTS+{start}"
        back = f"setpts=PTS-{start},{TO_YUVA}[sub]"
        if self.opaque:
            return f"{shift},{TO_YUVA},{draw}:alpha=1,{back}"
        straight = "if(y,min(255,(x*255+y/2)/y),0)"
        return (
            f"{shift},format=gbrp,split[over_black][over_white];"
            f"[over_black]{draw},split[black][colour];[over_white]negate,{draw}[white];"
            "[white][black]blend=all_mode=difference,negate,split[opacity][alpha];"
            f"[colour][opacity]lut2=c0='{straight}':c1='{straight}':c2='{straight}'[straight];"
            f"[alpha]extractplanes=g[a];[straight][a]alphamerge,{back}"
        )
