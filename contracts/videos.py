"""Seed 003's video domain: a video is a project, listed with its own filters, and what making
it cost, step by step."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class VideoPage(BaseModel):
    videos: list[dict[str, Any]] = Field(description="Projects, as `GET /projects/{id}` shows")
    page: int
    limit: int
    total: int


class StepCost(BaseModel):
    job_id: str
    kind: str
    stage: str
    job_status: str
    provider: str
    units: float
    unit: str
    price: int = Field(description="The credits the step is priced at")
    credits: int = Field(description="The credits charged for it (0 if refunded or free)")


class VideoCost(BaseModel):
    video_id: str
    total_credits: int = Field(description="Credits charged: by jobs done or under way")
    refunded_credits: int = Field(description="Credits given back for failed or cancelled jobs")
    steps: list[StepCost]
