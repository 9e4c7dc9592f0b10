"""The render pipeline: fetch the inputs by key, plan the frames, encode segments in parallel,
build the soundtrack alongside, join and mux without re-encoding, save the MP4 and thumbnail.

Everything runs in a private temporary directory that is always removed; every FFmpeg runs as
a subprocess and is killed if the render is cancelled, fails or takes too long.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from contracts.errors import ApiError
from contracts.video import (
    BurnSubtitlesRequest,
    BurnSubtitlesResponse,
    RenderRequest,
    RenderResponse,
    SceneTiming,
)
from runtime.storage import Storage
from services.video.burning import burn
from services.video.catalog import TEMPLATES
from services.video.encoders import Job, encoder_settings, run_encoders
from services.video.ffmpeg import run_ffmpeg
from services.video.inputs import Inputs
from services.video.memory import release_memory
from services.video.motion import canvas_size, frame_size, move_for
from services.video.music import music_loop
from services.video.progress import Progress, ProgressBoard, RenderGate
from services.video.publish import Publisher
from services.video.scratch import workdir
from services.video.segments import segment_args
from services.video.settings import VideoSettings
from services.video.soundtrack import build_soundtrack
from services.video.sublayer import subtitle_layer
from services.video.tasks import pair
from services.video.timeline import Plan, plan, scene_seconds

log = logging.getLogger("services.video.render")

# A body segment is at least this long: each one costs an FFmpeg start and a keyframe.
_MIN_CHUNK_SECONDS = 2.0
T = TypeVar("T")


class Renderer:
    def __init__(self, settings: VideoSettings, storage: Storage) -> None:
        self.settings = settings
        self.storage = storage
        self.inputs = Inputs(settings, storage)
        self.publisher = Publisher(settings, storage)
        self.board = ProgressBoard(settings.video_progress_entries)
        # Renders under way by id, so the gateway can cancel one explicitly.
        self.running: dict[str, asyncio.Task[Any]] = {}
        self.gate = RenderGate(
            settings.video_max_concurrent_renders, settings.video_retry_after_seconds
        )

    # -- the tracked run shared by /render and /burn-subtitles -------------------------------

    async def tracked(self, render_id: str, work: Callable[[Progress], Awaitable[T]]) -> T:
        """Run one render under the concurrency limit, its progress on the board."""
        self.gate.enter()
        try:
            self.board.start(render_id)
        except ApiError:
            self.gate.leave()
            raise
        progress = Progress(self.board, render_id)
        current = asyncio.current_task()
        if current is not None:
            self.running[render_id] = current
        try:
            async with asyncio.timeout(self.settings.video_render_timeout_seconds):
                return await work(progress)
        except ApiError as exc:
            self.board.update(render_id, "failed", progress.percent, reason=exc.detail)
            raise
        except asyncio.CancelledError:
            self.board.update(
                render_id,
                "failed",
                progress.percent,
                reason="Cancelled: the client went away, or asked to stop",
            )
            raise
        except TimeoutError:
            limit = self.settings.video_render_timeout_seconds
            detail = f"The render took longer than {limit:.0f} s and was stopped"
            self.board.update(render_id, "failed", progress.percent, reason=detail)
            raise ApiError(504, detail) from None
        except Exception:
            log.exception("render failed", extra={"render_id": render_id})
            self.board.update(render_id, "failed", progress.percent, reason="Rendering failed")
            raise ApiError(500, "Rendering failed") from None
        finally:
            self.running.pop(render_id, None)
            self.gate.leave()

    def cancel(self, render_id: str) -> None:
        """Stop a render under way (its FFmpegs are killed and its scratch folder removed)."""
        task = self.running.get(render_id)
        if task is None:
            if self.board.get(render_id) is None:
                raise ApiError(404, f"No render {render_id} is known to this process")
            raise ApiError(409, f"Render {render_id} is not running")
        task.cancel()

    # -- POST /render ------------------------------------------------------------------------

    async def render(self, request: RenderRequest, progress: Progress) -> RenderResponse:
        started = time.perf_counter()
        settings = self.settings
        inputs = self.inputs
        if len(request.scenes) > settings.video_max_scenes:
            raise ApiError(422, f"scenes: at most {settings.video_max_scenes} scenes")
        inputs.check_resolution(request.resolution)
        size = frame_size(request.resolution, request.aspect)
        template = TEMPLATES[request.template]
        parallel = settings.video_parallel_segments
        progress.stage("fetching", 0)
        async with workdir(settings.video_temp_dir) as work:
            narration = work / "narration"
            await inputs.fetch(
                request.narration_key, "narration_key", narration, settings.video_max_audio_bytes
            )
            info = await inputs.media(narration, "narration_key", request.narration_key, "audio")
            audio = info.first("audio")
            seconds = (audio.duration if audio and audio.duration else None) or info.duration
            inputs.check_duration(seconds, "narration_key")
            words = await inputs.words(request.words, request.words_key, "words_key")
            cues = (
                await inputs.cues(request.subtitles, words, size)
                if request.subtitles is not None
                else None
            )
            shares = scene_seconds(seconds, request.scenes, words)
            timeline = plan(
                shares,
                fps=request.fps,
                transition_seconds=(
                    template.transition_seconds
                    if request.transition_seconds is None
                    else request.transition_seconds
                ),
                chunk_frames=max(
                    round(_MIN_CHUNK_SECONDS * request.fps),
                    -(-round(seconds * request.fps) // (parallel * 3)),
                ),
            )
            images = [(f"scenes[{i}].image_key", s.image_key) for i, s in enumerate(request.scenes)]
            canvases, layer = await pair(
                inputs.canvases(images, [request.fit] * len(images), canvas_size(*size), work),
                subtitle_layer(
                    cues,
                    request.subtitles,
                    size,
                    request.fps,
                    work,
                    font=settings.video_font_name,
                    fonts_dir=settings.video_fonts_dir,
                ),
            )
            await asyncio.to_thread(release_memory)
            progress.stage("rendering", 5)
            moves = [move_for(template.motion, i) for i in range(len(request.scenes))]
            encoding = encoder_settings(settings, request.fps, request.output.crf, parallel)
            parts = [work / f"segment-{k:04d}.mp4" for k in range(len(timeline.segments))]
            soundtrack = work / "audio.m4a"
            done = [0] * len(parts)

            def advanced(k: int, frame: int) -> None:
                done[k] = frame
                progress.frames(sum(done), timeline.total_frames)

            async def mixed_audio() -> None:
                music = (
                    await asyncio.to_thread(music_loop, request.music, settings.video_cache_dir)
                    if request.music
                    else None
                )
                await asyncio.to_thread(release_memory)  # the synthesised samples
                await build_soundtrack(
                    narration,
                    music,
                    soundtrack,
                    duration=timeline.duration,
                    music_volume=request.music_volume,
                    bitrate_kbps=request.output.audio_bitrate_kbps,
                    time_limit=settings.video_render_timeout_seconds,
                )

            async def segment(k: int) -> None:
                args = segment_args(
                    timeline.segments[k],
                    timeline,
                    canvases=canvases,
                    moves=moves,
                    size=size,
                    transition=template.transition,
                    subtitles=layer,
                    encoding=encoding,
                    out=parts[k],
                )
                await run_ffmpeg(
                    args,
                    time_limit=settings.video_render_timeout_seconds,
                    on_frame=functools.partial(advanced, k),
                )

            jobs = [
                Job(s.frames, functools.partial(segment, k))
                for k, s in enumerate(timeline.segments)
            ]
            await run_encoders(jobs, mixed_audio, parallel)
            progress.stage("muxing", 90)
            video = await self.publisher.join(parts, soundtrack, work)
            first_scene = timeline.boundaries[1] / timeline.fps
            final, video_key, thumb_key = await self.publisher.publish(
                video, first_scene / 2, work, progress
            )
        return RenderResponse(
            render_id=progress.render_id,
            video_key=video_key,
            thumbnail_key=thumb_key,
            duration=round(final.duration, 3),
            width=size[0],
            height=size[1],
            fps=request.fps,
            size_bytes=final.size,
            render_seconds=round(time.perf_counter() - started, 2),
            scenes=_scene_timings(timeline),
        )

    # -- POST /burn-subtitles ----------------------------------------------------------------

    async def burn(
        self, request: BurnSubtitlesRequest, progress: Progress
    ) -> BurnSubtitlesResponse:
        return await burn(
            request, progress, settings=self.settings, inputs=self.inputs, publisher=self.publisher
        )


def _scene_timings(timeline: Plan) -> list[SceneTiming]:
    fps = timeline.fps
    edges = timeline.boundaries
    return [
        SceneTiming(start=round(a / fps, 3), end=round(b / fps, 3))
        for a, b in itertools.pairwise(edges)
    ]
