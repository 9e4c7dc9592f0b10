"""OpenAI text-to-speech: POST {base}/audio/speech answers MP3 bytes and no timings.

Word timings are therefore the documented estimate (services.audio.timings). OpenAI has no
pitch control: the request's pitch is not applied.
"""

from __future__ import annotations

from contracts.audio import AudioProvider, GenerateRequest
from contracts.project import Language, VoiceId
from runtime.upstream import ProviderHttp
from services.audio.providers.base import Part
from services.audio.providers.remote import RemoteProvider
from services.audio.voices import VoiceChoice, cloud_voice


class OpenAIProvider(RemoteProvider):
    name: AudioProvider = "openai"
    label = "OpenAI TTS"
    key_setting = "AUDIO_OPENAI_API_KEY"
    max_chars = 4000  # the API refuses input over 4,096 characters

    def __init__(
        self,
        http: ProviderHttp,
        *,
        api_key: str | None,
        base_url: str,
        model: str,
        deadline_seconds: float,
        ffmpeg_timeout_seconds: float,
    ) -> None:
        super().__init__(
            http,
            api_key=api_key,
            deadline_seconds=deadline_seconds,
            ffmpeg_timeout_seconds=ffmpeg_timeout_seconds,
        )
        self.base_url = base_url.rstrip("/")
        self.model = model

    def choose(self, voice_id: VoiceId, language: Language) -> VoiceChoice:
        # The app's voice ids are OpenAI's own voice names; each speaks every language.
        return cloud_voice(self.name, voice_id, language, voice_id, "OpenAI")

    async def speak(self, text: str, choice: VoiceChoice, request: GenerateRequest) -> Part:
        response = await self.http.request(
            "POST",
            f"{self.base_url}/audio/speech",
            headers={"Authorization": f"Bearer {self.api_key}"},
            json={
                "model": self.model,
                "input": text,
                "voice": choice.engine_voice,
                "speed": request.speed,
                "response_format": "mp3",
            },
        )
        return Part(text=text, mp3=response.content, words=None)
