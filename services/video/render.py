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
from pathlib import Path
from typing import Any, TypeVar

from contracts.audio import WordTiming
from contracts.errors import ApiError
from contracts.timeline import Timeline
from contracts.video import (
    BurnSubtitlesRequest,
    BurnSubtitlesResponse,
    RenderRequest,
    RenderResponse,
    SceneTiming,
)
from runtime.storage import Storage
from services.video.assets import Pictures, backgrounds, beds, speech_track, voiceovers
from services.video.burning import burn
from services.video.catalog import TEMPLATES
from services.video.convert import as_timeline
from services.video.encoders import Job, encoder_settings, run_encoders
from services.video.ffmpeg import run_ffmpeg
from services.video.graph import segment_args
from services.video.inputs import Inputs
from services.video.layers import overlay_layers
from services.video.memory import release_memory
from services.video.motion import frame_size, move_for
from services.video.progress import Progress, ProgressBoard, RenderGate
from services.video.publish import Publisher
from services.video.scratch import workdir
from services.video.segment_cache import SegmentCache, input_files
from services.video.segment_subtitles import segment_layers
from services.video.settings import VideoSettings
from services.video.soundtrack import build_soundtrack
from services.video.sublayer import fonts_folder, subtitle_layer
from services.video.tasks import pair
from services.video.textlayer import watermark_layer
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
        self.cache = SegmentCache(
            storage,
            max_bytes=settings.video_segment_cache_bytes,
            ttl_seconds=settings.video_segment_cache_ttl_seconds,
            fonts_dir=fonts_folder(settings.video_fonts_dir),
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

    # -- POST /render and POST /timeline-render --------------------------------------------

    async def render(self, request: RenderRequest, progress: Progress) -> RenderResponse:
        return await self.render_timeline(as_timeline(request), progress)

    async def _timing(
        self, timeline: Timeline, work: Path
    ) -> tuple[list[float], Path | None, dict[int, tuple[Path, float]], list[WordTiming] | None]:
        """Each scene's seconds, the narration (if one), the voiceovers, the word timings."""
        inputs, settings = self.inputs, self.settings
        words = await inputs.words(timeline.words, timeline.words_key, "words_key")
        if timeline.narration_key is None:
            voiced = await voiceovers(inputs, timeline, work)
            shares = [
                s.duration if s.duration is not None else voiced[i][1]
                for i, s in enumerate(timeline.scenes)
            ]
            inputs.check_duration(sum(shares), "scenes")
            return shares, None, voiced, words
        narration = work / "narration"
        key = timeline.narration_key
        await inputs.fetch(key, "narration_key", narration, settings.video_max_audio_bytes)
        info = await inputs.media(narration, "narration_key", key, "audio")
        audio = info.first("audio")
        seconds = (audio.duration if audio and audio.duration else None) or info.duration
        inputs.check_duration(seconds, "narration_key")
        return scene_seconds(seconds, timeline.scenes, words), narration, {}, words

    async def render_timeline(self, timeline: Timeline, progress: Progress) -> RenderResponse:
        started = time.perf_counter()
        settings = self.settings
        inputs = self.inputs
        out = timeline.output
        if len(timeline.scenes) > settings.video_max_scenes:
            raise ApiError(422, f"scenes: at most {settings.video_max_scenes} scenes")
        inputs.check_resolution(out.resolution, "output.resolution")
        size = frame_size(out.resolution, out.aspect)
        template = TEMPLATES[timeline.template]
        parallel = settings.video_parallel_segments
        fonts = fonts_folder(settings.video_fonts_dir)
        progress.stage("fetching", 0)
        async with workdir(settings.video_temp_dir) as work:
            shares, narration, voiced, words = await self._timing(timeline, work)
            cues = (
                await inputs.cues(out.subtitles, words, size, "output.subtitles")
                if out.subtitles is not None
                else None
            )
            frames = round(sum(shares) * out.fps)
            timeline_plan = plan(
                shares,
                fps=out.fps,
                transition_seconds=(
                    template.transition_seconds
                    if timeline.transition_seconds is None
                    else timeline.transition_seconds
                ),
                chunk_frames=max(round(_MIN_CHUNK_SECONDS * out.fps), -(-frames // (parallel * 3))),
            )
            (sources, layers), subtitles = await pair(
                pair(
                    backgrounds(inputs, timeline, size, work),
                    overlay_layers(
                        timeline, timeline_plan, size, words, Pictures(inputs, work), work, fonts
                    ),
                ),
                subtitle_layer(
                    cues,
                    out.subtitles,
                    size,
                    out.fps,
                    work,
                    font=settings.video_font_name,
                    fonts_dir=settings.video_fonts_dir,
                ),
            )
            watermark = (
                await asyncio.to_thread(
                    watermark_layer,
                    out.watermark,
                    size,
                    timeline_plan.total_frames,
                    out.fps,
                    work / "watermark.ass",
                    fonts,
                )
                if out.watermark
                else None
            )
            sounds = await beds(inputs, timeline, timeline_plan, work)
            own_subtitles, documents = await segment_layers(
                subtitles,
                cues,
                out.subtitles,
                size,
                timeline_plan,
                work,
                font=settings.video_font_name,
            )
            digested = await self.cache.inputs(input_files(sources, layers, watermark), documents)
            await asyncio.to_thread(release_memory)
            progress.stage("rendering", 5)
            moves = [move_for(template.motion, i) for i in range(len(timeline.scenes))]
            encoding = encoder_settings(settings, out.fps, out.crf, parallel, out.format)
            parts = [
                work / f"segment-{k:04d}.{out.format}" for k in range(len(timeline_plan.segments))
            ]
            soundtrack = work / ("audio.webm" if out.format == "webm" else "audio.m4a")
            done = [0] * len(parts)
            reused: list[int] = []

            def advanced(k: int, frame: int) -> None:
                done[k] = frame
                progress.frames(sum(done), timeline_plan.total_frames)

            async def mixed_audio() -> None:
                speech = narration
                if speech is None:
                    speech = work / "speech.wav"
                    await speech_track(
                        voiced, timeline_plan, speech, settings.video_render_timeout_seconds
                    )
                await asyncio.to_thread(release_memory)  # the synthesised music samples
                mix: dict[str, Any] = {
                    "narration": speech,
                    "beds": sounds,
                    "duration": timeline_plan.duration,
                    "bitrate_kbps": out.audio_bitrate_kbps,
                    "codec": "libopus" if out.format == "webm" else "aac",
                }
                make = functools.partial(
                    build_soundtrack,
                    out=soundtrack,
                    time_limit=settings.video_render_timeout_seconds,
                    **mix,
                )
                await self.cache.made_once("soundtrack", mix, out=soundtrack, make=make)

            async def segment(k: int) -> None:
                args = segment_args(
                    timeline_plan.segments[k],
                    timeline_plan,
                    sources=sources,
                    moves=moves,
                    size=size,
                    transition=template.transition,
                    layers=layers,
                    subtitles=own_subtitles[k],
                    watermark=watermark,
                    encoding=encoding,
                    out=parts[k],
                )
                encode = functools.partial(
                    run_ffmpeg,
                    time_limit=settings.video_render_timeout_seconds,
                    on_frame=functools.partial(advanced, k),
                )
                if await self.cache.encode_once(
                    args, inputs=digested, out=parts[k], scratch=work, encode=encode
                ):
                    reused.append(k)
                    advanced(k, timeline_plan.segments[k].frames)

            jobs = [
                Job(s.frames, functools.partial(segment, k))
                for k, s in enumerate(timeline_plan.segments)
            ]
            await run_encoders(jobs, mixed_audio, parallel)
            progress.stage("muxing", 90)
            video = await self.publisher.join(parts, soundtrack, work, out.format)
            first_scene = timeline_plan.boundaries[1] / timeline_plan.fps
            final, video_key, thumb_key = await self.publisher.publish(
                video, first_scene / 2, work, progress
            )
        if len(reused) < len(parts):
            self.cache.sweep_soon()
        return RenderResponse(
            render_id=progress.render_id,
            video_key=video_key,
            thumbnail_key=thumb_key,
            duration=round(final.duration, 3),
            width=size[0],
            height=size[1],
            fps=out.fps,
            size_bytes=final.size,
            render_seconds=round(time.perf_counter() - started, 2),
            scenes=_scene_timings(timeline_plan),
            segments_encoded=len(parts) - len(reused),
            segments_reused=len(reused),
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
