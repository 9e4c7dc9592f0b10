"""FFmpeg settings and command lines around the segments (graph.py builds each segment's):
the encoder, the join, the mux and the thumbnail."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from contracts.timeline import VideoFormat
from services.video.ffmpeg import filter_path

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
    format: VideoFormat = "mp4"

    def args(self) -> list[str]:
        if self.format == "webm":
            return self._vp9()
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

    def _vp9(self) -> list[str]:
        # Constant quality (-b:v 0); realtime speed: the only setting near x264 superfast.
        return [
            "-c:v",
            "libvpx-vp9",
            "-crf",
            str(self.crf),
            "-b:v",
            "0",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-row-mt",
            "1",
            "-threads",
            str(self.threads),
            "-g",
            str(self.fps * 4),
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


def concat_list(paths: list[Path]) -> str:
    lines = []
    for path in paths:
        quoted = str(path).replace("'", "'\\''")
        lines.append(f"file '{quoted}'")
    return "\n".join(lines) + "\n"


def mux_args(
    concat_file: Path, audio: Path, out: Path, container: VideoFormat = "mp4"
) -> list[str]:
    # The index before the media (MP4 only), so a player starts before the download ends.
    faststart = ["-movflags", "+faststart"] if container == "mp4" else []
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
        *faststart,
        "-f",
        container,
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
