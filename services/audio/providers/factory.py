"""The provider the settings name."""

from __future__ import annotations

from services.audio.providers.base import TtsProvider
from services.audio.providers.elevenlabs import ElevenLabsProvider
from services.audio.providers.espeak import EspeakProvider
from services.audio.providers.openai import OpenAIProvider
from services.audio.providers.piper import PiperProvider
from services.audio.settings import AudioSettings


def build_provider(settings: AudioSettings) -> TtsProvider:
    if settings.audio_provider == "openai":
        return OpenAIProvider(settings)
    if settings.audio_provider == "elevenlabs":
        return ElevenLabsProvider(settings)
    if settings.audio_provider == "piper":
        return PiperProvider(settings)
    return EspeakProvider(settings)
