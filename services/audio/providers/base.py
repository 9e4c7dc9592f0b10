"""The one interface every TTS provider implements, and the assembly shared by cloud ones."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from contracts.audio import AudioProvider, GenerateRequest, TimingSource, Voice, WordTiming
from services.audio.mp3 import audio_facts, concat_mp3
from services.audio.timings import estimated_words


@dataclass(frozen=True)
class Speech:
    mp3: Path  # inside the request's temporary directory
    duration: float  # as a decoder reads the MP3
    sample_rate: int
    words: list[WordTiming]
    timing_source: TimingSource
    voice: str  # the provider's own voice name


class TtsProvider(Protocol):
    name: AudioProvider

    def voices(self) -> list[Voice]:
        """Every (voice id, language) this provider speaks, as GET /voices lists them."""
        ...

    async def start(self) -> None: ...

    async def synthesize(self, request: GenerateRequest, workdir: Path) -> Speech: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class Part:
    """One provider answer for one piece of the text; words relative to the part's start."""

    text: str
    mp3: bytes
    words: list[WordTiming] | None


def _shifted(words: list[WordTiming], offset: float) -> list[WordTiming]:
    return [
        WordTiming(word=w.word, start=round(w.start + offset, 3), end=round(w.end + offset, 3))
        for w in words
    ]


async def assemble(
    parts: list[Part], workdir: Path, *, label: str, voice: str, ffmpeg_seconds: float
) -> Speech:
    """Write the parts, check each is audio, join them, and lay the words end to end."""
    paths = [workdir / f"part-{i:03d}.mp3" for i in range(len(parts))]
    for path, part in zip(paths, parts, strict=True):
        await asyncio.to_thread(path.write_bytes, part.mp3)
    facts = [await audio_facts(path, label) for path in paths]
    if len(paths) == 1:
        final, whole = paths[0], facts[0]
    else:
        final = workdir / "narration.mp3"
        await concat_mp3(paths, final, limit_seconds=ffmpeg_seconds)
        whole = await audio_facts(final, label)
    words: list[WordTiming] = []
    offset = 0.0
    for part, fact in zip(parts, facts, strict=True):
        timed = (
            part.words if part.words is not None else estimated_words(part.text, 0, fact.duration)
        )
        words.extend(_shifted(timed, offset))
        offset += fact.duration
    exact = all(part.words is not None for part in parts)
    return Speech(
        mp3=final,
        duration=whole.duration,
        sample_rate=whole.sample_rate,
        words=words,
        timing_source="exact" if exact else "estimated",
        voice=voice,
    )
