"""POST /generate: speak the text, store the MP3 and its word timings, report both.

Nothing is half-written: a failure after the first upload removes the request's folder.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import uuid
from pathlib import Path

from contracts.audio import GenerateRequest, GenerateResponse, WordsFile
from contracts.errors import ApiError
from runtime.storage import Storage
from services.audio.providers.base import TtsProvider
from services.audio.timings import tokens

log = logging.getLogger("services.audio.narration")


class Narrator:
    def __init__(self, provider: TtsProvider, storage: Storage, max_concurrency: int) -> None:
        self.provider = provider
        self.storage = storage
        self._slots = asyncio.Semaphore(max_concurrency)

    async def generate(self, request: GenerateRequest) -> GenerateResponse:
        if not tokens(request.text):
            raise ApiError(422, "text has no words to speak (only punctuation or symbols)")
        async with self._slots:
            with tempfile.TemporaryDirectory(prefix="audio-") as tmp:
                speech = await self.provider.synthesize(request, Path(tmp))
                prefix = f"audio/{uuid.uuid4().hex}"
                audio_key, words_key = f"{prefix}/narration.mp3", f"{prefix}/words.json"
                words_json = (
                    WordsFile(
                        duration=speech.duration,
                        timing_source=speech.timing_source,
                        words=speech.words,
                    )
                    .model_dump_json()
                    .encode()
                )
                async with self.storage.staging(prefix):
                    await self.storage.put_file(audio_key, speech.mp3, "audio/mpeg")
                    await self.storage.put_bytes(words_key, words_json, "application/json")
        log.info(
            "narration stored",
            extra={
                "audio_key": audio_key,
                "provider": self.provider.name,
                "seconds": round(speech.duration, 3),
                "words": len(speech.words),
            },
        )
        return GenerateResponse(
            audio_key=audio_key,
            words_key=words_key,
            duration=round(speech.duration, 3),
            words=speech.words,
            provider=self.provider.name,
            voice=speech.voice,
            voice_id=request.voice_id,
            language=request.language,
            sample_rate=speech.sample_rate,
            timing_source=speech.timing_source,
        )
