"""Seed 002's voice library: the audio service's voices with a sample each, and one scene's
voiceover (`POST /api/v1/voices/generate`), run as the user's own audio job and waited for."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.audio import MAX_TEXT_CHARS, SamplesRequest, SamplesResponse, VoiceSample
from contracts.errors import ApiError
from contracts.project import Language, Ratio
from contracts.text import Text
from gateway.ai.voice_ids import LANGUAGES, listed_id, parse_voice_id
from gateway.auth.principal import CurrentPrincipal
from gateway.deps import State
from gateway.generation.requests import as_json
from gateway.jobs import service
from gateway.jobs.ai import STAGES
from gateway.state import GatewayState

router = APIRouter(tags=["voices"])
Category = Literal["standard", "ultra", "studio"]
# Local voices are the standard ones; the cloud providers' are the better tiers.
CATEGORIES: dict[str, Category] = {
    "espeak": "standard",
    "piper": "standard",
    "openai": "ultra",
    "elevenlabs": "studio",
}


class VoiceEntry(BaseModel):
    id: str
    name: str
    language: str
    language_code: str
    dialect: str | None
    gender: str
    style: str
    category: Category
    provider: str
    description: str
    sample_url: str
    is_premium: bool


class VoiceList(BaseModel):
    voices: list[VoiceEntry]


class VoicesAnswer(BaseModel):
    success: bool
    data: VoiceList


LANGUAGE_NAMES = {
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
}


def _language(value: str | None) -> str | None:
    """`en` or a regional code (`en-US`, `pt_BR`): the language is what the voices speak."""
    if value is None:
        return None
    head = value.replace("_", "-").split("-", 1)[0].lower()
    if head not in LANGUAGES:
        raise ApiError(
            422,
            f"language: unknown {value[:20]!r}; use one of {', '.join(LANGUAGES)} "
            "(a regional code such as en-US is read as its language)",
        )
    return head


def _entry(state: GatewayState, voice: VoiceSample) -> VoiceEntry:
    return VoiceEntry(
        id=listed_id(voice.id, voice.language),
        name=voice.name,
        language=LANGUAGE_NAMES[voice.language],
        language_code=voice.language,
        dialect=None,
        gender=voice.gender,
        style="narration",
        category=CATEGORIES[voice.provider],
        provider=voice.provider,
        description=voice.description,
        sample_url=state.media_url(voice.sample_key),
        is_premium=False,
    )


@router.get("/api/v1/voices", response_model=VoicesAnswer)
async def voices(
    state: State,
    language: Annotated[str | None, Query(max_length=20)] = None,
    gender: Literal["male", "female", "child"] | None = None,
    category: Category | None = None,
    search: Annotated[str | None, Query(max_length=100)] = None,
) -> VoicesAnswer:
    code = _language(language)
    if gender == "child":
        return VoicesAnswer(success=True, data=VoiceList(voices=[]))  # no child voices
    request = SamplesRequest.model_validate({"language": code, "gender": gender})
    answer = await state.services.audio.call(
        "POST", "/voices/samples", SamplesResponse, json=as_json(request)
    )
    entries = [_entry(state, v) for v in answer.voices]
    if category is not None:
        entries = [e for e in entries if e.category == category]
    if search:
        needle = search.lower()
        entries = [e for e in entries if needle in f"{e.id} {e.name} {e.description}".lower()]
    shown = state.urls.signed([e.model_dump() for e in entries])
    return VoicesAnswer.model_validate({"success": True, "data": {"voices": shown}})


class VoiceoverRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    voice_id: Annotated[str, Field(max_length=64)]
    text: Annotated[Text, Field(min_length=1, max_length=MAX_TEXT_CHARS)]
    language: Language | None = None
    speed: Ratio = 1.0
    pitch: Ratio = 1.0
    # The voiceover's level is its layer's, set in the editor's mix: the file is spoken at 1.0.
    volume: float = 1.0

    @model_validator(mode="after")
    def _valid(self) -> Self:
        if self.volume != 1.0:
            raise ValueError(
                "volume: only 1.0; set the voiceover's level on its layer in the editor"
            )
        if not self.text.strip():
            raise ValueError("text is empty")
        try:
            parse_voice_id(self.voice_id, self.language)
        except ValueError as exc:
            raise ValueError(f"voice_id: {exc}") from None
        return self


class Voiceover(BaseModel):
    audio_url: str
    duration: float
    job_id: str
    library_id: str


class VoiceoverAnswer(BaseModel):
    success: bool
    data: Voiceover


@router.post("/api/v1/voices/generate", response_model=VoiceoverAnswer)
async def generate_voiceover(
    body: VoiceoverRequest, state: State, principal: CurrentPrincipal, request: Request
) -> VoiceoverAnswer:
    """Runs as the user's own audio job, so it is queued fairly with the rest, is followed at
    /api/v1/ai/jobs/{job_id}/status, and lands in the library; this waits for it."""
    voice, language = parse_voice_id(body.voice_id, body.language)
    params = {
        "text": body.text,
        "voice_id": voice,
        "language": language,
        "speed": body.speed,
        "pitch": body.pitch,
    }
    job = await service.submit_own(
        state,
        kind="audio_generation",
        stage=STAGES["audio_generation"],
        params=params,
        principal=principal,
    )
    done = await service.wait(
        state, job.id, state.settings.audio_timeout_seconds, request.is_disconnected
    )
    result = state.urls.signed(done["result"])
    return VoiceoverAnswer(
        success=True,
        data=Voiceover(
            audio_url=result["audio_url"],
            duration=result["duration"],
            job_id=job.id,
            library_id=result["library_id"],
        ),
    )
