"""Running the FFmpeg binary off the event loop: progress from `-progress`, a time limit, and
the process killed when its render is cancelled (a client that went away) or fails."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path

import imageio_ffmpeg

log = logging.getLogger("services.video.ffmpeg")

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
_STDERR_KEEP = 16_384
# glibc raises its mmap threshold to the size of each large block freed, up to 32 MB, so after
# the first frames the frame buffers (megabytes each at 1080p) come from the heap and arenas,
# which keep them when they are freed. A fixed threshold keeps every frame buffer mmapped and
# returned when freed: each segment's FFmpeg stays smaller, no slower. Other C libraries
# ignore the variable.
_ENV = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072"}


class FfmpegFailed(Exception):
    """FFmpeg exited with an error. Its message is for the logs, never for a response."""


async def _drain(stream: asyncio.StreamReader, keep: bytearray) -> None:
    while chunk := await stream.read(65_536):
        keep.extend(chunk)
        del keep[:-_STDERR_KEEP]


async def _progress(stream: asyncio.StreamReader, on_frame: Callable[[int], None] | None) -> None:
    while line := await stream.readline():
        if on_frame is not None and line.startswith(b"frame="):
            value = line[6:].strip()
            if value.isdigit():
                on_frame(int(value))


async def run_ffmpeg(
    args: list[str],
    *,
    time_limit: float,
    on_frame: Callable[[int], None] | None = None,
    loglevel: str = "error",
) -> str:
    """Run `ffmpeg args...`; return its stderr (the tail) on success."""
    proc = await asyncio.create_subprocess_exec(
        FFMPEG,
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        loglevel,
        "-nostats",
        "-progress",
        "pipe:1",
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_ENV,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    stderr = bytearray()
    try:
        async with asyncio.timeout(time_limit):
            await asyncio.gather(_progress(proc.stdout, on_frame), _drain(proc.stderr, stderr))
            code = await proc.wait()
    except BaseException:
        # Cancelled, timed out or failed elsewhere: never leave an encoder running.
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    text = stderr.decode("utf-8", "replace")
    if code != 0:
        log.warning("ffmpeg failed", extra={"returncode": code, "stderr": text[-2000:]})
        raise FfmpegFailed(f"ffmpeg exited with {code}")
    return text


def filter_path(path: Path) -> str:
    """A file path as a filter option value inside a filtergraph (two levels of escaping)."""
    value = str(path)
    for char in "\\':":
        value = value.replace(char, "\\" + char)
    for char in "\\'[],;":
        value = value.replace(char, "\\" + char)
    return value
