"""Seed 001's AI job bodies and the 202 they answer."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.ai_media import MAX_MUSIC_SECONDS, MIN_MUSIC_SECONDS, MusicGenre
from contracts.audio import MAX_TEXT_CHARS
from contracts.jobs import JobStatus
from contracts.project import Language, Ratio
from contracts.text import Text
from gateway.ai.voice_ids import parse_voice_id

DEFAULT_AVATAR = "avatar-amy-professional"
ProjectId = Annotated[str, Field(min_length=1, max_length=64)]
MediaPath = Annotated[str, Field(min_length=1, max_length=1024)]


class AiAudioRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    projectId: ProjectId | None = None
    text: Annotated[Text, Field(min_length=1, max_length=MAX_TEXT_CHARS)]
    voiceId: Annotated[str, Field(max_length=64)] = "alloy"
    language: Language | None = None
    speed: Ratio = 1.0
    pitch: Ratio = 1.0

    @model_validator(mode="after")
    def _voice(self) -> Self:
        if not self.text.strip():
            raise ValueError("text is empty")
        try:
            parse_voice_id(self.voiceId, self.language)
        except ValueError as exc:
            raise ValueError(f"voiceId: {exc}") from None
        return self

    def speech(self) -> dict[str, object]:
        voice, language = parse_voice_id(self.voiceId, self.language)
        return {
            "text": self.text,
            "voice_id": voice,
            "language": language,
            "speed": self.speed,
            "pitch": self.pitch,
        }


class AiMusicRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    projectId: ProjectId | None = None
    prompt: Annotated[Text, Field(min_length=3, max_length=500)]
    duration: float = Field(30, ge=MIN_MUSIC_SECONDS, le=MAX_MUSIC_SECONDS)
    genre: MusicGenre | None = None


class AiLipSyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    projectId: ProjectId | None = None
    videoPath: MediaPath
    audioPath: MediaPath
    # Who talks in the offline stand-in (GET /api/v1/avatars); a cloud provider ignores it.
    avatarId: Annotated[str, Field(max_length=64)] = DEFAULT_AVATAR


class AiJobQueued(BaseModel):
    jobId: str
    projectId: str | None
    status: JobStatus
    estimatedTime: str | None
