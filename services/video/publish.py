"""The last steps of every render: join the segments and mux the soundtrack without
re-encoding, make the thumbnail, store both, report done."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from contracts.timeline import VideoFormat
from runtime.probe import MediaInfo, probe
from runtime.storage import Storage
from services.video.ffmpeg import run_ffmpeg
from services.video.progress import Progress
from services.video.segments import concat_list, mux_args, thumbnail_args
from services.video.settings import VideoSettings


class Publisher:
    def __init__(self, settings: VideoSettings, storage: Storage) -> None:
        self.settings = settings
        self.storage = storage

    async def join(
        self, parts: list[Path], soundtrack: Path, work: Path, container: VideoFormat = "mp4"
    ) -> Path:
        listing = work / "segments.txt"
        listing.write_text(concat_list(parts), encoding="utf-8")
        video = work / f"video.{container}"
        await run_ffmpeg(
            mux_args(listing, soundtrack, video, container),
            time_limit=self.settings.video_render_timeout_seconds,
        )
        return video

    async def publish(
        self, video: Path, thumb_at: float, work: Path, progress: Progress
    ) -> tuple[MediaInfo, str, str]:
        thumb = work / "thumb.jpg"
        await run_ffmpeg(
            thumbnail_args(video, thumb_at, thumb),
            time_limit=self.settings.video_render_timeout_seconds,
        )
        final = await asyncio.to_thread(probe, video)
        progress.stage("saving", 95)
        video_key, thumb_key = await self._save(video, thumb)
        progress.board.update(progress.render_id, "done", 100, video_key=video_key)
        return final, video_key, thumb_key

    async def _save(self, video: Path, thumb: Path) -> tuple[str, str]:
        prefix = f"videos/{uuid.uuid4().hex}"
        container = video.suffix.lstrip(".")
        keys = (f"{prefix}/video.{container}", f"{prefix}/thumb.jpg")
        # Nothing half-written: a video without its thumbnail is removed too.
        async with self.storage.staging(prefix):
            await self.storage.put_file(keys[0], video, f"video/{container}")
            await self.storage.put_file(keys[1], thumb, "image/jpeg")
        return keys
