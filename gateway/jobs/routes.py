"""Jobs over HTTP: seed 003's topic-to-video pipeline (one job, or up to 100 at once), retry from
the failed stage, listing, following (JSON, or Server-Sent Events) and cancelling; the guide's
`/jobs/{id}` is an alias of the same handler; seed 001's status shape is gateway/ai/status.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from contracts.errors import ApiError
from contracts.jobs import (
    PIPELINE_STAGES,
    TERMINAL,
    GenerateBatchAccepted,
    GenerateBatchRequest,
    GenerateOptions,
    GenerateVideoAccepted,
    GenerateVideoRequest,
    Job,
    JobKind,
    JobPage,
    JobStatus,
)
from contracts.script import ScriptStyle
from contracts.text import Text
from gateway.auth.middleware import HOUR
from gateway.auth.principal import CurrentPrincipal, Principal
from gateway.auth.roles import PROJECTS_ANY
from gateway.channels.plan import Plan, plan
from gateway.credits import reservations
from gateway.db import Doc
from gateway.deps import AccountsDep, State
from gateway.jobs import service
from gateway.projects.access import project_ref
from gateway.security.counters import too_many
from gateway.state import GatewayState

router = APIRouter(tags=["jobs"])
EVENT_POLL = 0.5
# A pipeline plans about one scene per this many seconds of video.
SECONDS_PER_SCENE = 12
MAX_SCENES = 12


@router.get("/jobs/{job_id}", response_model=Job)
@router.get("/api/v1/jobs/{job_id}", response_model=Job)
async def get_job(job_id: str, state: State) -> Job:
    return await service.shown(state, await service.readable_job(state, job_id))


@router.get("/api/v1/jobs", response_model=JobPage)
async def list_jobs(
    state: State,
    principal: CurrentPrincipal,
    status: JobStatus | None = None,
    project_id: Annotated[str | None, Query(max_length=64)] = None,
    kind: JobKind | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> JobPage:
    query: Doc = {}
    if not principal.can(PROJECTS_ANY):
        query["_owner"] = principal.user_id
    for name, value in (("status", status), ("project_id", project_id), ("kind", kind)):
        if value is not None:
            query[name] = value
    jobs, total = await state.jobs.page(query, page, limit)
    return JobPage(items=jobs, total=total, page=page, limit=limit)


@router.delete("/api/v1/jobs/{job_id}", response_model=Job)
async def cancel_job(job_id: str, state: State, principal: CurrentPrincipal) -> Job:
    return await service.cancel(state, job_id, principal)


@router.get("/api/v1/jobs/{job_id}/events", response_class=StreamingResponse)
async def job_events(job_id: str, state: State, request: Request) -> StreamingResponse:
    """Server-Sent Events: the job each time it changes, until it ends (for curl and simple
    clients; the app's live channel is Socket.IO)."""
    await service.readable_job(state, job_id)

    async def stream() -> AsyncIterator[bytes]:
        last = None
        while not await request.is_disconnected():
            job = await service.shown(state, await state.jobs.doc(job_id))
            current = job.model_dump(mode="json")
            if current != last:
                event = "job:progress" if job.status not in TERMINAL else f"job:{job.status}"
                yield b"event: " + event.encode() + b"\ndata: " + orjson.dumps(current) + b"\n\n"
                last = current
            if job.status in TERMINAL:
                return
            await asyncio.sleep(EVENT_POLL)

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )


# --- seed 003: from a topic to a finished video -------------------------------------------


def _project_fields(topic: str, options: GenerateOptions) -> Doc:
    scenes = max(1, min(MAX_SCENES, round(options.target_duration / SECONDS_PER_SCENE)))
    return {
        "title": topic[:500],
        "language": options.language,
        "voice_id": options.voice,
        "image_style": options.image_style,
        "resolution": options.resolution,
        "duration": options.target_duration,
        "nb_section": scenes,
        "keywords": ", ".join(options.keywords),
        "style": options.style,
        **({"channel_id": options.channel_id} if options.channel_id is not None else {}),
    }


async def _pipeline(
    state: GatewayState,
    principal: Principal,
    topic: str,
    options: GenerateOptions,
    channel: Plan | None = None,
) -> GenerateVideoAccepted:
    owner = principal.user_id
    extra = channel.project_fields if channel else {}
    project = await state.projects.create({**_project_fields(topic, options), **extra}, owner)
    not_before = options.schedule_time.timestamp() if options.schedule_time else None
    # A channel's auto_publish ends the pipeline on YouTube.
    publish = channel.publish if channel else None
    try:
        job = await service.submit(
            state,
            project_id=project["id"],
            kind="pipeline",
            stages=[*PIPELINE_STAGES, "publish"] if publish else list(PIPELINE_STAGES),
            params=publish or {},
            principal=principal,
            project_changes={},
            not_before=not_before,
        )
    except BaseException:
        await state.projects.delete(project["id"])  # nothing half-made stays behind
        raise
    mean = await state.jobs.mean_seconds("pipeline")
    return GenerateVideoAccepted(
        video_id=project["id"],
        job_id=job.id,
        status=job.status,
        task_id=job.task_id,
        queue_position=job.queue_position,
        estimated_start=job.estimated_start,
        estimated_completion=service.estimated_completion(job, mean),
        message="Video generation scheduled" if not_before else "Video generation queued",
        job=job,
    )


@router.post("/api/v1/videos/generate", status_code=202, response_model=GenerateVideoAccepted)
async def generate_video(
    body: GenerateVideoRequest, state: State, principal: CurrentPrincipal
) -> GenerateVideoAccepted:
    channel = await plan(state, principal, body, 1)
    try:
        return await _pipeline(state, principal, body.topic, channel.options, channel)
    except BaseException:
        await channel.undo(state, 1)
        raise


@router.post("/api/v1/videos/generate-batch", status_code=202, response_model=GenerateBatchAccepted)
async def generate_batch(
    body: GenerateBatchRequest, state: State, principal: CurrentPrincipal, accounts: AccountsDep
) -> GenerateBatchAccepted:
    settings = state.settings
    if settings.rate_limit_enabled and not principal.is_local:
        # Counted here, not by the middleware (which counts calls): one video per topic.
        per_hour = settings.rate_limit_video_per_hour
        limit = per_hour.get(principal.tier, per_hour.get("free", 10))
        window = await accounts.rate.hit(
            f"video:{principal.user_id}", limit, HOUR, count=len(body.topics)
        )
        if window.exceeded:
            raise too_many(f"Video generation limit reached: {limit} per hour", window)
    await reservations.ensure_covers(state, principal, list(PIPELINE_STAGES), len(body.topics))
    channel = await plan(state, principal, body, len(body.topics))
    started = time.monotonic()
    items: list[GenerateVideoAccepted] = []
    try:
        for topic in body.topics:
            items.append(await _pipeline(state, principal, topic, channel.options, channel))
    except BaseException:
        await channel.undo(state, len(body.topics) - len(items))
        raise
    service.log.info("batch of %d queued in %.2f s", len(items), time.monotonic() - started)
    return GenerateBatchAccepted(items=items)


@router.post("/api/v1/videos/{project_id}/retry", status_code=202, response_model=Job)
async def retry(project_id: str, state: State, principal: CurrentPrincipal) -> Job:
    """Start again from the stage that failed, keeping what the earlier stages made."""
    ref = await project_ref(project_id, state)
    failed = await state.jobs.latest_for(ref.id)
    if failed is None or failed["status"] not in ("failed", "cancelled"):
        raise ApiError(409, "Nothing to retry: the project's last job did not fail")
    stages: list[str] = failed["stages"]
    start = failed.get("failed_stage") or failed["_next"]
    return await service.submit(
        state,
        project_id=ref.id,
        kind=failed["kind"],
        stages=stages[stages.index(start) :] if start in stages else stages,
        params=failed.get("_params") or {},
        principal=principal,
        project_changes={"status": "video_processing"} if failed["kind"] == "render" else {},
    )


class AiVideoRequest(BaseModel):
    """Seed 001's `POST /api/v1/ai/video-generate`."""

    model_config = ConfigDict(extra="forbid")

    prompt: Annotated[Text, Field(min_length=3, max_length=500)]
    style: ScriptStyle = "educational"
    duration: int = Field(30, ge=10, le=600)
    projectId: Annotated[str, Field(max_length=64)] | None = None


class AiJobAccepted(BaseModel):
    jobId: str
    projectId: str
    status: JobStatus
    estimatedTime: str | None


@router.post("/api/v1/ai/video-generate", status_code=202, response_model=AiJobAccepted)
async def ai_video_generate(
    body: AiVideoRequest, state: State, principal: CurrentPrincipal
) -> AiJobAccepted:
    options = GenerateOptions.model_validate(
        {"style": body.style, "target_duration": body.duration}
    )
    if body.projectId is None:
        accepted = await _pipeline(state, principal, body.prompt, options)
        job = accepted.job
    else:
        ref = await project_ref(body.projectId, state)
        job = await service.submit(
            state,
            project_id=ref.id,
            kind="pipeline",
            stages=list(PIPELINE_STAGES),
            params={},
            principal=principal,
            project_changes={},
        )
    return AiJobAccepted(
        jobId=job.id, projectId=job.project_id, status=job.status, estimatedTime=job.estimated_start
    )
