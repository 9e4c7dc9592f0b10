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

import asyncio
from dataclasses import dataclass
from pathlib import Path

from contracts.video import SubtitleOptions
from runtime.captions import Cue
from services.video.ffmpeg import filter_path
from services.video.subtitles import State, band, band_document, events, opaque, states

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
    # (start, seconds) of a fade-in of the whole band: cheaper than libass's own translucency.
    fade_in: tuple[float, float] | None = None
    opacity: float = 1.0  # of the whole band, multiplied in once per change

    def filter(self, start: int, end: int, fps: int, label: str = "sub") -> str | None:
        """Filter chains ending in [label], the band drawn at each change within frames
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
        back = f"setpts=PTS-{start},{TO_YUVA}[{label}]"
        if self.opaque:
            fade = (
                f",fade=t=in:st={self.fade_in[0]:.6f}:d={self.fade_in[1]:.6f}:alpha=1"
                if self.fade_in
                else ""
            )
            if self.opacity < 1:
                fade += f",lut=a=val*{self.opacity:.3f}"
            return f"{shift},{TO_YUVA},{draw}:alpha=1{fade},{back}"
        straight = "if(y,min(255,(x*255+y/2)/y),0)"
        return (
            f"{shift},format=gbrp,split[{label}_ob][{label}_ow];"
            f"[{label}_ob]{draw},split[{label}_b][{label}_c];[{label}_ow]negate,{draw}[{label}_w];"
            f"[{label}_w][{label}_b]blend=all_mode=difference,negate,split[{label}_o][{label}_a];"
            f"[{label}_c][{label}_o]lut2=c0='{straight}':c1='{straight}':c2='{straight}'"
            f"[{label}_s];[{label}_a]extractplanes=g[{label}_g];[{label}_s][{label}_g]alphamerge,"
            f"{back}"
        )


def fonts_folder(path: Path) -> Path | None:
    """The fonts folder for libass, if this host has it (else libass asks fontconfig)."""
    return path if path.is_dir() else None


def font_family_files(fonts_dir: Path | None, font: str, dest: Path) -> Path | None:
    """A folder of only the files of `font` (its regular and bold faces, named as DejaVu's
    are) in `fonts_dir`: libass reads every file of its fonts folder into memory, in every
    segment process. The whole folder when it has no such files. Blocking."""
    if fonts_dir is None:
        return None
    base = font.replace(" ", "")
    found = [p for p in (fonts_dir / f"{base}.ttf", fonts_dir / f"{base}-Bold.ttf") if p.is_file()]
    if not found:
        return fonts_dir
    dest.mkdir(exist_ok=True)
    for source in found:
        (dest / source.name).symlink_to(source)
    return dest


async def subtitle_layer(
    cues: list[Cue] | None,
    options: SubtitleOptions | None,
    size: tuple[int, int],
    fps: int,
    work: Path,
    *,
    font: str,
    fonts_dir: Path,
) -> SubtitleLayer | None:
    """The subtitles as a layer each segment draws at its changes."""
    if cues is None or options is None:
        return None
    timed = events(cues, options.style)
    shown = states(timed)
    if not shown:
        return None
    top, tall = band(options.style, options.position, size)
    document = work / "band.ass"
    text = band_document(
        timed, style=options.style, position=options.position, size=size, font=font
    )
    await asyncio.to_thread(document.write_text, text, encoding="utf-8")
    return SubtitleLayer(
        ass=document,
        fonts_dir=await asyncio.to_thread(
            font_family_files, fonts_folder(fonts_dir), font, work / "band.fonts"
        ),
        width=size[0],
        height=tall,
        top=top,
        opaque=opaque(options.style),
        showing=in_frames(shown, fps),
    )
