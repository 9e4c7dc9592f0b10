"""The audio track: narration, music and sounds ducked under it and faded, loudness-normalised.

Two FFmpeg passes: the first mixes to a WAV and measures its integrated loudness (ebur128), the
second applies the one gain that makes it -14 LUFS, limits the rare peak above -1.5 dBFS and
encodes AAC. A constant gain cannot pump; `loudnorm` would do the same job at 192 kHz, which
measured several times slower.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from services.video.ffmpeg import run_ffmpeg

TARGET_LUFS = -14.0
TRUE_PEAK = -1.5
SAMPLE_RATE = 48_000
# Music level before ducking at music_volume=1: the loops are made at -20 dBFS RMS.
MUSIC_GAIN = 0.5
SILENCE_LUFS = -60.0
_SUMMARY = re.compile(r"Integrated loudness:\s*I:\s*(-?[\d.]+) LUFS")


@dataclass(frozen=True)
class Bed:
    """Music or a sound under the narration, heard from `start` to `end` seconds of the video."""

    path: Path
    gain: float
    start: float
    end: float
    fade_in: float = 0.0
    fade_out: float = 0.0
    duck: bool = True  # compressed by the narration (sidechain): drops under speech
    loop: bool = False


def music_bed(path: Path, *, duration: float, volume: float, gain: float = MUSIC_GAIN) -> Bed:
    """Music under the whole video, faded in and out."""
    return Bed(
        path,
        volume * gain,
        0.0,
        duration,
        fade_in=min(1.0, duration / 4),
        fade_out=min(2.5, duration / 3),
        loop=True,
    )


def _bed_chain(n: int, bed: Bed, duration: float) -> str:
    length = bed.end - bed.start
    chain = (
        f"[{n}:a]aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo,"
        f"volume={bed.gain:.4f},atrim=end={length:.6f}"
    )
    if bed.fade_in > 0:
        chain += f",afade=t=in:d={min(bed.fade_in, length):.3f}"
    if bed.fade_out > 0:
        fade = min(bed.fade_out, length)
        chain += f",afade=t=out:st={length - fade:.6f}:d={fade:.3f}"
    if bed.start > 0:
        chain += f",adelay={round(bed.start * 1000)}:all=1"
    return f"{chain},apad,atrim=end={duration:.6f}[bed{n}]"


def mix_graph(*, duration: float, beds: list[Bed]) -> str:
    """Narration padded or trimmed to the video's length; each bed (input 1, 2, ...) placed at
    its time, faded, and the ducked ones compressed by the narration (sidechain) so they drop
    under speech and rise in pauses."""
    voice = (
        f"[0:a]aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo,"
        f"apad,atrim=end={duration:.6f}"
    )
    if not beds:
        return f"{voice}[mix]"
    chains = [_bed_chain(n, bed, duration) for n, bed in enumerate(beds, start=1)]
    ducked = [f"[bed{n}]" for n, bed in enumerate(beds, start=1) if bed.duck]
    plain = [f"[bed{n}]" for n, bed in enumerate(beds, start=1) if not bed.duck]
    if ducked:
        chains[0:0] = [f"{voice},asplit=2[voice][key]"]
        together = (
            f"{''.join(ducked)}amix=inputs={len(ducked)}:duration=first:normalize=0"
            if len(ducked) > 1
            else f"{ducked[0]}anull"
        )
        chains.append(
            f"{together}[under];"
            "[under][key]sidechaincompress=threshold=0.015:ratio=10:attack=15:release=450"
            "[ducked]"
        )
        heard = ["[voice]", "[ducked]", *plain]
    else:
        chains[0:0] = [f"{voice}[voice]"]
        heard = ["[voice]", *plain]
    chains.append(f"{''.join(heard)}amix=inputs={len(heard)}:duration=first:normalize=0[mix]")
    return ";".join(chains)


def integrated_loudness(stderr: str) -> float | None:
    """The integrated loudness from ebur128's summary; None for silence (nothing to raise)."""
    found = _SUMMARY.findall(stderr)
    if not found:
        return None
    value = float(found[-1])
    return value if value > SILENCE_LUFS else None


async def build_soundtrack(
    narration: Path,
    beds: list[Bed],
    out: Path,
    *,
    duration: float,
    bitrate_kbps: int,
    time_limit: float,
    codec: str = "aac",
) -> None:
    """The narration and beds mixed, normalised and encoded with `codec` (aac or libopus)."""
    mixed = out.with_suffix(".mix.wav")
    inputs = ["-i", str(narration)]
    for bed in beds:
        inputs += [*(["-stream_loop", "-1"] if bed.loop else []), "-i", str(bed.path)]
    graph = mix_graph(duration=duration, beds=beds)
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
            codec,
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
