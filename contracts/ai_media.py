"""The services' AI media calls the gateway's AI jobs make: music from a prompt, lip-sync.

Both answer storage keys, never URLs, as every service does; `provider` and `description` say
what really made the result (an offline synthesiser or stand-in, or a cloud provider).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from contracts.media_keys import validate_field_key
from contracts.text import Text

MusicGenre = Literal[
    "electronic",
    "ambient",
    "cinematic",
    "corporate",
    "pop",
    "rock",
    "jazz",
    "classical",
    "lofi",
    "acoustic",
]
MusicProviderName = Literal["synth", "elevenlabs"]
LipSyncProviderName = Literal["avatar", "sync"]
MIN_MUSIC_SECONDS = 5
MAX_MUSIC_SECONDS = 300


class MusicGenerateRequest(BaseModel):
    prompt: Annotated[Text, Field(min_length=3, max_length=500)]
    genre: MusicGenre | None = None
    duration: float = Field(30, ge=MIN_MUSIC_SECONDS, le=MAX_MUSIC_SECONDS)


class MusicGenerateResponse(BaseModel):
    audio_key: str
    duration: float
    # The synthesiser's mood the prompt and genre were mapped to (None from a cloud provider).
    mood: str | None
    genre: MusicGenre | None
    provider: MusicProviderName
    synthesised: bool
    description: str


def _video_key(value: str) -> str:
    return validate_field_key(value, "video_key")


def _audio_key(value: str) -> str:
    return validate_field_key(value, "audio_key")


class LipSyncRequest(BaseModel):
    video_key: Annotated[str, AfterValidator(_video_key)]
    audio_key: Annotated[str, AfterValidator(_audio_key)]
    # Where the cloud provider fetches the inputs from (they are our public media URLs).
    video_url: str | None = None
    audio_url: str | None = None


class LipSyncResponse(BaseModel):
    video_key: str
    duration: float
    provider: LipSyncProviderName
    stand_in: bool
    description: str
