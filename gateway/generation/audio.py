"""Narration and subtitle files: the app's `/audios/*` and the guide's `generate-audio`."""

from __future__ import annotations

import posixpath
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from contracts.answers import GuideProjectAnswer, ProjectAnswer, SubtitleFilesAnswer
from contracts.audio import GenerateRequest, GenerateResponse, SubtitlesRequest, SubtitlesResponse
from contracts.errors import ApiError
from gateway.deps import EditableProject, State
from gateway.generation.requests import as_json, contract_request, guide_answer
from gateway.json_body import optional_json_object
from gateway.projects.access import ProjectRef, project_ref
from gateway.state import GatewayState

router = APIRouter(tags=["audio"])


def _speech(ref: ProjectRef, body: dict[str, Any]) -> dict[str, Any]:
    def pick(body_name: str, project_name: str) -> Any:
        return body.get(body_name, ref.field(project_name))

    speech = {
        "text": pick("script_text", "script_text"),
        "voice_id": pick("voice_id", "voice_id"),
        "speed": pick("audio_speed", "audio_speed"),
        "pitch": pick("audio_pitch", "audio_pitch"),
        "language": pick("language", "language"),
    }
    return {k: v for k, v in speech.items() if v is not None}


async def generate_audio(state: GatewayState, ref: ProjectRef, body: dict[str, Any]) -> Any:
    speech = _speech(ref, body)
    if not str(speech.get("text") or "").strip():
        raise ApiError(422, "script_text is empty: generate or write a script first")
    request = contract_request(GenerateRequest, speech)
    result = await state.services.audio.call(
        "POST", "/generate", GenerateResponse, json=as_json(request)
    )
    changes = {
        "audio_path": state.media_url(result.audio_key),
        "audio_key": result.audio_key,
        "audio_words_key": result.words_key,
        "audio_duration": result.duration,
        "audio_timing_source": result.timing_source,
        "status": "audio_generated",
    }
    saved = await ref.save(changes, [result.audio_key, result.words_key])
    return state.urls.signed({**body, **saved}) if ref.is_temp else saved


def _words_key(state: GatewayState, ref: ProjectRef, audio_path: str | None) -> str:
    """The word timings that belong to the narration the caller names (or the project's)."""
    stored = ref.field("audio_path")
    own = not ref.is_temp and (
        audio_path is None or state.media_key(audio_path) == state.media_key(stored)
    )
    if own and (key := ref.field("audio_words_key")):
        return str(key)
    audio_key = state.media_key(audio_path)
    if audio_key is None:
        raise ApiError(422, "audio_path must be a narration URL served by this gateway")
    # The audio service writes words.json beside every narration it produces.
    return posixpath.join(posixpath.dirname(audio_key), "words.json")


@router.post("/audios/{project_id}", response_model=None, responses={200: {"model": ProjectAnswer}})
async def audios(request: Request, ref: EditableProject, state: State) -> Any:
    return await generate_audio(state, ref, await optional_json_object(request))


@router.post(
    "/projects/{project_id}/generate-audio",
    response_model=None,
    responses={200: {"model": GuideProjectAnswer}},
)
async def guide_generate_audio(request: Request, ref: EditableProject, state: State) -> Any:
    return guide_answer(await generate_audio(state, ref, await optional_json_object(request)))


@router.get(
    "/audios/generate-subtitle",
    response_model=None,
    responses={200: {"model": SubtitleFilesAnswer}},
)
async def generate_subtitle(
    state: State,
    project_id: Annotated[str, Query(min_length=1, max_length=64)],
    audio_path: Annotated[str | None, Query(max_length=2000)] = None,
) -> Any:
    ref = await project_ref(project_id, state)
    if audio_path is None and ref.is_temp:
        raise ApiError(422, "audio_path is required for an unsaved project")
    request = SubtitlesRequest(words_key=_words_key(state, ref, audio_path))
    result = await state.services.audio.call(
        "POST", "/subtitles", SubtitlesResponse, json=as_json(request)
    )
    changes = {
        "subtitle_path": state.media_url(result.srt_key),
        "subtitle_vtt_path": state.media_url(result.vtt_key),
        "subtitle_ass_path": state.media_url(result.ass_key),
    }
    saved = await ref.save(changes, [result.srt_key, result.vtt_key, result.ass_key])
    shown = state.urls.signed(changes)
    return {"success": True, **shown, "cue_count": result.cue_count, "project": saved}
