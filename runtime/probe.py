"""What is inside a media file (duration, streams, codecs), read with FFmpeg's own demuxers.

PyAV links the FFmpeg libraries, so this is ffprobe's answer without needing an ffprobe binary,
which no wheel-only install provides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av


@dataclass(frozen=True)
class StreamInfo:
    kind: str  # "video", "audio", "subtitle", ...
    codec: str
    duration: float | None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    sample_rate: int | None = None
    channels: int | None = None
    pix_fmt: str | None = None
    color_primaries: int | None = None


@dataclass(frozen=True)
class MediaInfo:
    format_name: str
    duration: float
    size: int
    bit_rate: int | None
    streams: list[StreamInfo] = field(default_factory=list)

    def first(self, kind: str) -> StreamInfo | None:
        return next((s for s in self.streams if s.kind == kind), None)


class NotMedia(ValueError):
    """The file is not something FFmpeg can read as audio or video."""


def _seconds(value: int | None, base: Fraction | None) -> float | None:
    if value is None or base is None:
        return None
    return float(value * base)


def probe(path: Path) -> MediaInfo:
    """Blocking: call it through asyncio.to_thread from async code."""
    try:
        container = av.open(str(path))
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        raise NotMedia(f"{path.name} is not a readable media file") from exc
    with container:
        streams = [_stream_info(stream) for stream in container.streams]
        if not any(s.kind in ("audio", "video") for s in streams):
            raise NotMedia(f"{path.name} has no audio or video stream")
        duration = container.duration / av.time_base if container.duration else 0.0
        return MediaInfo(
            format_name=container.format.name,
            duration=float(duration),
            size=path.stat().st_size,
            bit_rate=container.bit_rate or None,
            streams=streams,
        )


def _stream_info(stream: av.stream.Stream) -> StreamInfo:
    duration = _seconds(stream.duration, stream.time_base)
    codec = stream.codec_context.name if stream.codec_context is not None else "unknown"
    if isinstance(stream, av.VideoStream):
        rate = stream.average_rate or stream.guessed_rate
        primaries = stream.codec_context.color_primaries
        return StreamInfo(
            kind="video",
            codec=codec,
            duration=duration,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            fps=float(rate) if rate else None,
            pix_fmt=stream.codec_context.pix_fmt,
            # ISO/IEC 23091-4 code point: 1 is BT.709, 2 is "unspecified".
            color_primaries=int(primaries) if primaries is not None else None,
        )
    if isinstance(stream, av.AudioStream):
        return StreamInfo(
            kind="audio",
            codec=codec,
            duration=duration,
            sample_rate=stream.codec_context.sample_rate,
            channels=stream.codec_context.channels,
        )
    return StreamInfo(kind=stream.type, codec=codec, duration=duration)
