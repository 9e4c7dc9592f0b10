"""One short sample per voice and language: spoken on the first request, then kept in storage.

Every voice of a language reads the same sentence, so samples compare voices, not texts. The
key names the provider and a version: a change of either makes new samples, never mixed ones.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from contracts.audio import GenerateRequest, SamplesRequest, SamplesResponse, Voice, VoiceSample
from runtime.storage import Storage
from services.audio.providers.base import TtsProvider

SAMPLE_VERSION = 1
SAMPLE_TEXT = {
    "en": "Hello! This is how I sound when I read your script.",
    "fr": "Bonjour ! Voici ma voix quand je lis votre texte.",
    "es": "¡Hola! Así sueno cuando leo tu guion.",
    "de": "Hallo! So klinge ich, wenn ich Ihr Skript vorlese.",
    "it": "Ciao! Ecco come suono quando leggo il tuo copione.",
    "pt": "Olá! É assim que eu soo quando leio o seu roteiro.",
}


class VoiceSamples:
    def __init__(self, provider: TtsProvider, storage: Storage, max_concurrency: int) -> None:
        self.provider = provider
        self.storage = storage
        self._slots = asyncio.Semaphore(max_concurrency)
        # One synthesis per sample at a time: concurrent first requests wait for it.
        self._locks: dict[str, asyncio.Lock] = {}

    def key(self, voice: Voice) -> str:
        return (
            f"voices/samples/{self.provider.name}/v{SAMPLE_VERSION}/{voice.language}-{voice.id}.mp3"
        )

    async def _ensure(self, voice: Voice) -> str:
        key = self.key(voice)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            if await self.storage.stat(key) is None:
                request = GenerateRequest(
                    text=SAMPLE_TEXT[voice.language], voice_id=voice.id, language=voice.language
                )
                async with self._slots:
                    with tempfile.TemporaryDirectory(prefix="sample-") as tmp:
                        speech = await self.provider.synthesize(request, Path(tmp))
                        await self.storage.put_file(key, speech.mp3, "audio/mpeg")
        return key

    async def samples(self, request: SamplesRequest) -> SamplesResponse:
        voices = [
            v
            for v in self.provider.voices()
            if (request.language is None or v.language == request.language)
            and (request.gender is None or v.gender == request.gender)
        ]
        keys = await asyncio.gather(*(self._ensure(v) for v in voices))
        return SamplesResponse(
            voices=[
                VoiceSample(**v.model_dump(), sample_key=k)
                for v, k in zip(voices, keys, strict=True)
            ]
        )
