"""The offline default: espeak-ng, with exact word starts from its word events."""

from __future__ import annotations

import asyncio
from pathlib import Path

from contracts.audio import AudioProvider, GenerateRequest, Voice
from services.audio.espeak_engine import DEFAULT_PITCH, DEFAULT_RATE_WPM, EspeakEngine
from services.audio.mp3 import audio_facts, encode_mp3
from services.audio.providers.base import Speech
from services.audio.timings import exact_words
from services.audio.voices import LANGUAGES, VOICE_IDS, espeak_voice


def espeak_rate(speed: float) -> int:
    """Speed 0.7-1.3 scales espeak-ng's default 175 words per minute (122-228)."""
    return round(DEFAULT_RATE_WPM * speed)


def espeak_pitch(pitch: float) -> int:
    """Pitch 0.7-1.3 moves espeak-ng's base pitch (0-100, default 50) to 20-80."""
    return max(0, min(100, round(DEFAULT_PITCH + (pitch - 1.0) * 100)))


class EspeakProvider:
    name: AudioProvider = "espeak"

    def __init__(self, *, ffmpeg_timeout_seconds: float) -> None:
        self.ffmpeg_timeout_seconds = ffmpeg_timeout_seconds
        self.engine = EspeakEngine()

    def voices(self) -> list[Voice]:
        return [espeak_voice(v, lang).voice for lang in LANGUAGES for v in VOICE_IDS]

    async def start(self) -> None:
        await self.engine.warm_up()

    async def synthesize(self, request: GenerateRequest, workdir: Path) -> Speech:
        choice = espeak_voice(request.voice_id, request.language)
        raw = await self.engine.synthesize(
            request.text,
            choice.engine_voice,
            espeak_rate(request.speed),
            espeak_pitch(request.pitch),
        )
        words = await asyncio.to_thread(
            exact_words, request.text, raw.events, raw.pcm, raw.sample_rate
        )
        mp3 = workdir / "narration.mp3"
        await encode_mp3(raw.pcm, raw.sample_rate, mp3, limit_seconds=self.ffmpeg_timeout_seconds)
        facts = await audio_facts(mp3, "espeak-ng")
        return Speech(
            mp3=mp3,
            duration=facts.duration,
            sample_rate=facts.sample_rate,
            words=words,
            timing_source="exact",
            voice=f"espeak-ng {choice.engine_voice}",
        )

    async def aclose(self) -> None:
        """The espeak-ng thread is shared by the whole process and outlives one app."""
        return None
