"""The audio service's one settings object (environment variables, case-insensitive)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from runtime.servicetoken import ServiceTokenSettings
from runtime.storage import StorageSettings

# ElevenLabs' premade voices, one per app voice id (genders as the app lists them);
# override with AUDIO_ELEVENLABS_VOICES='{"alloy": "<voice id>", ...}'.
ELEVENLABS_PREMADE = {
    "alloy": "21m00Tcm4TlvDq8ikWAM",  # Rachel
    "echo": "ErXwobaYiN019PkySvjV",  # Antoni
    "fable": "VR6AewLTigWG4xSOukaG",  # Arnold
    "onyx": "pNInz6obpgDQGcFMJ2D0",  # Adam
    "nova": "MF3mGyEYCl7XYWbV9V6O",  # Elli
    "shimmer": "AZnzlk1XvdvUeBnXmlld",  # Domi
}


class AudioSettings(StorageSettings, ServiceTokenSettings):
    log_level: str = "INFO"
    # Inline word timings for /subtitles can be long: 20,000 words of JSON.
    max_body_bytes: int = 4_000_000
    audio_provider: Literal["espeak", "piper", "openai", "elevenlabs"] = "espeak"
    # Synthesis requests running at once; more wait their turn.
    audio_max_concurrency: int = Field(default=4, ge=1, le=64)
    audio_ffmpeg_timeout_seconds: float = Field(default=120.0, gt=0)

    # Cloud providers: per-attempt timeout, attempts (retries on connect errors, 429, 502-504
    # only), the longest Retry-After honoured, and a deadline for the whole synthesis.
    audio_http_timeout_seconds: float = Field(default=60.0, gt=0)
    audio_http_attempts: int = Field(default=3, ge=1, le=10)
    audio_http_max_backoff_seconds: float = Field(default=10.0, ge=0)
    # Under the gateway's 120 s client timeout, so it hears our 504 rather than its own.
    audio_provider_deadline_seconds: float = Field(default=100.0, gt=0)

    audio_openai_api_key: str | None = Field(default=None, repr=False)
    audio_openai_base_url: str = "https://api.openai.com/v1"
    audio_openai_model: str = "tts-1"

    audio_elevenlabs_api_key: str | None = Field(default=None, repr=False)
    audio_elevenlabs_base_url: str = "https://api.elevenlabs.io"
    audio_elevenlabs_model: str = "eleven_multilingual_v2"
    audio_elevenlabs_voices: dict[str, str] = Field(default_factory=lambda: ELEVENLABS_PREMADE)
