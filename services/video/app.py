"""The video service: renders narrated, subtitled MP4s from still images with FFmpeg."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import Response

from contracts.errors import ApiError
from contracts.health import Health
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
    renderer = Renderer(settings, build_storage(settings))
    app = create_app(
        name="video",
        version=VERSION,
        description="Renders narrated, subtitled MP4 videos from still images.",
        max_body_bytes=settings.max_body_bytes,
        service_tokens=settings.service_token_values(),
    )

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

    return app


def uuid_hex() -> str:
    import uuid

    return uuid.uuid4().hex
