"""Seed 001's AI jobs: voice, music and lip-sync as the user's own jobs, and their status."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.jobs import AiJobKind
from gateway.ai.media_paths import avatar_poses, narration_words, own_key
from gateway.ai.requests import AiAudioRequest, AiJobQueued, AiLipSyncRequest, AiMusicRequest
from gateway.ai.status import AiJobStatus, ai_status
from gateway.auth.principal import CurrentPrincipal, Principal
from gateway.db import Doc
from gateway.deps import State
from gateway.jobs import service
from gateway.jobs.ai import PROJECT_PARAM, STAGES
from gateway.projects.access import readable_project
from gateway.state import GatewayState

router = APIRouter(tags=["ai"])


async def queue_own(
    state: GatewayState,
    principal: Principal,
    kind: AiJobKind,
    params: Doc,
    project_id: str | None,
) -> AiJobQueued:
    """Queue a user's own job; a project it names must be theirs to read (else 404)."""
    if project_id is not None:
        await readable_project(project_id, state.projects)
        params = {**params, PROJECT_PARAM: project_id}
    job = await service.submit_own(
        state, kind=kind, stage=STAGES[kind], params=params, principal=principal
    )
    return AiJobQueued(
        jobId=job.id, projectId=project_id, status=job.status, estimatedTime=job.estimated_start
    )


@router.post("/api/v1/ai/audio-generate", status_code=202, response_model=AiJobQueued)
async def audio_generate(
    body: AiAudioRequest, state: State, principal: CurrentPrincipal
) -> AiJobQueued:
    return await queue_own(state, principal, "audio_generation", body.speech(), body.projectId)


@router.post("/api/v1/ai/music-generate", status_code=202, response_model=AiJobQueued)
async def music_generate(
    body: AiMusicRequest, state: State, principal: CurrentPrincipal
) -> AiJobQueued:
    params = {"prompt": body.prompt, "duration": body.duration, "genre": body.genre}
    return await queue_own(state, principal, "music_generation", params, body.projectId)


@router.post("/api/v1/ai/lip-sync", status_code=202, response_model=AiJobQueued)
async def lip_sync(
    body: AiLipSyncRequest, state: State, principal: CurrentPrincipal
) -> AiJobQueued:
    video_key = await own_key(state, principal, body.videoPath, "videoPath")
    audio_key = await own_key(state, principal, body.audioPath, "audioPath")
    params = {
        "video_key": video_key,
        "audio_key": audio_key,
        # Signed now, while the signer is at hand: a cloud provider fetches them later.
        "video_url": state.urls.signed(state.media_url(video_key)),
        "audio_url": state.urls.signed(state.media_url(audio_key)),
        "avatar": await avatar_poses(state, body.avatarId),
        "words_key": await narration_words(state, principal, audio_key),
    }
    return await queue_own(state, principal, "lip_sync", params, body.projectId)


@router.get("/api/v1/ai/jobs/{job_id}/status", response_model=AiJobStatus)
async def job_status(job_id: str, state: State) -> AiJobStatus:
    doc = await service.readable_job(state, job_id)
    return ai_status(await service.shown(state, doc), doc)
