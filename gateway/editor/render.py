"""Rendering an edited video (seed 002's render and regenerate), and its status in the seed's
shape. Both are a render job of the project (one at a time, as every render): the timeline is
built and checked before anything is recorded, and again by the worker when the job runs."""

from __future__ import annotations

import math
import time
from datetime import datetime

from contracts.editor import Regenerate, RegenerationState, RegenerationStatus, RenderOptions
from contracts.errors import ApiError
from contracts.jobs import Job
from contracts.timeline import Timeline
from gateway.auth.principal import Principal, require_feature
from gateway.credits import plans
from gateway.credits.plans import NO_WATERMARK
from gateway.db import Doc
from gateway.editor import scenes as sc
from gateway.editor.timeline import build
from gateway.jobs import service
from gateway.state import GatewayState

TIMELINE_RENDER = "/timeline-render"
STATUS: dict[str, RegenerationState] = {
    "queued": "queued",
    "running": "processing",
    "done": "completed",
    "failed": "failed",
    "cancelled": "cancelled",
}


def watermarked(principal: Principal | None, asked: bool | None) -> bool:
    """Drawn unless the plan removes it; asking a free plan to leave it out is refused."""
    if asked is False:
        if principal is not None:
            require_feature(principal, NO_WATERMARK)
        return False
    return asked is True or plans.watermarked(principal)


async def start(
    state: GatewayState,
    principal: Principal,
    video_id: str,
    options: RenderOptions,
    regenerate: Regenerate | None = None,
) -> Job:
    doc = await state.projects.stored(video_id, principal, "write")
    if regenerate is not None:
        ids = [scene["id"] for scene in sc.stored(doc)]
        for scene_id in regenerate.scenes:
            if scene_id not in ids:
                raise ApiError(
                    422,
                    f"scenes: {scene_id} is not a scene of video {video_id};"
                    f" its scenes are: {', '.join(ids) or 'none'}",
                    details={"field": "scenes"},
                )
    watermark = watermarked(principal, options.include_watermark)
    build(state, doc, options, watermark, "check")
    params: Doc = {"timeline": options.model_dump(mode="json"), "watermark": watermark}
    if regenerate is not None:
        params["regenerate"] = regenerate.model_dump(mode="json")
    return await service.submit(
        state,
        project_id=video_id,
        kind="render",
        stages=["render"],
        params=params,
        principal=principal,
        project_changes={"status": "video_processing"},
    )


async def last_options(state: GatewayState, video_id: str) -> RenderOptions:
    """A regeneration renders as the video's last editor render did (else the defaults)."""
    latest = await state.jobs.latest_for(video_id)
    params = (latest or {}).get("_params") or {}
    options = params.get("timeline")
    return RenderOptions.model_validate(options) if options else RenderOptions()


async def editor_scenes(state: GatewayState, project_id: str) -> list[Doc] | None:
    """The editor's stored scenes of a project (None: never opened in the editor)."""
    doc = await state.projects.stored(project_id, None, "read")
    scenes: list[Doc] | None = doc.get("_scenes")
    return scenes


async def timeline_of(
    state: GatewayState, project_id: str, params: Doc, render_id: str
) -> Timeline:
    """The worker's timeline: built again from the project as it is stored now."""
    doc = await state.projects.stored(project_id, None, "read")
    options = RenderOptions.model_validate(params["timeline"])
    return build(state, doc, options, bool(params.get("watermark")), render_id)


async def seconds_left(state: GatewayState, job: Job) -> int | None:
    """Until the job should be done, from the mean run time of recent renders."""
    if job.status == "done":
        return 0
    mean = await state.jobs.mean_seconds(job.kind)
    if mean is None:
        return None
    if job.status == "queued" and job.estimated_start:
        start = datetime.fromisoformat(job.estimated_start.replace("Z", "+00:00")).timestamp()
        return max(0, math.ceil(start - time.time() + mean))
    if job.status == "running":
        return max(0, math.ceil(mean * (1 - job.percent / 100)))
    return None


async def status(state: GatewayState, principal: Principal, video_id: str) -> RegenerationStatus:
    doc = await state.projects.stored(video_id, principal, "read")
    latest = await state.jobs.latest_for(video_id)
    if latest is None:
        raise ApiError(404, f"Video {video_id} has not been rendered or regenerated yet")
    job = await service.shown(state, latest)
    total = len(sc.stored(doc))
    progress = 100 if job.status == "done" else math.floor(job.percent)
    current = total if job.status == "done" else min(total, 1 + total * progress // 100)
    return RegenerationStatus(
        job_id=job.id,
        status=STATUS[job.status],
        progress=progress,
        current_scene=current if job.status != "queued" else 0,
        total_scenes=total,
        estimated_time_remaining=await seconds_left(state, job),
        reason=job.reason,
    )
