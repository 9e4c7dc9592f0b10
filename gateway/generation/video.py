"""Rendering and subtitle burning: the app's `/video`, `/subtitles`, catalogs, the guide's
`generate-video` (a job that returns at once) and `/jobs/{id}` to follow it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pymongo.errors import ConnectionFailure

from contracts.errors import ApiError
from contracts.video import (
    BurnSubtitlesRequest,
    BurnSubtitlesResponse,
    RenderProgress,
    RenderRequest,
    RenderResponse,
    SubtitlePositionsResponse,
    SubtitleStylesResponse,
    TemplatesResponse,
    check_media_keys,
)
from gateway.body import optional_json_object
from gateway.generation.calls import build, payload
from gateway.jobs import Job
from gateway.projects.access import Project, ProjectRef, readable_project
from gateway.state import GatewayState, get_state

router = APIRouter(tags=["video"])
State = Annotated[GatewayState, Depends(get_state)]
PROGRESS_EVERY = 1.0
DEFAULT_TEMPLATE = "ken_burns"


def _template(ref: ProjectRef, body: dict[str, Any]) -> str:
    for name in ("video_template_path", "template", "video_template_id"):
        if value := body.get(name):
            return str(value)
    return str(ref.field("video_template_path") or DEFAULT_TEMPLATE)


def render_request(
    state: GatewayState, ref: ProjectRef, body: dict[str, Any], job_id: str
) -> RenderRequest:
    """Everything the render needs, taken from the stored project and checked before any work."""
    images = ref.field("images", []) or []
    if not images:
        raise ApiError(422, "The project has no images: generate the scene images first")
    keys = []
    for number, image in enumerate(images, start=1):
        key = state.media_key(image.get("url") if isinstance(image, dict) else None)
        if key is None:
            raise ApiError(422, f"Scene {number} has no image yet: generate the images first")
        keys.append(key)
    narration = ref.field("audio_key") or state.media_key(ref.field("audio_path"))
    if not narration:
        raise ApiError(422, "The project has no narration: generate the audio first")
    sections = ref.field("script_sections") or []
    texts = [s.get("narration") for s in sections] if len(sections) == len(keys) else []
    scenes = [
        {"image_key": key, **({"text": texts[i]} if texts and texts[i] else {})}
        for i, key in enumerate(keys)
    ]
    subtitles = body.get("subtitles")
    request = build(
        RenderRequest,
        {
            "render_id": job_id,
            "scenes": scenes,
            "narration_key": narration,
            "words_key": ref.field("audio_words_key"),
            "resolution": body.get("resolution") or ref.field("resolution") or "1080p",
            "fps": body.get("fps") or ref.field("fps") or 30,
            "template": _template(ref, body),
            "music": body.get("background_music", ref.field("background_music")),
            **({"subtitles": subtitles} if isinstance(subtitles, dict) else {}),
        },
    )
    check_media_keys(request)
    return request


async def _relay_progress(state: GatewayState, job_id: str) -> None:
    """Copy the video service's stage and percent onto the job while it renders."""
    while True:
        await asyncio.sleep(PROGRESS_EVERY)
        # Best effort: a missed update is made good by the next one, or by the outcome.
        with contextlib.suppress(ApiError, ConnectionFailure):
            progress = await state.services.video.call("GET", f"/renders/{job_id}", RenderProgress)
            await state.jobs.update(job_id, stage=progress.stage, percent=progress.percent)


async def _run(
    state: GatewayState,
    job: Job,
    path: str,
    request: RenderRequest | BurnSubtitlesRequest,
    owner: str | None,
) -> dict[str, Any]:
    """Call the video service for a job; record the outcome on the job and the project."""
    await state.jobs.update(job.id, status="running", stage="fetching")
    relay = asyncio.create_task(_relay_progress(state, job.id))
    try:
        answer: RenderResponse | BurnSubtitlesResponse = await state.services.video.call(
            "POST",
            path,
            RenderResponse if isinstance(request, RenderRequest) else BurnSubtitlesResponse,
            json=payload(request),
        )
    except BaseException as exc:
        # Whatever stops the call, the job ends as failed with a reason: never stuck at a percent.
        if isinstance(exc, ApiError):
            reason = exc.detail
        elif isinstance(exc, asyncio.CancelledError):
            reason = "interrupted: the gateway stopped"
        else:
            reason = "internal error in the gateway"
        with contextlib.suppress(Exception):
            stage = (await state.jobs.get(job.id)).stage
            await state.jobs.update(job.id, status="failed", reason=reason)
            failed: dict[str, Any] = {
                "video_error": {"stage": stage, "reason": reason, "job_id": job.id}
            }
            if isinstance(request, RenderRequest):  # a failed burn leaves the video usable
                failed["status"] = "video_failed"
            await state.projects.update(job.project_id, failed)
        raise
    finally:
        relay.cancel()
    await state.media_owners.record([answer.video_key, answer.thumbnail_key], owner, job.project_id)
    if isinstance(answer, RenderResponse):
        changes = _rendered(state, answer)
    else:
        assert isinstance(request, BurnSubtitlesRequest)
        changes = _subtitled(state, answer, request)
    await state.jobs.update(job.id, status="done", stage="done", percent=100.0, result=changes)
    with contextlib.suppress(ApiError):  # the project may have been deleted meanwhile
        await state.projects.update(job.project_id, {**changes, "video_error": None})
    return changes


def _rendered(state: GatewayState, result: RenderResponse) -> dict[str, Any]:
    return {
        "video_url": state.media_url(result.video_key),
        "video_key": result.video_key,
        "source_video_key": result.video_key,
        "thumbnail_path": state.media_url(result.thumbnail_key),
        "duration": round(result.duration, 3),
        "status": "video_ready",
        "video_render_seconds": result.render_seconds,
    }


def _subtitled(
    state: GatewayState, result: BurnSubtitlesResponse, request: BurnSubtitlesRequest
) -> dict[str, Any]:
    return {
        "video_url": state.media_url(result.video_key),
        "video_key": result.video_key,
        "thumbnail_path": state.media_url(result.thumbnail_key),
        "duration": round(result.duration, 3),
        "status": "video_subtitled",
        "subtitle_style": request.subtitles.style,
        "subtitle_position": request.subtitles.position,
    }


def burn_request(ref: ProjectRef, body: dict[str, Any], job_id: str) -> BurnSubtitlesRequest:
    # Always burn onto the render without subtitles, so burning twice never stacks captions.
    source = ref.field("source_video_key") or ref.field("video_key")
    if not source:
        raise ApiError(422, "The project has no video yet: render the video first")
    words = ref.field("audio_words_key")
    if not words:
        raise ApiError(422, "The project has no word timings: generate the audio first")
    subtitles = {
        "style": body.get("style_name") or body.get("style") or "tiktok_highlight",
        "position": body.get("position_name") or body.get("position") or "bottom",
        "words_key": words,
    }
    request = build(
        BurnSubtitlesRequest,
        {"render_id": job_id, "video_key": source, "subtitles": subtitles},
    )
    check_media_keys(request)
    return request


async def _start(
    state: GatewayState, ref: ProjectRef, kind: str, body: dict[str, Any]
) -> tuple[Job, asyncio.Task[dict[str, Any]]]:
    if ref.is_temp:
        raise ApiError(422, "Save the project first: rendering needs its stored images and audio")
    # The request is built (and so checked) before anything is recorded.
    job_id = state.jobs.new_id()
    if kind == "render":
        request: RenderRequest | BurnSubtitlesRequest = render_request(state, ref, body, job_id)
        path = "/render"
    else:
        request, path = burn_request(ref, body, job_id), "/burn-subtitles"
    job = await state.jobs.create(job_id, ref.id, kind)
    if kind == "render":
        await ref.save({"status": "video_processing", "video_job_id": job.id}, [])
    return job, state.jobs.spawn(
        _run(state, job, path, request, ref.user_id), f"{kind} job {job.id}"
    )


async def _finish(state: GatewayState, ref: ProjectRef, job: Job, task: Any) -> dict[str, Any]:
    try:
        # shield: a caller that hangs up does not cancel the render; the job still completes.
        changes = await asyncio.shield(task)
    except ApiError:
        raise
    except Exception:
        # Logged with its traceback when the job ended (JobStore.spawn), not a second time here.
        raise ApiError(500, "Rendering failed: internal error in the gateway") from None
    return {**await state.projects.get(ref.id), **state.urls.signed(changes), "job_id": job.id}


@router.post("/video/{project_id}")
async def video(request: Request, ref: Project, state: State) -> Any:
    """Synchronous, as the app waits for the finished video."""
    job, task = await _start(state, ref, "render", await optional_json_object(request))
    return await _finish(state, ref, job, task)


@router.post("/projects/{project_id}/generate-video", status_code=202)
async def guide_generate_video(request: Request, ref: Project, state: State) -> JSONResponse:
    job, _ = await _start(state, ref, "render", await optional_json_object(request))
    body = {"message": "Video generation started", "status": "processing", "job_id": job.id,
            "job_url": f"{state.settings.public_base_url}/jobs/{job.id}"}  # fmt: skip
    return JSONResponse(body, 202, headers={"Location": body["job_url"]})


@router.post("/subtitles/{project_id}")
async def subtitles(request: Request, ref: Project, state: State) -> Any:
    body = await optional_json_object(request)
    job, task = await _start(state, ref, "subtitles", body)
    if body.get("async_processing"):
        return JSONResponse({"status": "processing", "job_id": job.id}, 202)
    return await _finish(state, ref, job, task)


@router.get("/jobs/{job_id}", response_model=Job)
async def get_job(job_id: str, state: State) -> Job:
    job = await state.jobs.get(job_id)
    try:
        # A job is as visible as its project: someone else's answers 404, like the project does.
        await readable_project(job.project_id, state.projects)
    except ApiError as exc:
        if exc.status == 404 and exc.detail.startswith("Project not found"):
            raise ApiError(404, f"Job not found: {job_id}") from None
        raise
    return job


@router.get("/video-template")
async def video_templates(state: State) -> dict[str, Any]:
    catalog = await state.services.video.call("GET", "/templates", TemplatesResponse)
    return {
        "templates": [
            {"absolute_path": t.id, "label": t.label, "description": t.description}
            for t in catalog.templates
        ]
    }


@router.get("/subtitles/styles")
async def subtitle_styles(state: State) -> dict[str, Any]:
    catalog = await state.services.video.call("GET", "/subtitle-styles", SubtitleStylesResponse)
    return {
        "styles": [
            {"name": s.id, "label": s.label, "description": s.description} for s in catalog.styles
        ],
        "default": "tiktok_highlight",
    }


@router.get("/subtitles/positions")
async def subtitle_positions(state: State) -> dict[str, Any]:
    catalog = await state.services.video.call(
        "GET", "/subtitle-positions", SubtitlePositionsResponse
    )
    return {
        "positions": [
            {"name": p.id, "label": p.label, "description": p.description}
            for p in catalog.positions
        ],
        "default": "bottom",
    }
