"""OpenAI text-to-speech: POST {base}/audio/speech answers MP3 bytes and no timings.

Word timings are therefore the documented estimate (services.audio.timings). OpenAI has no
pitch control: the request's pitch is not applied.
"""

from __future__ import annotations

from contracts.audio import AudioProvider, GenerateRequest
from contracts.project import Language, VoiceId
from services.audio.providers.base import Part
from services.audio.providers.remote import RemoteProvider
from services.audio.settings import AudioSettings
from services.audio.voices import VoiceChoice, cloud_voice


class OpenAIProvider(RemoteProvider):
    name: AudioProvider = "openai"
    label = "OpenAI TTS"
    key_setting = "AUDIO_OPENAI_API_KEY"
    max_chars = 4000  # the API refuses input over 4,096 characters

    def __init__(self, settings: AudioSettings) -> None:
        super().__init__(settings, settings.audio_openai_api_key)

    def choose(self, voice_id: VoiceId, language: Language) -> VoiceChoice:
        # The app's voice ids are OpenAI's own voice names; each speaks every language.
        return cloud_voice(self.name, voice_id, language, voice_id, "OpenAI")

    async def speak(self, text: str, choice: VoiceChoice, request: GenerateRequest) -> Part:
        response = await self.http.request(
            "POST",
            f"{self.settings.audio_openai_base_url.rstrip('/')}/audio/speech",
            headers={"Authorization": f"Bearer {self.api_key}"},
            json={
                "model": self.settings.audio_openai_model,
                "input": text,
                "voice": choice.engine_voice,
                "speed": request.speed,
                "response_format": "mp3",
            },
        )
        return Part(text=text, mp3=response.content, words=None)
