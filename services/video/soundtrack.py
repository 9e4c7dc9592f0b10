"""The audio track: narration, music ducked under it and faded, loudness-normalised.

Two FFmpeg passes: the first mixes to a WAV and measures its integrated loudness (ebur128), the
second applies the one gain that makes it -14 LUFS, limits the rare peak above -1.5 dBFS and
encodes AAC. A constant gain cannot pump; `loudnorm` would do the same job at 192 kHz, which
measured several times slower.
"""

from __future__ import annotations

import re
from pathlib import Path

from services.video.ffmpeg import run_ffmpeg

TARGET_LUFS = -14.0
TRUE_PEAK = -1.5
SAMPLE_RATE = 48_000
# Music level before ducking at music_volume=1: the loops are made at -20 dBFS RMS.
MUSIC_GAIN = 0.5
SILENCE_LUFS = -60.0
_SUMMARY = re.compile(r"Integrated loudness:\s*I:\s*(-?[\d.]+) LUFS")


def mix_graph(*, duration: float, music: bool, music_volume: float) -> str:
    """Narration padded or trimmed to the video's length; music looped, faded in and out, and
    compressed by the narration (sidechain) so it drops under speech and rises in pauses."""
    voice = (
        f"[0:a]aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo,"
        f"apad,atrim=end={duration:.6f}"
    )
    if not music:
        return f"{voice}[mix]"
    fade_in = min(1.0, duration / 4)
    fade_out = min(2.5, duration / 3)
    return (
        f"{voice},asplit=2[voice][key];"
        f"[1:a]aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo,"
        f"volume={music_volume * MUSIC_GAIN:.4f},atrim=end={duration:.6f},"
        f"afade=t=in:d={fade_in:.3f},"
        f"afade=t=out:st={duration - fade_out:.6f}:d={fade_out:.3f}[bed];"
        "[bed][key]sidechaincompress=threshold=0.015:ratio=10:attack=15:release=450[ducked];"
        "[voice][ducked]amix=inputs=2:duration=first:normalize=0[mix]"
    )


def integrated_loudness(stderr: str) -> float | None:
    """The integrated loudness from ebur128's summary; None for silence (nothing to raise)."""
    found = _SUMMARY.findall(stderr)
    if not found:
        return None
    value = float(found[-1])
    return value if value > SILENCE_LUFS else None


async def build_soundtrack(
    narration: Path,
    music: Path | None,
    out: Path,
    *,
    duration: float,
    music_volume: float,
    bitrate_kbps: int,
    time_limit: float,
) -> None:
    mixed = out.with_suffix(".mix.wav")
    inputs = ["-i", str(narration)]
    if music is not None:
        inputs += ["-stream_loop", "-1", "-i", str(music)]
    graph = mix_graph(duration=duration, music=music is not None, music_volume=music_volume)
    stderr = await run_ffmpeg(
        [
            *inputs,
            "-filter_complex",
            f"{graph};[mix]asplit=2[keep][probe];[probe]ebur128=framelog=quiet[measured]",
            "-map",
            "[keep]",
            "-c:a",
            "pcm_f32le",
            "-y",
            str(mixed),
            "-map",
            "[measured]",
            "-f",
            "null",
            "-",
        ],
        time_limit=time_limit,
        loglevel="info",
    )
    loudness = integrated_loudness(stderr)
    gain = 0.0 if loudness is None else TARGET_LUFS - loudness
    peak = 10 ** (TRUE_PEAK / 20)
    normalise = f"volume={gain:.2f}dB,alimiter=limit={peak:.4f}:level=false"
    await run_ffmpeg(
        [
            "-i",
            str(mixed),
            "-af",
            f"{normalise},aresample={SAMPLE_RATE}",
            "-c:a",
            "aac",
            "-b:a",
            f"{bitrate_kbps}k",
            "-ac",
            "2",
            "-y",
            str(out),
        ],
        time_limit=time_limit,
    )
    mixed.unlink(missing_ok=True)
