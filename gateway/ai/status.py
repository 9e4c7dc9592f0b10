"""Seed 001's job status shape, over the gateway's jobs (every kind, the pipeline's too)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from contracts.jobs import Job, JobStatus
from gateway.db import Doc
from gateway.jobs.ai import PROJECT_PARAM

AiStatus = Literal["queued", "processing", "completed", "failed", "cancelled"]
SHOWN_STATUS: dict[JobStatus, AiStatus] = {
    "queued": "queued",
    "running": "processing",
    "done": "completed",
    "failed": "failed",
    "cancelled": "cancelled",
}
# Seed 001 names a topic-to-video pipeline "video_generation"; the other kinds keep their name.
SHOWN_TYPE = {"pipeline": "video_generation"}


class AiJobStatus(BaseModel):
    id: str
    projectId: str | None
    type: str
    status: AiStatus
    progress: int
    stage: str
    createdAt: str
    startedAt: str | None
    finishedAt: str | None
    updatedAt: str
    error: str | None
    result: dict[str, Any] | None
    queue_position: int | None
    estimated_start: str | None


def ai_status(job: Job, doc: Doc) -> AiJobStatus:
    """`job` as shown (its result signed); `doc` for the project an own job was asked for."""
    project = job.project_id or (doc.get("_params") or {}).get(PROJECT_PARAM)
    return AiJobStatus(
        id=job.id,
        projectId=project,
        type=SHOWN_TYPE.get(job.kind, job.kind),
        status=SHOWN_STATUS[job.status],
        progress=int(job.percent),
        stage=job.stage,
        createdAt=job.createdAt,
        startedAt=job.startedAt,
        finishedAt=job.finishedAt,
        updatedAt=job.updatedAt,
        error=job.reason,
        result=job.result,
        queue_position=job.queue_position,
        estimated_start=job.estimated_start,
    )
