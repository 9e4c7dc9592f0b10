"""Jobs: long work (a render, a whole topic-to-video pipeline) queued, run by workers, followed.

A job in MongoDB is the source of truth for its state; `GET /api/v1/jobs/{id}`, the Socket.IO
events and the Server-Sent Events all show this model.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.project import ImageStyle, Language, Resolution, VoiceId
from contracts.script import Keywords, ScriptStyle
from contracts.text import Text

JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]
# The user's own AI jobs (audio, music, lip-sync, an image): no project, the result on the job.
AiJobKind = Literal["audio_generation", "music_generation", "lip_sync", "image_generation"]
JobKind = Literal[
    "render",
    "subtitles",
    "pipeline",
    "publish",
    "audio_generation",
    "music_generation",
    "lip_sync",
    "image_generation",
]
TERMINAL: tuple[JobStatus, ...] = ("done", "failed", "cancelled")
# A pipeline's stages, in order; a render job has only the last.
PIPELINE_STAGES = ("script", "audio", "images", "render")
MAX_BATCH = 100
MIN_TARGET_SECONDS = 10
MAX_TARGET_SECONDS = 600


class Job(BaseModel):
    id: str
    # None for the user's own AI jobs, which hold no project.
    project_id: str | None
    kind: JobKind
    status: JobStatus
    # The step under way: a pipeline stage, or the video service's own (fetching, encoding...).
    stage: str
    percent: float
    stages: list[str] = Field(default_factory=list)
    attempts: int = 0
    # Jobs ahead of this one in its queue (0: next); None once it runs.
    queue_position: int | None = None
    estimated_start: str | None = None
    task_id: str | None = None
    reason: str | None = None
    failed_stage: str | None = None
    result: dict[str, Any] | None = None
    createdAt: str
    updatedAt: str
    startedAt: str | None = None
    finishedAt: str | None = None


class JobPage(BaseModel):
    items: list[Job]
    total: int
    page: int
    limit: int


class GenerateOptions(BaseModel):
    """What a topic-to-video pipeline needs besides the topic (seed 003)."""

    model_config = ConfigDict(extra="forbid")

    style: ScriptStyle = "educational"
    image_style: ImageStyle = "realistic"
    target_duration: int = Field(60, ge=MIN_TARGET_SECONDS, le=MAX_TARGET_SECONDS)
    language: Language = "en"
    voice: VoiceId = "alloy"
    resolution: Resolution = "720p"
    keywords: Keywords = Field(default_factory=list)
    # With a channel_id, the channel's defaults fill what is not sent; auto_publish (the
    # channel's connection to YouTube required) ends the pipeline by publishing the video.
    auto_publish: bool = False
    channel_id: Annotated[str, Field(max_length=64)] | int | None = None
    schedule_time: datetime | None = None

    @field_validator("schedule_time")
    @classmethod
    def _in_the_future(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("give a time zone (e.g. 2030-01-02T10:00:00Z)")
        if value <= datetime.now(UTC):
            raise ValueError("must be in the future")
        return value


Topic = Annotated[Text, Field(min_length=3, max_length=500)]


class GenerateVideoRequest(GenerateOptions):
    topic: Topic

    @field_validator("topic")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if len(value.strip()) < 3:
            raise ValueError("give a topic of at least 3 characters")
        return value.strip()


class GenerateBatchRequest(GenerateOptions):
    topics: list[Topic] = Field(min_length=1, max_length=MAX_BATCH)


class GenerateVideoAccepted(BaseModel):
    video_id: str
    job_id: str
    status: JobStatus
    task_id: str | None
    queue_position: int | None
    estimated_start: str | None
    estimated_completion: str | None
    message: str
    job: Job


class GenerateBatchAccepted(BaseModel):
    items: list[GenerateVideoAccepted]
