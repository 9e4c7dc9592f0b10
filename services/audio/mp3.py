"""FFmpeg work on narration audio: PCM to MP3, joining MP3 parts, reading a file's duration.

The encoder writes a Xing/LAME header carrying its delay and padding, so decoders trim them
and the MP3's duration is the PCM's to the sample.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

from contracts.errors import ApiError
from runtime.probe import NotMedia, probe

log = logging.getLogger("services.audio.mp3")

MP3_BITRATE = "64k"  # mono speech: transparent enough at 64 kb/s, a tenth of the WAV size


@dataclass(frozen=True)
class AudioFacts:
    duration: float
    sample_rate: int


async def _ffmpeg(args: list[str], stdin: bytes | None, limit_seconds: float) -> None:
    # Without input to feed, -nostdin stops ffmpeg from reading the terminal.
    quiet = ["-hide_banner", "-loglevel", "error", "-y", *(["-nostdin"] if stdin is None else [])]
    proc = await asyncio.create_subprocess_exec(
        imageio_ffmpeg.get_ffmpeg_exe(),
        *quiet,
        *args,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(limit_seconds):
            _, stderr = await proc.communicate(stdin)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        log.error("ffmpeg timed out after %.0f s", limit_seconds)
        raise ApiError(500, "Audio encoding timed out") from None
    if proc.returncode != 0:
        log.error("ffmpeg failed", extra={"stderr": stderr.decode(errors="replace")[-2000:]})
        raise ApiError(500, "Audio encoding failed")


async def encode_mp3(pcm: bytes, sample_rate: int, dest: Path, *, limit_seconds: float) -> None:
    """Mono signed 16-bit PCM to MP3, through ffmpeg's stdin."""
    source = ["-f", "s16le", "-ar", str(sample_rate), "-ac", "1", "-i", "pipe:0"]
    await _ffmpeg(
        [*source, "-c:a", "libmp3lame", "-b:a", MP3_BITRATE, str(dest)], pcm, limit_seconds
    )


async def concat_mp3(parts: list[Path], dest: Path, *, limit_seconds: float) -> None:
    """Decode and re-encode the parts as one MP3, so the result has one exact header."""
    inputs = [arg for part in parts for arg in ("-i", str(part))]
    streams = "".join(f"[{i}:a]" for i in range(len(parts)))
    graph = f"{streams}concat=n={len(parts)}:v=0:a=1[out]"
    encode = ["-map", "[out]", "-c:a", "libmp3lame", "-b:a", "128k", str(dest)]
    await _ffmpeg([*inputs, "-filter_complex", graph, *encode], None, limit_seconds)


async def audio_facts(path: Path, provider: str) -> AudioFacts:
    """Duration and sample rate of an MP3; a provider's unreadable answer is its bad answer."""
    try:
        info = await asyncio.to_thread(probe, path)
    except NotMedia:
        raise ApiError(502, f"{provider} returned audio that could not be decoded") from None
    stream = info.first("audio")
    if stream is None or not stream.sample_rate or info.duration <= 0:
        raise ApiError(502, f"{provider} returned a file without audio")
    return AudioFacts(info.duration, stream.sample_rate)
