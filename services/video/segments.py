"""FFmpeg command lines: one per segment, then the join, the mux and the thumbnail.

Segments are encoded with identical x264 settings and each starts on a keyframe, so the concat
demuxer joins them with `-c copy`: the only encode of every frame is its segment's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from services.video.ffmpeg import filter_path
from services.video.motion import Move, motion_filter
from services.video.sublayer import SubtitleLayer
from services.video.timeline import Plan, Segment

# Tags the frames so the encoder writes BT.709 into the stream (players assume 601 otherwise).
BT709 = "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv"
# PPM canvases are full-range RGB: converted to limited-range BT.709 YUV once per segment.
TO_YUV = "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"
# xfade takes only formats whose planes share one size: its scenes move in 4:4:4 (converted
# from the canvas once), else FFmpeg would convert every blended frame twice on the way in.
TO_YUV444 = "scale=out_color_matrix=bt709:out_range=tv,format=yuv444p"


@dataclass(frozen=True)
class Encoding:
    preset: str
    crf: int
    fps: int
    threads: int

    def args(self) -> list[str]:
        return [
            "-c:v",
            "libx264",
            "-preset",
            self.preset,
            "-crf",
            str(self.crf),
            "-threads",
            str(self.threads),
            "-g",
            str(self.fps * 4),
            # Every segment starts on a keyframe at a scene change already; without B-frames
            # superfast encodes these frames faster at the same CRF.
            "-bf",
            "0",
            "-sc_threshold",
            "0",
            "-r",
            str(self.fps),
            "-pix_fmt",
            "yuv420p",
            "-colorspace",
            "bt709",
            "-color_primaries",
            "bt709",
            "-color_trc",
            "bt709",
            "-color_range",
            "tv",
        ]


@dataclass(frozen=True)
class Subtitles:
    """An ASS file burned by libass into every frame (/burn-subtitles: one pass, no segments)."""

    ass: Path
    fonts_dir: Path | None

    def filter(self) -> str:
        fonts = f":fontsdir={filter_path(self.fonts_dir)}" if self.fonts_dir else ""
        return f"subtitles=filename={filter_path(self.ass)}{fonts}"


def segment_args(
    segment: Segment,
    plan: Plan,
    *,
    canvases: list[Path],
    moves: list[Move | None],
    size: tuple[int, int],
    transition: str,
    subtitles: SubtitleLayer | None,
    encoding: Encoding,
    out: Path,
) -> list[str]:
    fps = plan.fps
    inputs: list[str] = []
    for scene in segment.scenes:
        inputs += ["-i", str(canvases[scene])]

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

    blend, rest = segment.blend, segment.frames - segment.blend
    if not blend:
        chains = [f"[0:v]{TO_YUV},{moving(0, segment.start, segment.frames)}[v]"]
    else:
        # xfade costs time on every frame it passes, even after its transition: it gets
        # only the blended frames, and the rest of the incoming scene joins through concat.
        xfade = (
            f"[s0][s1]xfade=transition={transition}:duration={blend / fps:.6f}:offset=0,"
            "format=yuv420p"
        )
        chains = [
            f"[0:v]{TO_YUV444},{moving(0, segment.start, blend)}[s0]",
            f"[1:v]split[r1][r2];[r2]{TO_YUV}[c2]" if rest else "[1:v]null[r1]",
            f"[r1]{TO_YUV444},{moving(1, segment.start, blend)}[s1]",
            f"{xfade}[x]" if rest else f"{xfade}[v]",
        ]
        if rest:
            chains += [
                f"[c2]{moving(1, segment.start + blend, rest)}[s2]",
                "[x][s2]concat=n=2:v=1:a=0[v]",
            ]
    band = subtitles and subtitles.filter(segment.start, segment.end, fps)
    if subtitles is not None and band:
        chains += [
            band,
            f"[v][sub]overlay=x=0:y={subtitles.top}:format=yuv420:eof_action=repeat,{BT709}[out]",
        ]
    else:
        chains.append(f"[v]{BT709}[out]")
    return [
        *inputs,
        "-filter_complex",
        ";".join(chains),
        "-map",
        "[out]",
        "-frames:v",
        str(segment.frames),
        *encoding.args(),
        "-an",
        "-f",
        "mp4",
        "-y",
        str(out),
    ]


def concat_list(paths: list[Path]) -> str:
    lines = []
    for path in paths:
        quoted = str(path).replace("'", "'\\''")
        lines.append(f"file '{quoted}'")
    return "\n".join(lines) + "\n"


def mux_args(concat_file: Path, audio: Path, out: Path) -> list[str]:
    return [
        "-f",
        "concat",
        "-safe",
        "0",
        "-i",
        str(concat_file),
        "-i",
        str(audio),
        "-map",
        "0:v:0",
        "-map",
        "1:a:0",
        "-c",
        "copy",
        "-movflags",
        "+faststart",
        "-y",
        str(out),
    ]


def thumbnail_args(video: Path, at_seconds: float, out: Path) -> list[str]:
    return [
        "-ss",
        f"{at_seconds:.3f}",
        "-i",
        str(video),
        "-frames:v",
        "1",
        "-vf",
        "scale='min(640,iw)':-2",
        "-q:v",
        "3",
        "-y",
        str(out),
    ]
