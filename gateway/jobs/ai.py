"""What a worker does for a user's own AI job: one call to a service, the result on the job.

These jobs hold no project (contracts/jobs.py `AiJobKind`): nothing is locked, nothing written
on a project; every file a service made is recorded as the user's (gateway/media_owners.py) and
lands in their library, its entry named on the result (`library_id`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from contracts.ai_media import (
    LipSyncRequest,
    LipSyncResponse,
    MusicGenerateRequest,
    MusicGenerateResponse,
)
from contracts.audio import GenerateRequest, GenerateResponse
from contracts.errors import ApiError
from contracts.image import GeneratedImage, GenerateImageRequest
from contracts.jobs import AiJobKind
from gateway.db import Doc
from gateway.generation.requests import as_json, contract_request
from gateway.library.store import Kind
from gateway.state import GatewayState

M = TypeVar("M", bound=BaseModel)
PROJECT_PARAM = "project_id"
TITLE_CHARS = 80
# Each kind's one stage, as the job shows it.
STAGES: dict[AiJobKind, str] = {
    "audio_generation": "voice",
    "music_generation": "music",
    "lip_sync": "lip_sync",
    "image_generation": "image",
}


def _title(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= TITLE_CHARS else flat[: TITLE_CHARS - 1] + "…"


async def run_stage(state: GatewayState, doc: Doc) -> Doc:
    """The stage's result, as the job shows it; an ApiError as the service gave it."""
    stage, owner = doc["_next"], doc["_owner"]
    # The project a job was asked for is only named on it, never written.
    params = {k: v for k, v in doc["_params"].items() if k != PROJECT_PARAM}
    if stage == "voice":
        return await _voice(state, doc, params, owner)
    if stage == "music":
        return await _music(state, doc, params, owner)
    if stage == "image":
        return await _image(state, doc, params, owner)
    if stage == "lip_sync":
        return await _lip_sync(state, doc, params, owner)
    raise ApiError(500, f"Unknown stage {stage!r}")


async def _once(
    state: GatewayState, doc: Doc, model: type[M], call: Callable[[], Awaitable[M]]
) -> M:
    """The service's answer for this job, asked for once: a job run again after its worker
    died reuses the answer it recorded, so its file is kept once (one library entry)."""
    if (made := doc.get("_made")) is not None:
        return model.model_validate(made)
    answer = await call()
    await state.jobs.set(doc["_id"], _made=answer.model_dump(mode="json"))
    return answer


async def _in_library(state: GatewayState, kind: Kind, owner: str, key: str, **fields: Any) -> str:
    """The library entry of a result's file; a job run again finds the one it added."""
    found = await state.library.entries.find_one({"key": key, "owner": owner}, {"_id": 1})
    if found is not None:
        return str(found["_id"])
    stored = await state.storage.stat(key)
    if stored is None:
        raise ApiError(502, "The service answered with a file it did not store")
    entry = await state.library.add(
        kind,
        owner,
        source="ai",
        key=key,
        content_type=stored.content_type,
        size_bytes=stored.size,
        **fields,
    )
    return str(entry["_id"])


async def _voice(state: GatewayState, doc: Doc, params: Doc, owner: str) -> Doc:
    request = contract_request(GenerateRequest, params)
    answer = await _once(
        state,
        doc,
        GenerateResponse,
        lambda: state.services.audio.call(
            "POST", "/generate", GenerateResponse, json=as_json(request)
        ),
    )
    await state.media_owners.record([answer.audio_key, answer.words_key], owner, None)
    library_id = await _in_library(
        state,
        "audio",
        owner,
        answer.audio_key,
        title=_title(request.text),
        artist=answer.voice,
        category="Voiceover",
        duration=answer.duration,
        ai_prompt=request.text,
    )
    return {
        "library_id": library_id,
        "audio_url": state.media_url(answer.audio_key),
        "audio_key": answer.audio_key,
        "words_key": answer.words_key,
        "duration": answer.duration,
        "voice_id": answer.voice_id,
        "language": answer.language,
        "voice": answer.voice,
        "provider": answer.provider,
        "timing_source": answer.timing_source,
        "text": request.text,
    }


async def _music(state: GatewayState, doc: Doc, params: Doc, owner: str) -> Doc:
    request = contract_request(MusicGenerateRequest, params)
    answer = await _once(
        state,
        doc,
        MusicGenerateResponse,
        lambda: state.services.video.call(
            "POST", "/music/generate", MusicGenerateResponse, json=as_json(request)
        ),
    )
    await state.media_owners.record([answer.audio_key], owner, None)
    library_id = await _in_library(
        state,
        "audio",
        owner,
        answer.audio_key,
        title=_title(request.prompt),
        artist="Synthesised (offline)" if answer.synthesised else answer.provider,
        category="Music",
        tags=[t for t in (answer.genre, answer.mood) if t],
        duration=answer.duration,
        ai_prompt=request.prompt,
    )
    return {
        "library_id": library_id,
        "audio_url": state.media_url(answer.audio_key),
        **answer.model_dump(mode="json"),
        "prompt": request.prompt,
    }


async def _image(state: GatewayState, doc: Doc, params: Doc, owner: str) -> Doc:
    request = contract_request(GenerateImageRequest, params)
    answer = await _once(
        state,
        doc,
        GeneratedImage,
        lambda: state.services.image.call(
            "POST", "/generate", GeneratedImage, json=as_json(request)
        ),
    )
    await state.media_owners.record([answer.key], owner, None)
    library_id = await _in_library(
        state,
        "media",
        owner,
        answer.key,
        media_type="image",
        title=_title(answer.prompt),
        # The picture is its own thumbnail: the editor scales it down.
        thumbnail_key=answer.key,
        category="AI",
        width=answer.width,
        height=answer.height,
        ai_prompt=answer.prompt,
    )
    return {
        "library_id": library_id,
        "url": state.media_url(answer.key),
        "image_key": answer.key,
        "prompt": answer.prompt,
        "style": answer.style,
        "width": answer.width,
        "height": answer.height,
        "provider": answer.provider,
        "model": answer.model,
        "content_type": answer.content_type,
        "bytes": answer.bytes,
    }


async def _lip_sync(state: GatewayState, doc: Doc, params: Doc, owner: str) -> Doc:
    request = contract_request(LipSyncRequest, params)
    answer = await _once(
        state,
        doc,
        LipSyncResponse,
        lambda: state.services.video.call(
            "POST", "/lip-sync", LipSyncResponse, json=as_json(request)
        ),
    )
    await state.media_owners.record([answer.video_key], owner, None)
    library_id = await _in_library(
        state,
        "media",
        owner,
        answer.video_key,
        media_type="video",
        title="Lip-synced video",
        category="AI",
        duration=answer.duration,
    )
    return {
        "library_id": library_id,
        "video_url": state.media_url(answer.video_key),
        **answer.model_dump(mode="json"),
    }
