"""The provider the settings name, built with its HTTP client from the settings."""

from __future__ import annotations

import httpx

from runtime.upstream import ProviderHttp
from services.audio.providers.base import TtsProvider
from services.audio.providers.elevenlabs import ElevenLabsProvider
from services.audio.providers.espeak import EspeakProvider
from services.audio.providers.openai import OpenAIProvider
from services.audio.providers.piper import PiperProvider
from services.audio.settings import AudioSettings


def _http(label: str, settings: AudioSettings) -> ProviderHttp:
    return ProviderHttp(
        label,
        httpx.AsyncClient(),
        timeout_seconds=settings.audio_http_timeout_seconds,
        attempts=settings.audio_http_attempts,
        max_backoff_seconds=settings.audio_http_max_backoff_seconds,
    )


def build_provider(settings: AudioSettings) -> TtsProvider:
    ffmpeg_timeout_seconds = settings.audio_ffmpeg_timeout_seconds
    match settings.audio_provider:
        case "openai":
            return OpenAIProvider(
                _http(OpenAIProvider.label, settings),
                api_key=settings.audio_openai_api_key,
                base_url=settings.audio_openai_base_url,
                model=settings.audio_openai_model,
                deadline_seconds=settings.audio_provider_deadline_seconds,
                ffmpeg_timeout_seconds=ffmpeg_timeout_seconds,
            )
        case "elevenlabs":
            return ElevenLabsProvider(
                _http(ElevenLabsProvider.label, settings),
                api_key=settings.audio_elevenlabs_api_key,
                base_url=settings.audio_elevenlabs_base_url,
                model=settings.audio_elevenlabs_model,
                voices=settings.audio_elevenlabs_voices,
                deadline_seconds=settings.audio_provider_deadline_seconds,
                ffmpeg_timeout_seconds=ffmpeg_timeout_seconds,
            )
        case "piper":
            return PiperProvider(ffmpeg_timeout_seconds=ffmpeg_timeout_seconds)
        case _:
            return EspeakProvider(ffmpeg_timeout_seconds=ffmpeg_timeout_seconds)
