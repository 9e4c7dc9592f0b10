"""Rendering and subtitle burning: the app's `/video` and `/subtitles` (which wait for their
job), the guide's `generate-video` (a job that returns at once) and the catalogs.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from contracts.answers import (
    CatalogOption,
    JobStarted,
    SubtitlePositions,
    SubtitleStyles,
    TemplateOption,
    Templates,
    VideoAnswer,
    VideoJobStarted,
)
from contracts.errors import ApiError
from contracts.jobs import Job, JobKind
from contracts.video import (
    CatalogItem,
    SubtitlePositionsResponse,
    SubtitleStylesResponse,
    TemplatesResponse,
)
from gateway.auth.principal import request_principal
from gateway.deps import EditableProject, State
from gateway.editor.render import editor_scenes
from gateway.jobs.render import burn_request, render_request
from gateway.jobs.service import submit, wait
from gateway.json_body import optional_json_object
from gateway.projects.access import ProjectRef
from gateway.state import GatewayState

router = APIRouter(tags=["video"])


async def _start(state: GatewayState, ref: ProjectRef, kind: JobKind, body: dict[str, Any]) -> Job:
    if ref.is_temp:
        raise ApiError(422, "Save the project first: rendering needs its stored images and audio")
    # The request is built (and so checked) before anything is recorded; the worker builds it
    # again from the stored project when the job runs.
    if kind == "render":
        render_request(state, ref, body, "check", await editor_scenes(state, ref.id))
    else:
        burn_request(ref, body, "check")
    return await submit(
        state,
        project_id=ref.id,
        kind=kind,
        stages=[kind],
        params=body,
        principal=request_principal(),
        project_changes={"status": "video_processing"} if kind == "render" else {},
    )


async def _finish(
    state: GatewayState, ref: ProjectRef, job: Job, request: Request
) -> dict[str, Any]:
    """Wait for the job; a caller that hangs up does not stop it (it runs in a worker)."""
    done = await wait(state, job.id, state.settings.video_timeout_seconds, request.is_disconnected)
    changes = done.get("result") or {}
    return {**await state.projects.get(ref.id), **state.urls.signed(changes), "job_id": job.id}


@router.post("/video/{project_id}", response_model=None, responses={200: {"model": VideoAnswer}})
async def video(request: Request, ref: EditableProject, state: State) -> Any:
    """Synchronous, as the app waits for the finished video."""
    job = await _start(state, ref, "render", await optional_json_object(request))
    return await _finish(state, ref, job, request)


@router.post(
    "/projects/{project_id}/generate-video",
    status_code=202,
    response_model=None,
    responses={202: {"model": VideoJobStarted}},
)
async def guide_generate_video(
    request: Request, ref: EditableProject, state: State
) -> JSONResponse:
    job = await _start(state, ref, "render", await optional_json_object(request))
    started = VideoJobStarted(
        message="Video generation started",
        status="processing",
        job_id=job.id,
        job_url=f"{state.settings.public_base_url}/jobs/{job.id}",
    )
    return JSONResponse(started.model_dump(), 202, headers={"Location": started.job_url})


@router.post(
    "/subtitles/{project_id}",
    response_model=None,
    responses={200: {"model": VideoAnswer}, 202: {"model": JobStarted}},
)
async def subtitles(request: Request, ref: EditableProject, state: State) -> Any:
    body = await optional_json_object(request)
    job = await _start(state, ref, "subtitles", body)
    if body.get("async_processing"):
        return JSONResponse(JobStarted(status="processing", job_id=job.id).model_dump(), 202)
    return await _finish(state, ref, job, request)


def _options(items: list[CatalogItem]) -> list[CatalogOption]:
    return [CatalogOption(name=i.id, label=i.label, description=i.description) for i in items]


@router.get("/video-template")
async def video_templates(state: State) -> Templates:
    catalog = await state.services.video.call("GET", "/templates", TemplatesResponse)
    return Templates(
        templates=[
            TemplateOption(absolute_path=t.id, label=t.label, description=t.description)
            for t in catalog.templates
        ]
    )


@router.get("/subtitles/styles")
async def subtitle_styles(state: State) -> SubtitleStyles:
    catalog = await state.services.video.call("GET", "/subtitle-styles", SubtitleStylesResponse)
    return SubtitleStyles(styles=_options(catalog.styles), default="tiktok_highlight")


@router.get("/subtitles/positions")
async def subtitle_positions(state: State) -> SubtitlePositions:
    catalog = await state.services.video.call(
        "GET", "/subtitle-positions", SubtitlePositionsResponse
    )
    return SubtitlePositions(positions=_options(catalog.positions), default="bottom")
