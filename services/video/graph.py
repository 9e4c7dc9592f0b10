"""One segment's FFmpeg command line: its scenes' backgrounds (moving stills or video clips),
the transition, then every overlay layer in stacking order, the subtitles and the watermark.

Segments are encoded with identical settings and each starts on a keyframe, so the concat
demuxer joins them with `-c copy`: the only encode of every frame is its segment's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from contracts.video import Fit
from services.video.motion import Move, motion_filter
from services.video.segments import BT709, TO_YUV, TO_YUV444, Encoding
from services.video.sublayer import TO_YUVA, SubtitleLayer
from services.video.timeline import Plan, Segment


@dataclass(frozen=True)
class Still:
    """A scene image fitted onto its canvas (canvas.fit_canvas), moved by the template."""

    canvas: Path


@dataclass(frozen=True)
class Clip:
    """A video clip under a scene, from `start` seconds of it, looped when shorter."""

    path: Path
    start: float
    length: float  # seconds of the source
    fit: Fit


@dataclass(frozen=True)
class Picture:
    """An overlay picture (canvas.fit_picture) with its top left corner at x, y, shown on
    the frames [first, last) of each span of the whole video."""

    path: Path
    x: int
    y: int
    spans: list[tuple[int, int]]

    def enable(self, start: int, end: int) -> str | None:
        """The overlay's `enable` expression in the segment's own frame numbers."""
        parts = [
            f"between(n,{max(a, start) - start},{min(b, end) - start - 1})"
            for a, b in self.spans
            if a < end and b > start
        ]
        return "+".join(parts) or None


Source = Still | Clip
Layer = SubtitleLayer | Picture


def _clip_filter(clip: Clip, frames: int, size: tuple[int, int], fps: int, fmt: str) -> str:
    width, height = size
    colour = "out_color_matrix=bt709:out_range=tv:force_divisible_by=2"
    if clip.fit == "cover":
        fitted = (
            f"scale={width}:{height}:force_original_aspect_ratio=increase:{colour},"
            f"crop={width}:{height}"
        )
    else:
        fitted = (
            f"scale={width}:{height}:force_original_aspect_ratio=decrease:{colour},"
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2"
        )
    return (
        f"fps={fps},trim=end_frame={frames},settb=1/{fps},setpts=N,{fitted},setsar=1,format={fmt}"
    )


class _Graph:
    def __init__(self) -> None:
        self.inputs: list[str] = []
        self.count = 0

    def add(self, *args: str) -> int:
        self.inputs += args
        self.count += 1
        return self.count - 1


def segment_args(
    segment: Segment,
    plan: Plan,
    *,
    sources: list[Source],
    moves: list[Move | None],
    size: tuple[int, int],
    transition: str,
    layers: list[Layer],
    subtitles: SubtitleLayer | None,
    watermark: SubtitleLayer | None,
    encoding: Encoding,
    out: Path,
) -> list[str]:
    fps = plan.fps
    graph = _Graph()
    stills = {
        j: graph.add("-i", str(source.canvas))
        for j, scene in enumerate(segment.scenes)
        if isinstance(source := sources[scene], Still)
    }

    def moving(j: int, start: int, frames: int) -> str:
        scene = segment.scenes[j]
        clip = plan.clips[scene]
        return motion_filter(
            moves[scene],
            offset=start - clip.first,
            frames=frames,
            clip_frames=clip.length,
            size=size,
            fps=fps,
        )

    def clip_piece(j: int, start: int, frames: int, fmt: str) -> str:
        scene = segment.scenes[j]
        source = sources[scene]
        assert isinstance(source, Clip)
        offset = (source.start + (start - plan.clips[scene].first) / fps) % source.length
        k = graph.add("-stream_loop", "-1", "-ss", f"{offset:.6f}", "-i", str(source.path))
        return f"[{k}:v]{_clip_filter(source, frames, size, fps, fmt)}"

    blend, rest = segment.blend, segment.frames - segment.blend
    if not blend:
        first = (
            f"[{stills[0]}:v]{TO_YUV},{moving(0, segment.start, segment.frames)}"
            if 0 in stills
            else clip_piece(0, segment.start, segment.frames, "yuv420p")
        )
        chains = [f"{first}[v]"]
    else:
        # xfade costs time on every frame it passes, even after its transition: it gets
        # only the blended frames, and the rest of the incoming scene joins through concat.
        xfade = (
            f"[s0][s1]xfade=transition={transition}:duration={blend / fps:.6f}:offset=0,"
            "format=yuv420p"
        )
        outgoing = (
            f"[{stills[0]}:v]{TO_YUV444},{moving(0, segment.start, blend)}"
            if 0 in stills
            else clip_piece(0, segment.start, blend, "yuv444p")
        )
        chains = [f"{outgoing}[s0]"]
        if 1 in stills:
            chains += [
                f"[{stills[1]}:v]split[r1][r2];[r2]{TO_YUV}[c2]"
                if rest
                else f"[{stills[1]}:v]null[r1]",
                f"[r1]{TO_YUV444},{moving(1, segment.start, blend)}[s1]",
            ]
            if rest:
                chains.append(f"[c2]{moving(1, segment.start + blend, rest)}[s2]")
        else:
            chains.append(f"{clip_piece(1, segment.start, blend, 'yuv444p')}[s1]")
            if rest:
                chains.append(f"{clip_piece(1, segment.start + blend, rest, 'yuv420p')}[s2]")
        chains.append(f"{xfade}[x]" if rest else f"{xfade}[v]")
        if rest:
            chains.append("[x][s2]concat=n=2:v=1:a=0[v]")
    current = "v"
    stack: list[tuple[str, Layer]] = [("l", layer) for layer in layers]
    stack += [("sub", layer) for layer in (subtitles,) if layer is not None]
    stack += [("mark", layer) for layer in (watermark,) if layer is not None]
    # Labels count only the layers this segment draws: an overlay added to another scene
    # leaves this segment's command line (and its cache key) as it was.
    drawn = 0
    for kind, layer in stack:
        label = f"{kind}{drawn}" if kind == "l" else kind
        if isinstance(layer, SubtitleLayer):
            band = layer.filter(segment.start, segment.end, fps, label)
            if band is None:
                continue
            chains += [
                band,
                f"[{current}][{label}]overlay=x=0:y={layer.top}:format=yuv420:"
                f"eof_action=repeat[{label}o]",
            ]
        else:
            enable = layer.enable(segment.start, segment.end)
            if enable is None:
                continue
            k = graph.add("-i", str(layer.path))
            chains += [
                f"[{k}:v]{TO_YUVA}[{label}]",
                f"[{current}][{label}]overlay=x={layer.x}:y={layer.y}:format=yuv420:"
                f"eof_action=repeat:enable='{enable}'[{label}o]",
            ]
        current = f"{label}o"
        drawn += kind == "l"
    chains.append(f"[{current}]{BT709}[out]")
    return [
        *graph.inputs,
        "-filter_complex",
        ";".join(chains),
        "-map",
        "[out]",
        "-frames:v",
        str(segment.frames),
        *encoding.args(),
        "-an",
        "-f",
        encoding.format,
        "-y",
        str(out),
    ]
