"""The render pipeline: fetch the inputs by key, plan the frames, encode segments in parallel,
build the soundtrack alongside, join and mux without re-encoding, save the MP4 and thumbnail.

Everything runs in a private temporary directory that is always removed; every FFmpeg runs as
a subprocess and is killed if the render is cancelled, fails or takes too long.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from contracts.audio import WordsFile, WordTiming
from contracts.errors import ApiError
from contracts.media_keys import validate_field_key
from contracts.video import (
    BurnSubtitlesRequest,
    BurnSubtitlesResponse,
    Fit,
    RenderRequest,
    RenderResponse,
    SceneTiming,
    Stage,
    SubtitleOptions,
)
from runtime.captions import Cue
from runtime.probe import MediaInfo, NotMedia, probe
from runtime.storage import Storage
from services.video.canvas import NotAnImage, fit_canvas
from services.video.catalog import TEMPLATES
from services.video.ffmpeg import run_ffmpeg
from services.video.memory import release_memory
from services.video.motion import canvas_size, frame_size, move_for
from services.video.music import music_loop
from services.video.progress import ProgressBoard, RenderGate
from services.video.segments import (
    BT709,
    Encoding,
    Subtitles,
    concat_list,
    mux_args,
    segment_args,
    thumbnail_args,
)
from services.video.settings import VideoSettings
from services.video.soundtrack import build_soundtrack
from services.video.sublayer import SubtitleLayer, in_frames
from services.video.subtitles import (
    ass_document,
    band,
    band_document,
    cues_from_file,
    cues_from_words,
    events,
    opaque,
    states,
)
from services.video.timeline import Plan, plan, scene_seconds

log = logging.getLogger("services.video.render")

_WORDS = TypeAdapter(list[WordTiming])
_WORDS_DOC = TypeAdapter(WordsFile)
_RESOLUTIONS = ("720p", "1080p", "1440p", "2160p")
# A body segment is at least this long: each one costs an FFmpeg start and a keyframe.
_MIN_CHUNK_SECONDS = 2.0
T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")


class _Progress:
    """Maps a render's steps onto one percentage: fetching 0-5, rendering 5-90, muxing 90-95,
    saving 95-100."""

    def __init__(self, board: ProgressBoard, render_id: str) -> None:
        self.board = board
        self.render_id = render_id
        self.percent = 0.0

    def stage(self, stage: Stage, percent: float) -> None:
        self.percent = percent
        self.board.update(self.render_id, stage, percent)

    def frames(self, done: int, total: int) -> None:
        self.stage("rendering", 5 + 85 * done / max(total, 1))


def remove_stale_workdirs(parent: Path | None, older_than: float) -> int:
    """Scratch folders a killed process left behind. Only those older than the longest render
    allowed: another process sharing the folder may be rendering in a younger one."""
    root = parent or Path(tempfile.gettempdir())
    cutoff = time.time() - older_than
    removed = 0
    for path in root.glob("render-*") if root.is_dir() else ():
        if path.is_dir() and path.stat().st_mtime < cutoff:
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


@contextlib.asynccontextmanager
async def _workdir(parent: Path | None) -> AsyncIterator[Path]:
    if parent is not None:
        await asyncio.to_thread(parent.mkdir, parents=True, exist_ok=True)
    path = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="render-", dir=parent))
    try:
        yield path
    finally:
        await asyncio.to_thread(shutil.rmtree, path, True)


@contextlib.contextmanager
def _first_failure() -> Iterator[None]:
    """Around a TaskGroup: when one task fails the others are cancelled (their FFmpegs
    killed) and the first failure is raised as itself, an ApiError keeping its status."""
    try:
        yield
    except BaseExceptionGroup as failed:
        errors = failed.exceptions
        raise next((e for e in errors if isinstance(e, ApiError)), errors[0]) from None


async def _together(*work: Coroutine[Any, Any, Any]) -> None:
    with _first_failure():
        async with asyncio.TaskGroup() as group:
            for item in work:
                group.create_task(item)


async def _pair(first: Coroutine[Any, Any, A], second: Coroutine[Any, Any, B]) -> tuple[A, B]:
    with _first_failure():
        async with asyncio.TaskGroup() as group:
            a = group.create_task(first)
            b = group.create_task(second)
    return a.result(), b.result()


class Renderer:
    def __init__(self, settings: VideoSettings, storage: Storage) -> None:
        self.settings = settings
        self.storage = storage
        self.board = ProgressBoard(settings.video_progress_entries)
        # Renders under way by id, so the gateway can cancel one explicitly.
        self.running: dict[str, asyncio.Task[Any]] = {}
        self.gate = RenderGate(
            settings.video_max_concurrent_renders, settings.video_retry_after_seconds
        )

    # -- the tracked run shared by /render and /burn-subtitles -------------------------------

    async def tracked(self, render_id: str, work: Callable[[_Progress], Awaitable[T]]) -> T:
        """Run one render under the concurrency limit, its progress on the board."""
        self.gate.enter()
        try:
            self.board.start(render_id)
        except ApiError:
            self.gate.leave()
            raise
        progress = _Progress(self.board, render_id)
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

    # -- inputs ------------------------------------------------------------------------------

    async def _fetch(self, key: str, field: str, dest: Path, limit: int) -> None:
        info = await self.storage.stat(validate_field_key(key, field))
        if info is None:
            raise ApiError(422, f"{field}: media not found: {key}")
        if info.size > limit:
            raise ApiError(413, f"{field}: {key} is {info.size} bytes; the limit is {limit}")
        await self.storage.download(key, dest)

    async def _small(self, key: str, field: str) -> bytes:
        info = await self.storage.stat(validate_field_key(key, field))
        if info is None:
            raise ApiError(422, f"{field}: media not found: {key}")
        limit = self.settings.video_max_words_bytes
        if info.size > limit:
            raise ApiError(413, f"{field}: {key} is {info.size} bytes; the limit is {limit}")
        return await self.storage.get_bytes(key)

    async def _words(
        self, inline: list[WordTiming] | None, key: str | None, field: str
    ) -> list[WordTiming] | None:
        if inline is not None or key is None:
            return inline
        data = await self._small(key, field)
        for adapter in (_WORDS, _WORDS_DOC):
            try:
                parsed = adapter.validate_json(data)
            except ValidationError:
                continue
            return parsed if isinstance(parsed, list) else parsed.words
        raise ApiError(422, f"{field}: {key} is not a JSON list of {{word, start, end}}")

    async def _media(self, path: Path, field: str, key: str, kind: str) -> MediaInfo:
        """Probe a fetched file; a 422 unless it holds a `kind` ("audio"/"video") stream."""
        try:
            info = await asyncio.to_thread(probe, path)
        except NotMedia:
            info = None
        if info is None or info.first(kind) is None:
            raise ApiError(422, f"{field}: {key} is not {kind}")
        return info

    def _check_duration(self, seconds: float, field: str) -> None:
        limit = self.settings.video_max_duration_seconds
        if seconds <= 0:
            raise ApiError(422, f"{field}: the media has no duration")
        if seconds > limit:
            raise ApiError(422, f"{field}: {seconds:.1f} s is over the limit of {limit:.0f} s")

    async def _cues(
        self,
        options: SubtitleOptions,
        fallback: list[WordTiming] | None,
        size: tuple[int, int],
    ) -> list[Cue]:
        words = await self._words(options.words, options.words_key, "subtitles.words_key")
        if words is None and options.file_key is not None:
            raw = await self._small(options.file_key, "subtitles.file_key")
            try:
                return cues_from_file(raw.decode("utf-8-sig"))
            except (UnicodeDecodeError, ValueError):
                raise ApiError(
                    422, f"subtitles.file_key: {options.file_key} is not an SRT or WebVTT file"
                ) from None
        words = words if words is not None else fallback
        if words is None:
            raise ApiError(
                422,
                "Subtitles need word timings: give words or words_key (on the request or in "
                "subtitles), or subtitles.file_key",
            )
        return cues_from_words(words, options.style, size)

    def _write_ass(
        self, cues: list[Cue], options: SubtitleOptions, size: tuple[int, int], dest: Path
    ) -> Subtitles:
        text = ass_document(
            cues,
            style=options.style,
            position=options.position,
            size=size,
            font=self.settings.video_font_name,
        )
        dest.write_text(text, encoding="utf-8")
        fonts = self.settings.video_fonts_dir
        return Subtitles(dest, fonts if fonts.is_dir() else None)

    async def _subtitle_layer(
        self,
        cues: list[Cue] | None,
        options: SubtitleOptions | None,
        size: tuple[int, int],
        fps: int,
        work: Path,
    ) -> SubtitleLayer | None:
        """The subtitles as a layer each segment draws at its changes (see sublayer.py)."""
        if cues is None or options is None:
            return None
        timed = events(cues, options.style)
        shown = states(timed)
        if not shown:
            return None
        top, tall = band(options.style, options.position, size)
        document = work / "band.ass"
        text = band_document(
            timed,
            style=options.style,
            position=options.position,
            size=size,
            font=self.settings.video_font_name,
        )
        await asyncio.to_thread(document.write_text, text, encoding="utf-8")
        fonts = self.settings.video_fonts_dir
        return SubtitleLayer(
            ass=document,
            fonts_dir=fonts if fonts.is_dir() else None,
            width=size[0],
            height=tall,
            top=top,
            opaque=opaque(options.style),
            showing=in_frames(shown, fps),
        )

    async def _canvases(
        self, keys: Sequence[str], fit: Fit, size: tuple[int, int], workdir: Path
    ) -> list[Path]:
        """One canvas per distinct image, fetched and fitted a few at a time."""
        distinct = list(dict.fromkeys(keys))
        first_use = {key: keys.index(key) for key in distinct}
        limit = asyncio.Semaphore(max(2, self.settings.video_parallel_segments))
        made: dict[str, Path] = {}

        async def one(n: int, key: str) -> None:
            field = f"scenes[{first_use[key]}].image_key"
            src = workdir / f"image-{n}"
            dest = workdir / f"canvas-{n}.ppm"
            async with limit:
                await self._fetch(key, field, src, self.settings.video_max_image_bytes)
                try:
                    await asyncio.to_thread(
                        fit_canvas, src, dest, size, fit, self.settings.video_max_image_pixels
                    )
                except NotAnImage:
                    raise ApiError(422, f"{field}: {key} is not a readable image") from None
                src.unlink(missing_ok=True)
            made[key] = dest

        await _together(*(one(n, key) for n, key in enumerate(distinct)))
        return [made[key] for key in keys]

    def _check_resolution(self, resolution: str) -> None:
        allowed = _RESOLUTIONS[: _RESOLUTIONS.index(self.settings.video_max_resolution) + 1]
        if resolution not in allowed:
            raise ApiError(
                422,
                f"resolution: {resolution} is over this server's limit; use one of "
                + ", ".join(allowed),
                details={"allowed": list(allowed)},
            )

    def _encoding(self, fps: int, crf: int | None, parallel: int) -> Encoding:
        # With one encoder per core, x264's own threads would only fight over the same cores.
        threads = 1 if parallel > 1 else 0
        return Encoding(
            self.settings.video_x264_preset, crf or self.settings.video_crf, fps, threads
        )

    async def _publish(
        self, video: Path, thumb_at: float, work: Path, progress: _Progress
    ) -> tuple[MediaInfo, str, str]:
        """The last steps of every render: thumbnail, probe, store both, report done."""
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
        keys = (f"{prefix}/video.mp4", f"{prefix}/thumb.jpg")
        # Nothing half-written: a video without its thumbnail is removed too.
        async with self.storage.staging(prefix):
            await self.storage.put_file(keys[0], video, "video/mp4")
            await self.storage.put_file(keys[1], thumb, "image/jpeg")
        return keys

    # -- POST /render ------------------------------------------------------------------------

    async def render(self, request: RenderRequest, progress: _Progress) -> RenderResponse:
        started = time.perf_counter()
        settings = self.settings
        if len(request.scenes) > settings.video_max_scenes:
            raise ApiError(422, f"scenes: at most {settings.video_max_scenes} scenes")
        self._check_resolution(request.resolution)
        size = frame_size(request.resolution, request.aspect)
        template = TEMPLATES[request.template]
        parallel = settings.video_parallel_segments
        progress.stage("fetching", 0)
        async with _workdir(settings.video_temp_dir) as work:
            narration = work / "narration"
            await self._fetch(
                request.narration_key, "narration_key", narration, settings.video_max_audio_bytes
            )
            info = await self._media(narration, "narration_key", request.narration_key, "audio")
            audio = info.first("audio")
            seconds = (audio.duration if audio and audio.duration else None) or info.duration
            self._check_duration(seconds, "narration_key")
            words = await self._words(request.words, request.words_key, "words_key")
            cues = (
                await self._cues(request.subtitles, words, size)
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
            canvases, layer = await _pair(
                self._canvases(
                    [s.image_key for s in request.scenes], request.fit, canvas_size(*size), work
                ),
                self._subtitle_layer(cues, request.subtitles, size, request.fps, work),
            )
            await asyncio.to_thread(release_memory)
            progress.stage("rendering", 5)
            moves = [move_for(template.motion, i) for i in range(len(request.scenes))]
            encoding = self._encoding(request.fps, request.output.crf, parallel)
            parts = [work / f"segment-{k:04d}.mp4" for k in range(len(timeline.segments))]
            soundtrack = work / "audio.m4a"
            done = [0] * len(parts)

            def advanced(k: int, frame: int) -> None:
                done[k] = frame
                progress.frames(sum(done), timeline.total_frames)

            # Longest first, so the last segments to finish are short and no core idles long.
            pending: list[int | None] = [
                *sorted(range(len(parts)), key=lambda k: -timeline.segments[k].frames)
            ]
            # The soundtrack (None) is a job for the same workers, taken once each has encoded
            # one segment. Run beside them from the start, its samples and its FFmpeg landed on
            # the encoders' own memory peak at their start; run instead of a segment,
            # it adds memory to nothing and takes the same core-seconds.
            pending.insert(min(parallel, len(parts)), None)

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

            async def encoder() -> None:
                while pending:
                    k = pending.pop(0)
                    if k is None:
                        await mixed_audio()
                        continue
                    segment = timeline.segments[k]
                    args = segment_args(
                        segment,
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

            await _together(*(encoder() for _ in range(min(parallel, len(parts)))))
            progress.stage("muxing", 90)
            video = await self._join(parts, soundtrack, work)
            first_scene = timeline.boundaries[1] / timeline.fps
            final, video_key, thumb_key = await self._publish(
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

    async def _join(self, parts: list[Path], soundtrack: Path, work: Path) -> Path:
        listing = work / "segments.txt"
        listing.write_text(concat_list(parts), encoding="utf-8")
        video = work / "video.mp4"
        await run_ffmpeg(
            mux_args(listing, soundtrack, video),
            time_limit=self.settings.video_render_timeout_seconds,
        )
        return video

    # -- POST /burn-subtitles ----------------------------------------------------------------

    async def burn(
        self, request: BurnSubtitlesRequest, progress: _Progress
    ) -> BurnSubtitlesResponse:
        started = time.perf_counter()
        settings = self.settings
        progress.stage("fetching", 0)
        async with _workdir(settings.video_temp_dir) as work:
            source = work / "source"
            await self._fetch(
                request.video_key, "video_key", source, settings.video_max_video_bytes
            )
            info = await self._media(source, "video_key", request.video_key, "video")
            stream = info.first("video")
            assert stream is not None
            assert stream.width
            assert stream.height
            self._check_duration(info.duration, "video_key")
            size = (stream.width, stream.height)
            cues = await self._cues(request.subtitles, None, size)
            subtitles = self._write_ass(cues, request.subtitles, size, work / "subs.ass")
            total = max(1, round(info.duration * (stream.fps or 30)))
            progress.stage("rendering", 5)
            video = work / "video.mp4"
            encoding = self._encoding(round(stream.fps or 30), request.output.crf, 1)
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
            final, video_key, thumb_key = await self._publish(
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


def _scene_timings(timeline: Plan) -> list[SceneTiming]:
    fps = timeline.fps
    edges = timeline.boundaries
    return [
        SceneTiming(start=round(a / fps, 3), end=round(b / fps, 3))
        for a, b in itertools.pairwise(edges)
    ]
