"""Audio service speed: 60 s of narration with the default voice, and its subtitles.

Targets: synthesis (speech, word timings and the MP3) of 60 s of audio in under 1 s;
subtitles (cues and the three formats) in under 100 ms. The same narration with the optional
piper voice is measured too (no target: neural speech is far slower than espeak-ng).
Run: python -m bench.audio
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from contracts.audio import GenerateRequest, WordTiming
from runtime.captions import build_cues, to_ass, to_srt, to_vtt
from services.audio.app import build_app
from services.audio.providers.base import TtsProvider
from services.audio.providers.factory import build_provider
from services.audio.settings import AudioSettings
from tests.support import serve

RUNS = 5
PIPER_RUNS = 3  # about 2 s each
SENTENCES = (
    "Every morning the city wakes before the sun, and the bakers are the first to know it.",
    "Stoicism teaches us that we cannot control events, only our response to them.",
    "A small habit, repeated daily, quietly becomes the shape of a whole life.",
    "Marcus Aurelius wrote his notes at night, by candle light, after long days of war.",
    "Why does this matter? Because attention is the one thing we truly own.",
)


def narration(target_seconds: float, words_per_minute: float = 175) -> str:
    """Text long enough for about `target_seconds` at espeak-ng's default pace."""
    words_needed = target_seconds / 60 * words_per_minute
    text, count, i = [], 0, 0
    while count < words_needed:
        sentence = SENTENCES[i % len(SENTENCES)]
        text.append(sentence)
        count += len(sentence.split())
        i += 1
    return " ".join(text)


async def bench_provider(
    provider: TtsProvider, text: str, runs: int = RUNS
) -> tuple[float, float, list[WordTiming]]:
    await provider.start()
    timings, duration = [], 0.0
    request = GenerateRequest(text=text)
    words: list[WordTiming] = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            speech = await provider.synthesize(request, Path(tmp))
            timings.append(time.perf_counter() - started)
        duration, words = speech.duration, speech.words
    await provider.aclose()
    return duration, statistics.median(timings), words


async def bench_http(text: str) -> float:
    with tempfile.TemporaryDirectory() as media:
        app = build_app(AudioSettings(media_root=Path(media), log_level="WARNING"))
        logging.getLogger("access").setLevel(logging.WARNING)  # one line per request otherwise
        async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=60) as client:
            timings = []
            for _ in range(RUNS):
                started = time.perf_counter()
                response = await client.post("/generate", json={"text": text})
                response.raise_for_status()
                timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def bench_subtitles(words: list[WordTiming]) -> tuple[float, int]:
    timings, cues = [], 0
    for _ in range(RUNS * 4):
        started = time.perf_counter()
        built = build_cues(words)
        to_srt(built), to_vtt(built), to_ass(built)
        timings.append(time.perf_counter() - started)
        cues = len(built)
    return statistics.median(timings), cues


def main() -> None:
    text = narration(60)
    duration, synth, words = asyncio.run(
        bench_provider(build_provider(AudioSettings(audio_provider="espeak")), text)
    )
    piper = asyncio.run(
        bench_provider(build_provider(AudioSettings(audio_provider="piper")), text, PIPER_RUNS)
    )
    http = asyncio.run(bench_http(text))
    subtitles, cues = bench_subtitles(words)
    print(f"narration: {len(text.split())} words -> {duration:.2f} s of audio (espeak-ng en-us+f2)")
    print(
        f"synthesis (speech + word timings + MP3), median of {RUNS}: {synth * 1000:.0f} ms "
        f"= {duration / synth:.0f}x realtime (target < 1000 ms for 60 s)"
    )
    print(
        f"piper en_US-joe-medium, same text -> {piper[0]:.2f} s of audio, median of {PIPER_RUNS}: "
        f"{piper[1] * 1000:.0f} ms = {piper[0] / piper[1]:.1f}x realtime"
    )
    print(
        f"POST /generate over HTTP incl. storage, median of {RUNS}: {http * 1000:.0f} ms "
        f"= {duration / http:.0f}x realtime"
    )
    print(
        f"subtitles ({cues} cues, SRT+VTT+ASS), median of {RUNS * 4}: {subtitles * 1000:.1f} ms "
        f"= {duration / subtitles:.0f}x realtime (target < 100 ms)"
    )


if __name__ == "__main__":
    main()
