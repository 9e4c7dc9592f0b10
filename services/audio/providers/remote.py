"""What the cloud providers share: the HTTP client, the text split, the overall deadline."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from pathlib import Path

from contracts.audio import AudioProvider, GenerateRequest, Voice
from contracts.errors import ApiError
from contracts.project import Language, VoiceId
from runtime.upstream import ProviderHttp
from services.audio.providers.base import Part, Speech, assemble
from services.audio.text_split import split_text
from services.audio.voices import LANGUAGES, VOICE_IDS, VoiceChoice


class RemoteProvider(ABC):
    name: AudioProvider
    label: str  # how errors name the provider, e.g. "OpenAI TTS"
    key_setting: str  # the environment variable holding the API key
    max_chars: int  # the longest text one request may carry

    def __init__(
        self,
        http: ProviderHttp,
        *,
        api_key: str | None,
        deadline_seconds: float,
        ffmpeg_timeout_seconds: float,
    ) -> None:
        """`deadline_seconds` bounds one whole synthesis, every piece of the text included."""
        self.http = http
        self.api_key = api_key
        self.deadline_seconds = deadline_seconds
        self.ffmpeg_timeout_seconds = ffmpeg_timeout_seconds

    @abstractmethod
    def choose(self, voice_id: VoiceId, language: Language) -> VoiceChoice: ...

    @abstractmethod
    async def speak(self, text: str, choice: VoiceChoice, request: GenerateRequest) -> Part:
        """One request to the provider for one piece of the text."""

    def voices(self) -> list[Voice]:
        return [self.choose(v, lang).voice for lang in LANGUAGES for v in VOICE_IDS]

    async def start(self) -> None:
        """Nothing to load: the provider is only reached when a request needs it."""
        return None

    async def synthesize(self, request: GenerateRequest, workdir: Path) -> Speech:
        if not self.api_key:
            raise ApiError(503, f"{self.label} is not configured: {self.key_setting} is unset")
        choice = self.choose(request.voice_id, request.language)
        deadline = self.deadline_seconds
        try:
            async with asyncio.timeout(deadline):
                # One piece at a time: parallel requests would only meet the rate limit sooner.
                parts = [
                    await self.speak(piece, choice, request)
                    for piece in split_text(request.text, self.max_chars)
                ]
        except TimeoutError:
            raise ApiError(504, f"{self.label} did not finish within {deadline:g} s") from None
        return await assemble(
            parts,
            workdir,
            label=self.label,
            voice=f"{self.label} {choice.engine_voice}",
            ffmpeg_seconds=self.ffmpeg_timeout_seconds,
        )

    async def aclose(self) -> None:
        await self.http.client.aclose()
