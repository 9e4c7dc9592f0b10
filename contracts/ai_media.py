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


def _key(field: str) -> AfterValidator:
    return AfterValidator(lambda value: validate_field_key(value, field))


class AvatarPoses(BaseModel):
    """The stand-in's presenter: one transparent PNG per pose, all of one size."""

    closed: Annotated[str, _key("avatar.closed")]
    open: Annotated[str, _key("avatar.open")]
    blink: Annotated[str, _key("avatar.blink")]


class LipSyncRequest(BaseModel):
    video_key: Annotated[str, _key("video_key")]
    audio_key: Annotated[str, _key("audio_key")]
    # Where a cloud provider fetches the inputs from (our media URLs, signed where needed).
    video_url: str | None = None
    audio_url: str | None = None
    # For the offline stand-in: who talks, and when (the narration's words.json if there is
    # one; else the audio's loudness says when).
    avatar: AvatarPoses | None = None
    words_key: Annotated[str, _key("words_key")] | None = None


class LipSyncResponse(BaseModel):
    video_key: str
    duration: float
    provider: LipSyncProviderName
    stand_in: bool
    description: str
