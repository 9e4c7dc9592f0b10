"""POST /burn-subtitles: subtitles burned by libass into an existing video, in one pass."""

from __future__ import annotations

import time
from pathlib import Path

from contracts.video import BurnSubtitlesRequest, BurnSubtitlesResponse, SubtitleOptions
from runtime.captions import Cue
from services.video.encoders import encoder_settings
from services.video.ffmpeg import run_ffmpeg
from services.video.inputs import Inputs
from services.video.progress import Progress
from services.video.publish import Publisher
from services.video.scratch import workdir
from services.video.segments import BT709, Subtitles
from services.video.settings import VideoSettings
from services.video.subtitles import ass_document


def _write_ass(
    settings: VideoSettings,
    cues: list[Cue],
    options: SubtitleOptions,
    size: tuple[int, int],
    dest: Path,
) -> Subtitles:
    text = ass_document(
        cues,
        style=options.style,
        position=options.position,
        size=size,
        font=settings.video_font_name,
    )
    dest.write_text(text, encoding="utf-8")
    fonts = settings.video_fonts_dir
    return Subtitles(dest, fonts if fonts.is_dir() else None)


async def burn(
    request: BurnSubtitlesRequest,
    progress: Progress,
    *,
    settings: VideoSettings,
    inputs: Inputs,
    publisher: Publisher,
) -> BurnSubtitlesResponse:
    started = time.perf_counter()
    progress.stage("fetching", 0)
    async with workdir(settings.video_temp_dir) as work:
        source = work / "source"
        await inputs.fetch(request.video_key, "video_key", source, settings.video_max_video_bytes)
        info = await inputs.media(source, "video_key", request.video_key, "video")
        stream = info.first("video")
        assert stream is not None
        assert stream.width
        assert stream.height
        inputs.check_duration(info.duration, "video_key")
        size = (stream.width, stream.height)
        cues = await inputs.cues(request.subtitles, None, size)
        subtitles = _write_ass(settings, cues, request.subtitles, size, work / "subs.ass")
        total = max(1, round(info.duration * (stream.fps or 30)))
        progress.stage("rendering", 5)
        video = work / "video.mp4"
        encoding = encoder_settings(settings, round(stream.fps or 30), request.output.crf, 1)
        await run_ffmpeg(
            [
                "-i",
                str(source),
                "-map",
                "0:v:0",
                "-map",
                "0:a:0?",
                "-vf",
                f"{subtitles.filter()},{BT709}",
                *encoding.args(),
                "-c:a",
                "copy",
                "-movflags",
                "+faststart",
                "-y",
                str(video),
            ],
            time_limit=settings.video_render_timeout_seconds,
            on_frame=lambda n: progress.frames(n, total),
        )
        final, video_key, thumb_key = await publisher.publish(
            video, min(1.0, info.duration / 2), work, progress
        )
    return BurnSubtitlesResponse(
        render_id=progress.render_id,
        video_key=video_key,
        thumbnail_key=thumb_key,
        duration=round(final.duration, 3),
        size_bytes=final.size,
        render_seconds=round(time.perf_counter() - started, 2),
    )
