"""The audio service's HTTP API: narration (TTS with word timings), voices and subtitles.

Shared by the audio service, which answers with these models, and by its callers (the gateway,
the video service), which send and read them.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, Field, field_validator, model_validator

from contracts.project import Language, Ratio, VoiceId

# Stated limits: longer narration must be split by the caller (about 25 minutes of speech).
MAX_TEXT_CHARS = 20_000
MAX_SUBTITLE_WORDS = 20_000

AudioProvider = Literal["espeak", "piper", "openai", "elevenlabs"]
Gender = Literal["male", "female"]
# "exact": the synthesiser reported where each word starts; "estimated": spread by syllables.
TimingSource = Literal["exact", "estimated"]


class WordTiming(BaseModel):
    """One spoken word and when it is heard, in seconds from the start of the audio."""

    word: str = Field(min_length=1, max_length=200)
    start: float = Field(ge=0)
    end: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


class GenerateRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    voice_id: VoiceId = "alloy"
    speed: Ratio = 1.0
    pitch: Ratio = 1.0
    language: Language = "en"

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is empty")
        return value


class WordsFile(BaseModel):
    """words.json, written beside every narration: what the video and subtitle steps read."""

    duration: float
    timing_source: TimingSource
    words: list[WordTiming]


class GenerateResponse(BaseModel):
    audio_key: str  # audio/<uuid>/narration.mp3 in the shared storage
    words_key: str  # audio/<uuid>/words.json: a WordsFile
    duration: float  # seconds, as a decoder of the MP3 reports it
    words: list[WordTiming]
    provider: AudioProvider
    voice: str  # the provider's own voice that spoke, e.g. "espeak-ng en+m3"
    voice_id: VoiceId
    language: Language
    sample_rate: int
    timing_source: TimingSource


class Voice(BaseModel):
    id: VoiceId
    name: str
    language: Language
    gender: Gender
    provider: AudioProvider
    description: str


class VoicesResponse(BaseModel):
    voices: list[Voice]


class SubtitlesRequest(BaseModel):
    """Word timings inline (`words`) or as the key of a words.json written by /generate."""

    words: list[WordTiming] | None = Field(default=None, max_length=MAX_SUBTITLE_WORDS)
    words_key: str | None = None
    max_line_chars: int = Field(default=42, ge=16, le=80)
    max_lines: int = Field(default=2, ge=1, le=2)

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.words is None) == (self.words_key is None):
            raise ValueError("give exactly one of words or words_key")
        if self.words is not None and not self.words:
            raise ValueError("words is empty")
        return self


class SubtitlesResponse(BaseModel):
    srt_key: str
    vtt_key: str
    ass_key: str
    cue_count: int
    duration: float  # end of the last cue, seconds


class SamplesRequest(BaseModel):
    """`POST /voices/samples`: the voices to have a sample of (all when unfiltered)."""

    language: Language | None = None
    gender: Gender | None = None


class VoiceSample(Voice):
    # A short MP3 of the voice reading the language's sample sentence.
    sample_key: str


class SamplesResponse(BaseModel):
    voices: list[VoiceSample]
