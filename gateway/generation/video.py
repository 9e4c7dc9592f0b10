"""Rendering and subtitle burning: the app's `/video` and `/subtitles` (which wait for their
job), the guide's `generate-video` (a job that returns at once) and the catalogs.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from contracts.errors import ApiError
from contracts.jobs import Job, JobKind
from contracts.video import (
    SubtitlePositionsResponse,
    SubtitleStylesResponse,
    TemplatesResponse,
)
from gateway.auth.principal import request_principal
from gateway.body import optional_json_object
from gateway.jobs.render import burn_request, render_request
from gateway.jobs.service import submit, wait
from gateway.projects.access import Project, ProjectRef
from gateway.state import GatewayState, get_state

router = APIRouter(tags=["video"])
State = Annotated[GatewayState, Depends(get_state)]


async def _start(state: GatewayState, ref: ProjectRef, kind: JobKind, body: dict[str, Any]) -> Job:
    if ref.is_temp:
        raise ApiError(422, "Save the project first: rendering needs its stored images and audio")
    # The request is built (and so checked) before anything is recorded; the worker builds it
    # again from the stored project when the job runs.
    if kind == "render":
        render_request(state, ref, body, "check")
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


async def _finish(state: GatewayState, ref: ProjectRef, job: Job) -> dict[str, Any]:
    """Wait for the job; a caller that hangs up does not stop it (it runs in a worker)."""
    done = await wait(state, job.id, state.settings.video_timeout)
    changes = done.get("result") or {}
    return {**await state.projects.get(ref.id), **state.urls.signed(changes), "job_id": job.id}


@router.post("/video/{project_id}")
async def video(request: Request, ref: Project, state: State) -> Any:
    """Synchronous, as the app waits for the finished video."""
    job = await _start(state, ref, "render", await optional_json_object(request))
    return await _finish(state, ref, job)


@router.post("/projects/{project_id}/generate-video", status_code=202)
async def guide_generate_video(request: Request, ref: Project, state: State) -> JSONResponse:
    job = await _start(state, ref, "render", await optional_json_object(request))
    body = {"message": "Video generation started", "status": "processing", "job_id": job.id,
            "job_url": f"{state.settings.public_base_url}/jobs/{job.id}"}  # fmt: skip
    return JSONResponse(body, 202, headers={"Location": body["job_url"]})


@router.post("/subtitles/{project_id}")
async def subtitles(request: Request, ref: Project, state: State) -> Any:
    body = await optional_json_object(request)
    job = await _start(state, ref, "subtitles", body)
    if body.get("async_processing"):
        return JSONResponse({"status": "processing", "job_id": job.id}, 202)
    return await _finish(state, ref, job)


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
