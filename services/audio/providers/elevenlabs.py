"""ElevenLabs: POST /v1/text-to-speech/{voice_id}/with-timestamps answers JSON holding the
MP3 as base64 and per-character start and end times, from which word timings are exact.

ElevenLabs has no pitch control: the request's pitch is not applied. Its speed range is
0.7-1.2, so 1.3 is spoken at 1.2.
"""

from __future__ import annotations

import base64
import binascii

from pydantic import BaseModel, ValidationError

from contracts.audio import AudioProvider, GenerateRequest, WordTiming
from contracts.errors import ApiError
from contracts.project import Language, VoiceId
from runtime.upstream import ProviderHttp
from services.audio.providers.base import Part
from services.audio.providers.remote import RemoteProvider
from services.audio.voices import VoiceChoice, cloud_voice


class _Alignment(BaseModel):
    characters: list[str]
    character_start_times_seconds: list[float]
    character_end_times_seconds: list[float]


class _TimestampedAudio(BaseModel):
    audio_base64: str
    alignment: _Alignment | None = None


def alignment_words(alignment: _Alignment) -> list[WordTiming]:
    """Whitespace-separated words holding a letter or digit, timed by their characters."""
    rows = zip(
        alignment.characters,
        alignment.character_start_times_seconds,
        alignment.character_end_times_seconds,
        strict=True,
    )
    words: list[WordTiming] = []
    chars: list[str] = []
    start = end = 0.0

    def flush() -> None:
        word = "".join(chars)
        if any(ch.isalnum() for ch in word):
            words.append(WordTiming(word=word, start=round(start, 3), end=round(end, 3)))

    for char, char_start, char_end in rows:
        if char.isspace():
            flush()
            chars = []
            continue
        if not chars:
            start = char_start
        chars.append(char)
        end = max(char_end, start)
    flush()
    return words


class ElevenLabsProvider(RemoteProvider):
    name: AudioProvider = "elevenlabs"
    label = "ElevenLabs"
    key_setting = "AUDIO_ELEVENLABS_API_KEY"
    max_chars = 4000  # under the per-request limit of every ElevenLabs model

    def __init__(
        self,
        http: ProviderHttp,
        *,
        api_key: str | None,
        base_url: str,
        model: str,
        voices: dict[str, str],
        deadline_seconds: float,
        ffmpeg_timeout_seconds: float,
    ) -> None:
        """`voices` maps the app's voice ids to ElevenLabs voice ids (others are sent as is)."""
        super().__init__(
            http,
            api_key=api_key,
            deadline_seconds=deadline_seconds,
            ffmpeg_timeout_seconds=ffmpeg_timeout_seconds,
        )
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.voice_map = voices

    def choose(self, voice_id: VoiceId, language: Language) -> VoiceChoice:
        engine_voice = self.voice_map.get(voice_id, voice_id)
        return cloud_voice(self.name, voice_id, language, engine_voice, "ElevenLabs")

    async def speak(self, text: str, choice: VoiceChoice, request: GenerateRequest) -> Part:
        response = await self.http.request(
            "POST",
            f"{self.base_url}/v1/text-to-speech/{choice.engine_voice}/with-timestamps"
            "?output_format=mp3_44100_128",
            headers={"xi-api-key": self.api_key or ""},
            json={
                "text": text,
                "model_id": self.model,
                "voice_settings": {
                    "stability": 0.5,
                    "similarity_boost": 0.75,
                    "speed": min(max(request.speed, 0.7), 1.2),
                },
            },
        )
        answer = self._parse(response.content)
        try:
            mp3 = base64.b64decode(answer.audio_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(502, f"{self.label} returned audio that is not base64") from None
        if answer.alignment is None:
            # No alignment in the answer: fall back to the documented estimate.
            return Part(text=text, mp3=mp3, words=None)
        try:
            words = alignment_words(answer.alignment)
        except ValueError:
            raise ApiError(502, f"{self.label} returned a mismatched alignment") from None
        return Part(text=text, mp3=mp3, words=words)

    def _parse(self, content: bytes) -> _TimestampedAudio:
        try:
            return _TimestampedAudio.model_validate_json(content)
        except ValidationError as exc:
            invalid_json = any(e["type"] == "json_invalid" for e in exc.errors())
            detail = "malformed JSON" if invalid_json else "an unexpected answer"
            raise ApiError(502, f"{self.label} returned {detail}") from None
