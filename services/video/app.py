"""The video service: renders narrated, subtitled MP4s from still images with FFmpeg."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import Response

from contracts.ai_media import (
    LipSyncRequest,
    LipSyncResponse,
    MusicGenerateRequest,
    MusicGenerateResponse,
)
from contracts.errors import ApiError
from contracts.health import Health
from contracts.library import IngestedFile, IngestRequest, MusicPreview
from contracts.timeline import Timeline
from contracts.video import (
    BurnSubtitlesRequest,
    BurnSubtitlesResponse,
    MusicResponse,
    RenderProgress,
    RenderRequest,
    RenderResponse,
    SubtitlePositionsResponse,
    SubtitleStylesResponse,
    TemplatesResponse,
    check_media_keys,
)
from runtime.app import create_app
from runtime.logs import configure_logging
from runtime.storage import build_storage
from services.video.catalog import (
    MUSIC_MOODS,
    SUBTITLE_POSITIONS,
    SUBTITLE_STYLES,
    items,
    template_items,
)
from services.video.ffmpeg import FFMPEG
from services.video.ingest import Ingester
from services.video.lipsync import LipSyncMaker, build_lipsync_provider
from services.video.music_tracks import MusicMaker, build_music_provider
from services.video.previews import music_preview
from services.video.render import Renderer
from services.video.scratch import remove_stale_workdirs
from services.video.settings import VideoSettings

VERSION = "0.1.0"
T = TypeVar("T")
log = logging.getLogger("video")


async def _until_disconnected(request: Request) -> None:
    # The body has been read: the next message uvicorn delivers is the disconnect.
    while (await request.receive())["type"] != "http.disconnect":
        continue


async def _unless_client_leaves(request: Request, work: Coroutine[Any, Any, T]) -> T:
    """Run `work`; if the client disconnects first, cancel it (its FFmpegs are killed and its
    temporary directory removed) instead of finishing a video nobody will collect."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_until_disconnected(request))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if task.cancelled():
        raise ApiError(400, "The render was cancelled (the client went away, or asked)")
    return task.result()


def build_app(settings: VideoSettings | None = None) -> FastAPI:
    settings = settings or VideoSettings()
    configure_logging("video", settings.log_level)
    if removed := remove_stale_workdirs(
        settings.video_temp_dir, settings.video_render_timeout_seconds
    ):
        log.info("removed %d scratch folder(s) of renders that did not finish", removed)
    storage = build_storage(settings)
    renderer = Renderer(settings, storage)
    ingester = Ingester(settings, storage)
    music_maker = MusicMaker(settings, storage, build_music_provider(settings))
    lip_syncer = LipSyncMaker(settings, storage, build_lipsync_provider(settings, storage))

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await music_maker.provider.aclose()
            await lip_syncer.provider.aclose()

    app = create_app(
        name="video",
        version=VERSION,
        description="Renders narrated, subtitled MP4 videos from still images.",
        max_body_bytes=settings.max_body_bytes,
        service_tokens=settings.service_token_values(),
        lifespan=lifespan,
    )

    _catalog_routes(app, renderer)
    _media_routes(app, settings, renderer, ingester, music_maker, lip_syncer)
    return app


def _catalog_routes(app: FastAPI, renderer: Renderer) -> None:
    """What the service offers: its health, templates, styles, positions and music moods."""

    @app.get("/health", response_model=Health)
    async def health() -> Health:
        return Health(
            status="ok",
            service="video",
            version=VERSION,
            details={
                "ffmpeg": FFMPEG.rsplit("/", 1)[-1],
                "active_renders": renderer.gate.active,
                "max_concurrent_renders": renderer.gate.limit,
            },
        )

    @app.get("/templates", response_model=TemplatesResponse)
    async def templates() -> TemplatesResponse:
        return TemplatesResponse(templates=template_items())

    @app.get("/subtitle-styles", response_model=SubtitleStylesResponse)
    async def subtitle_styles() -> SubtitleStylesResponse:
        return SubtitleStylesResponse(styles=items(SUBTITLE_STYLES))

    @app.get("/subtitle-positions", response_model=SubtitlePositionsResponse)
    async def subtitle_positions() -> SubtitlePositionsResponse:
        return SubtitlePositionsResponse(positions=items(SUBTITLE_POSITIONS))

    @app.get("/music", response_model=MusicResponse)
    async def music() -> MusicResponse:
        return MusicResponse(moods=items(MUSIC_MOODS))


def _media_routes(
    app: FastAPI,
    settings: VideoSettings,
    renderer: Renderer,
    ingester: Ingester,
    music_maker: MusicMaker,
    lip_syncer: LipSyncMaker,
) -> None:
    """The routes that make media: music, ingest, lip sync, renders and their progress."""

    @app.post("/music/generate", response_model=MusicGenerateResponse)
    async def generate_music(body: MusicGenerateRequest) -> MusicGenerateResponse:
        return await music_maker.generate(body)

    @app.post("/music/{mood}/preview", response_model=MusicPreview)
    async def preview(mood: str) -> MusicPreview:
        """The mood's loop as an MP3 in storage (rendered on the first call) and its key."""
        return await music_preview(mood, settings, renderer.storage)

    @app.post("/ingest", response_model=IngestedFile)
    async def ingest(body: IngestRequest) -> IngestedFile:
        """A staged upload, decided by its content, stored under a new key with a thumbnail;
        the staged key is always deleted. 415 not an accepted type, 413 over a limit, 422
        damaged or truncated: then nothing remains."""
        return await ingester.ingest(body)

    @app.post("/lip-sync", response_model=LipSyncResponse)
    async def lip_sync(body: LipSyncRequest, request: Request) -> LipSyncResponse:
        return await _unless_client_leaves(request, lip_syncer.lip_sync(body))

    @app.post("/render", response_model=RenderResponse)
    async def render(body: RenderRequest, request: Request) -> RenderResponse:
        check_media_keys(body)
        render_id = body.render_id or uuid_hex()
        return await _unless_client_leaves(
            request, renderer.tracked(render_id, lambda p: renderer.render(body, p))
        )

    @app.post("/timeline-render", response_model=RenderResponse)
    async def timeline_render(body: Timeline, request: Request) -> RenderResponse:
        check_media_keys(body)
        render_id = body.render_id or uuid_hex()
        return await _unless_client_leaves(
            request, renderer.tracked(render_id, lambda p: renderer.render_timeline(body, p))
        )

    @app.post("/burn-subtitles", response_model=BurnSubtitlesResponse)
    async def burn_subtitles(body: BurnSubtitlesRequest, request: Request) -> BurnSubtitlesResponse:
        render_id = body.render_id or uuid_hex()
        return await _unless_client_leaves(
            request, renderer.tracked(render_id, lambda p: renderer.burn(body, p))
        )

    @app.delete("/renders/{render_id}", status_code=204)
    async def cancel_render(render_id: str) -> Response:
        renderer.cancel(render_id)
        return Response(status_code=204)

    @app.get("/renders/{render_id}", response_model=RenderProgress)
    async def render_progress(render_id: str) -> RenderProgress:
        found = renderer.board.get(render_id)
        if found is None:
            raise ApiError(404, f"No render {render_id} is known to this process")
        return found


def uuid_hex() -> str:
    import uuid

    return uuid.uuid4().hex
