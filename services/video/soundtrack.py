"""The audio track: narration, music ducked under it and faded, loudness-normalised.

Two FFmpeg passes: the first mixes to a WAV and measures the mix's loudness, the second applies
the exact gain for -14 LUFS integrated (loudnorm's linear mode: no pumping) and encodes AAC.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from services.video.ffmpeg import run_ffmpeg

TARGET_LUFS = -14.0
TRUE_PEAK = -1.5
LOUDNESS_RANGE = 11.0
SAMPLE_RATE = 48_000
# Music level before ducking at music_volume=1: the loops are made at -20 dBFS RMS.
MUSIC_GAIN = 0.5
_JSON = re.compile(r"\{[^{}]*\"input_i\"[^{}]*\}", re.S)


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


def _measured(stderr: str) -> dict[str, float] | None:
    found = _JSON.findall(stderr)
    if not found:
        return None
    data = json.loads(found[-1])
    values = {k: float(data[k]) for k in ("input_i", "input_tp", "input_lra", "input_thresh")}
    values["target_offset"] = float(data["target_offset"])
    # Silence measures as -inf: there is nothing to normalise.
    return values if all(math.isfinite(v) for v in values.values()) else None


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
    loudnorm = f"loudnorm=I={TARGET_LUFS}:TP={TRUE_PEAK}:LRA={LOUDNESS_RANGE}"
    stderr = await run_ffmpeg(
        [
            *inputs,
            "-filter_complex",
            f"{graph};[mix]asplit=2[keep][probe];[probe]{loudnorm}:print_format=json[measured]",
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
    measured = _measured(stderr)
    if measured is None:
        normalise = "anull"
    else:
        normalise = (
            f"{loudnorm}:measured_I={measured['input_i']}:measured_TP={measured['input_tp']}"
            f":measured_LRA={measured['input_lra']}:measured_thresh={measured['input_thresh']}"
            f":offset={measured['target_offset']}:linear=true"
        )
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
