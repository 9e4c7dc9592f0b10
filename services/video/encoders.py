"""Scheduling a render's FFmpeg jobs on a few workers, one per core."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from contracts.timeline import VideoFormat
from services.video.segments import Encoding
from services.video.settings import VideoSettings
from services.video.tasks import together


@dataclass(frozen=True)
class Job:
    frames: int
    run: Callable[[], Awaitable[None]]


async def run_encoders(
    jobs: list[Job], soundtrack: Callable[[], Awaitable[None]], parallel: int
) -> None:
    """Encode every segment and build the soundtrack, `parallel` at a time."""
    # Longest first, so the last segments to finish are short and no core idles long.
    pending = [job.run for job in sorted(jobs, key=lambda job: -job.frames)]
    # The soundtrack is a job for the same workers, taken once each has encoded one segment.
    # Run beside them from the start, its samples and its FFmpeg landed on the encoders' own
    # memory peak at their start; run instead of a segment, it adds memory to nothing and takes
    # the same core-seconds.
    workers = min(parallel, len(jobs))
    pending.insert(workers, soundtrack)

    async def worker() -> None:
        while pending:
            await pending.pop(0)()

    await together(*(worker() for _ in range(workers)))


def encoder_settings(
    settings: VideoSettings,
    fps: int,
    crf: int | None,
    parallel: int,
    video_format: VideoFormat = "mp4",
) -> Encoding:
    # With one encoder per core, the encoder's own threads would only fight over the cores.
    threads = 1 if parallel > 1 else 0
    default = settings.video_vp9_crf if video_format == "webm" else settings.video_crf
    return Encoding(settings.video_x264_preset, crf or default, fps, threads, video_format)
