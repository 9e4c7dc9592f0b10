"""Seed 002's AI images: `POST /api/v1/media/generate-ai` queues a drawing as the user's own
job, `GET /api/v1/media/ai-status/{jobId}` shows it and, once drawn, its media object."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.image import MAX_PROMPT_CHARS, AspectRatio
from contracts.jobs import TERMINAL
from contracts.library import MediaItem
from contracts.project import ImageStyle
from contracts.text import Text
from gateway.ai.status import SHOWN_STATUS, AiStatus
from gateway.auth.principal import CurrentPrincipal
from gateway.db import Doc
from gateway.deps import State
from gateway.jobs import service
from gateway.jobs.ai import STAGES
from gateway.jobs.store import JobNotFound
from gateway.library.shown import media_item
from gateway.state import GatewayState

router = APIRouter(tags=["ai"])
# The editor's style names that are not the image service's, and the style each one draws.
STYLE_ALIASES: dict[str, ImageStyle] = {"cinematic": "realistic", "photographic": "realistic"}
# "high" keeps every pixel (PNG); "standard" is a lighter JPEG.
QUALITY_FORMATS = {"high": "png", "standard": "jpeg"}


class GenerateAiRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: Annotated[Text, Field(min_length=3, max_length=MAX_PROMPT_CHARS)]
    style: ImageStyle | Literal["cinematic", "photographic"] = "realistic"
    aspect_ratio: AspectRatio = "16:9"
    quality: Literal["standard", "high"] = "high"

    @field_validator("prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if len(value.strip()) < 3:
            raise ValueError("give a prompt of at least 3 characters")
        return value.strip()


class GenerateAiData(BaseModel):
    job_id: str
    status: AiStatus
    # Seconds, from the recent image jobs' mean run time; None until one has finished.
    estimated_time: int | None


class GenerateAiAccepted(BaseModel):
    success: bool
    data: GenerateAiData


class AiMedia(MediaItem):
    """The library entry of the drawn image, with what drew it."""

    ai_prompt: str
    style: str
    provider: str


class AiStatusData(BaseModel):
    job_id: str
    status: AiStatus
    progress: int
    error: str | None
    media: AiMedia | None


class AiStatusAnswer(BaseModel):
    success: bool
    data: AiStatusData


@router.post("/api/v1/media/generate-ai", status_code=202, response_model=GenerateAiAccepted)
async def generate_ai(
    body: GenerateAiRequest, state: State, principal: CurrentPrincipal
) -> GenerateAiAccepted:
    params = {
        "prompt": body.prompt,
        "style": STYLE_ALIASES.get(body.style, body.style),
        "aspect_ratio": body.aspect_ratio,
        "format": QUALITY_FORMATS[body.quality],
    }
    job = await service.submit_own(
        state,
        kind="image_generation",
        stage=STAGES["image_generation"],
        params=params,
        principal=principal,
    )
    mean = await state.jobs.mean_seconds("image_generation")
    return GenerateAiAccepted(
        success=True,
        data=GenerateAiData(
            job_id=job.id,
            status=SHOWN_STATUS[job.status],
            estimated_time=round(mean) if mean is not None else None,
        ),
    )


async def _media(state: GatewayState, doc: Doc, result: dict[str, Any]) -> AiMedia | None:
    """None once its owner removed it from their library."""
    entry = await state.library.get(result["library_id"], "media", doc["_owner"])
    if entry is None:
        return None
    return AiMedia(
        **media_item(entry, state.urls),
        ai_prompt=result["prompt"],
        style=result["style"],
        provider=result["provider"],
    )


@router.get("/api/v1/media/ai-status/{job_id}", response_model=AiStatusAnswer)
async def ai_status(job_id: str, state: State) -> AiStatusAnswer:
    doc: Doc = await service.readable_job(state, job_id)
    if doc["kind"] != "image_generation":
        raise JobNotFound(job_id)
    job = await service.shown(state, doc)
    done = job.status == "done" and job.result is not None
    return AiStatusAnswer(
        success=True,
        data=AiStatusData(
            job_id=job.id,
            status=SHOWN_STATUS[job.status],
            progress=int(job.percent),
            error=job.reason if job.status in TERMINAL else None,
            media=await _media(state, doc, job.result or {}) if done else None,
        ),
    )
