"""Burned subtitles of a render: libass draws each change of the subtitles once, on a band of
the frame, and `overlay` blends that band into every frame.

FFmpeg's `subtitles` filter re-blends every glyph, outline and shadow bitmap into every frame
in plain C. The subtitles change only a few times a second, so each segment generates a
transparent band in its filter graph, keeps one picture per change (`select`), libass draws
the state of that moment on it, and `overlay` blends the band into each frame with SIMD: the
drawing is paid once per change, not once per frame. Generated in the graph, the band costs no
demuxer, decoder or queue of decoded pictures, as reading a picture file per change would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from services.video.ffmpeg import filter_path
from services.video.subtitles import State

# The band picture is RGBA; overlaid in BT.709 limited range like the frames.
TO_YUVA = "scale=out_color_matrix=bt709:out_range=tv,format=yuva420p"


def in_frames(shown: list[State], fps: int) -> list[tuple[int, int]]:
    """The frames [first, last) of each state. libass shows an event on a frame whose time t
    satisfies start <= t < end, so a state starts at frame ceil(start * fps)."""
    spans = [(-(-s.start * fps // 100), -(-s.end * fps // 100)) for s in shown]
    return [(a, b) for a, b in spans if b > a]


@dataclass(frozen=True)
class SubtitleLayer:
    ass: Path  # events in the whole video's time, drawn on the band (band_document)
    fonts_dir: Path | None
    width: int  # the band's size
    height: int
    top: int  # the band's first row in the frame
    opaque: bool  # every colour of the style is opaque (see the filter)
    showing: list[tuple[int, int]]  # frames [first, last) of each state (in_frames)

    def filter(self, start: int, end: int, fps: int) -> str | None:
        """Filter chains ending in [sub], the band drawn at each change within frames
        [start, end), timed from `start` (time base 1/fps: exact); None when no subtitle
        shows in them.

        Opaque styles: libass draws on transparent YUVA with its `alpha` option; where
        coverage is partial the colour is that of the outline (or pure colour over black),
        which is exactly what it draws on the frame. Translucent colours: that option
        multiplies their opacity in twice, so libass draws over black and over white
        instead; where it covers a pixel with opacity A, black becomes A*colour and white
        A*colour + (1 - A)*255: the difference gives A and black divided by A the colour."""
        if not any(a < end and b > start for a, b in self.showing):
            return None
        changes = sorted({c - start for span in self.showing for c in span if start < c < end})
        keep = "+".join(f"eq(n,{c})" for c in [0, *changes])
        fonts = f":fontsdir={filter_path(self.fonts_dir)}" if self.fonts_dir else ""
        draw = f"subtitles=filename={filter_path(self.ass)}{fonts}"
        # The events carry the whole video's times; this segment's frames count from 0.
        shift = (
            f"color=c=black@0:s={self.width}x{self.height}:r={fps}:d={(end - start) / fps:.9f},"
            f"format=yuva420p,select='{keep}',setpts=PTS+{start}"
        )
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
