"""Piper: an offline neural voice, English only, from the optional `piper` extra.

The one voice installed is joe (US English, male). Every app voice id speaks with it and
differs only in delivery (piper's generator and phoneme-length noise); all are listed as
male because that is what they sound like. Speed scales phoneme lengths; piper has no pitch
control, so the request's pitch is not applied. Word timings are exact (piper's phoneme
alignment) unless no consistent match to the text's words is found; then they are the
documented estimate, and `timing_source` says so.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from contracts.audio import AudioProvider, GenerateRequest, Voice
from contracts.errors import ApiError
from contracts.project import Language, VoiceId
from services.audio.mp3 import audio_facts, encode_mp3
from services.audio.piper_engine import PiperEngine, missing_packages
from services.audio.piper_words import align_words
from services.audio.providers.base import Speech
from services.audio.timings import estimated_words, tokens
from services.audio.voices import VOICE_IDS

LANGUAGES: tuple[Language, ...] = ("en",)

# (noise_scale, noise_w_scale, delivery): joe's trained values are 0.667 and 0.8.
_DELIVERY: dict[VoiceId, tuple[float, float, str]] = {
    "alloy": (0.667, 0.8, "as trained"),
    "nova": (0.667, 0.8, "as trained"),
    "echo": (0.333, 0.4, "steady"),
    "onyx": (0.333, 0.4, "steady"),
    "fable": (0.9, 1.1, "lively"),
    "shimmer": (0.9, 1.1, "lively"),
}


def piper_voice(voice_id: VoiceId) -> Voice:
    *_, delivery = _DELIVERY[voice_id]
    return Voice(
        id=voice_id,
        name=f"{voice_id.capitalize()} (Piper joe, {delivery})",
        language="en",
        gender="male",
        provider="piper",
        description=f"Local Piper neural voice en_US-joe-medium (US English, male), {delivery} "
        "delivery. It is the only Piper voice installed: every voice id speaks with it. "
        "Speed is honoured; pitch is not adjustable. Not OpenAI's voice of that name.",
    )


class PiperProvider:
    name: AudioProvider = "piper"

    def __init__(self, *, ffmpeg_timeout_seconds: float) -> None:
        missing = missing_packages()
        if missing:
            # Raised while the app is built, so a misconfigured service fails at start-up.
            raise RuntimeError(
                "AUDIO_PROVIDER=piper needs the optional 'piper' extra "
                f"(pip install 'ai-video-studio[piper]'); missing: {', '.join(missing)}"
            )
        self.ffmpeg_timeout_seconds = ffmpeg_timeout_seconds
        self.engine = PiperEngine()

    def voices(self) -> list[Voice]:
        return [piper_voice(v) for v in VOICE_IDS]

    async def start(self) -> None:
        await self.engine.load()

    async def synthesize(self, request: GenerateRequest, workdir: Path) -> Speech:
        if request.language not in LANGUAGES:
            raise ApiError(
                422,
                f"The piper provider speaks English only, not {request.language!r}; "
                f"supported languages: {', '.join(LANGUAGES)}",
                details={"supported_languages": list(LANGUAGES)},
            )
        noise, noise_w, _ = _DELIVERY[request.voice_id]
        toks = tokens(request.text)
        raw = await self.engine.synthesize(
            request.text,
            [t.word for t in toks],
            length_scale=1.0 / request.speed,
            noise=noise,
            noise_w=noise_w,
        )
        mp3 = workdir / "narration.mp3"
        await encode_mp3(raw.pcm, raw.sample_rate, mp3, limit_seconds=self.ffmpeg_timeout_seconds)
        facts = await audio_facts(mp3, "piper")
        words = (
            await asyncio.to_thread(align_words, toks, raw.expected, raw.groups)
            if raw.groups
            else None
        )
        return Speech(
            mp3=mp3,
            duration=facts.duration,
            sample_rate=facts.sample_rate,
            words=words or estimated_words(request.text, 0.0, facts.duration),
            timing_source="exact" if words else "estimated",
            voice="piper en_US-joe-medium",
        )

    async def aclose(self) -> None:
        """The model and its thread are shared by the whole process and outlive one app."""
        return None
