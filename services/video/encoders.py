"""Scheduling a render's FFmpeg jobs on a few workers, one per core."""

from __future__ import annotations

import itertools
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
    # Draws two scenes (a transition): the most memory of any segment.
    blend: bool = False


async def run_encoders(
    jobs: list[Job], soundtrack: Callable[[], Awaitable[None]], parallel: int
) -> None:
    """Encode every segment and build the soundtrack, `parallel` at a time."""
    # Longest first, so the last segments to finish are short and no core idles long; each
    # transition after a scene's segment, so two of them (the largest processes) seldom run
    # at once.
    scenes, blends = ([job for job in jobs if job.blend == kind] for kind in (False, True))
    scenes.sort(key=lambda job: -job.frames)
    blends.sort(key=lambda job: -job.frames)
    ordered = [job for pair in itertools.zip_longest(scenes, blends) for job in pair if job]
    pending = [job.run for job in ordered]
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
