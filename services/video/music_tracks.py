"""Music from a prompt: a track of the asked length, offline or from a cloud provider.

Offline, the prompt's words and the genre choose one of the synthesiser's moods (music.py) and
its loop is played for the asked duration with fades: honest, simple synthesised music, said
so in every answer. ElevenLabs' music API composes a real track from the prompt.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

import httpx

from contracts.ai_media import MusicGenerateRequest, MusicGenerateResponse, MusicProviderName
from contracts.errors import ApiError
from runtime.probe import NotMedia, probe
from runtime.storage import Storage
from runtime.upstream import ProviderHttp
from services.video.ffmpeg import FfmpegFailed, run_ffmpeg
from services.video.music import music_loop
from services.video.settings import VideoSettings

# Words of a prompt that point to a mood; the genre counts as one more word.
MOOD_WORDS: dict[str, tuple[str, ...]] = {
    "upbeat": (
        "upbeat",
        "energetic",
        "happy",
        "electronic",
        "dance",
        "pop",
        "fun",
        "bright",
        "rock",
        "party",
        "fast",
        "edm",
    ),
    "soft": (
        "soft",
        "calm",
        "gentle",
        "piano",
        "relax",
        "relaxing",
        "acoustic",
        "lofi",
        "lo-fi",
        "chill",
        "warm",
        "jazz",
        "peaceful",
    ),
    "cinematic": (
        "cinematic",
        "epic",
        "dramatic",
        "orchestral",
        "trailer",
        "dark",
        "heroic",
        "film",
        "classical",
        "suspense",
    ),
    "corporate": (
        "corporate",
        "business",
        "tech",
        "technology",
        "professional",
        "motivational",
        "inspiring",
        "presentation",
        "product",
    ),
    "ambient": (
        "ambient",
        "space",
        "meditation",
        "atmospheric",
        "dreamy",
        "drone",
        "ethereal",
        "nature",
        "slow",
    ),
}
GENRE_MOODS = {
    "electronic": "upbeat",
    "pop": "upbeat",
    "rock": "upbeat",
    "ambient": "ambient",
    "cinematic": "cinematic",
    "classical": "cinematic",
    "corporate": "corporate",
    "jazz": "soft",
    "lofi": "soft",
    "acoustic": "soft",
}
DEFAULT_MOOD = "soft"
FADE_SECONDS = 1.5
MUSIC_BITRATE = "160k"


def mood_for(prompt: str, genre: str | None) -> str:
    """The mood most of the prompt's words (and the genre) point to; soft when none does."""
    words = re.findall(r"[a-z][a-z-]*", prompt.lower())
    votes: Counter[str] = Counter()
    for mood, cues in MOOD_WORDS.items():
        votes[mood] += sum(word in cues for word in words)
    if genre is not None:
        votes[GENRE_MOODS[genre]] += 1
    best = max(votes.values(), default=0)
    if best == 0:
        return DEFAULT_MOOD
    # Ties go to the genre's mood, then to the order of MOOD_WORDS.
    tied = [mood for mood in MOOD_WORDS if votes[mood] == best]
    return GENRE_MOODS[genre] if genre is not None and GENRE_MOODS[genre] in tied else tied[0]


@contextlib.asynccontextmanager
async def _workdir(parent: Path | None) -> AsyncIterator[Path]:
    if parent is not None:
        await asyncio.to_thread(parent.mkdir, parents=True, exist_ok=True)
    path = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="music-", dir=parent))
    try:
        yield path
    finally:
        await asyncio.to_thread(shutil.rmtree, path, True)


async def _duration(path: Path, label: str) -> float:
    try:
        info = await asyncio.to_thread(probe, path)
    except NotMedia:
        raise ApiError(502, f"{label} sent audio that cannot be decoded") from None
    if info.first("audio") is None:
        raise ApiError(502, f"{label} sent a file without audio")
    return round(info.duration, 3)


class MusicProvider(Protocol):
    name: MusicProviderName

    async def compose(self, request: MusicGenerateRequest, out: Path) -> str | None:
        """Write an MP3 of the track to `out`; the synthesiser's mood, if one was used."""

    def description(self, request: MusicGenerateRequest, mood: str | None) -> str: ...

    async def aclose(self) -> None: ...


class SynthMusic:
    name: MusicProviderName = "synth"

    def __init__(self, settings: VideoSettings) -> None:
        self.settings = settings

    async def compose(self, request: MusicGenerateRequest, out: Path) -> str | None:
        mood = mood_for(request.prompt, request.genre)
        loop = await asyncio.to_thread(music_loop, mood, self.settings.video_cache_dir)
        seconds = request.duration
        fades = (
            f"afade=t=in:d={FADE_SECONDS},"
            f"afade=t=out:st={max(seconds - FADE_SECONDS, 0):.3f}:d={FADE_SECONDS}"
        )
        try:
            await run_ffmpeg(
                [
                    "-stream_loop",
                    "-1",
                    "-i",
                    str(loop),
                    "-t",
                    f"{seconds:.3f}",
                    "-af",
                    fades,
                    "-c:a",
                    "libmp3lame",
                    "-b:a",
                    MUSIC_BITRATE,
                    "-y",
                    str(out),
                ],
                time_limit=self.settings.video_music_timeout_seconds,
            )
        except FfmpegFailed:
            raise ApiError(500, "The music could not be encoded") from None
        return mood

    def description(self, request: MusicGenerateRequest, mood: str | None) -> str:
        return (
            f"Synthesised offline: the '{mood}' loop of the built-in synthesiser (pad, bass"
            f"{', beat' if mood in ('upbeat', 'corporate') else ''}), chosen from the prompt's"
            " words and the genre and played for the asked duration. It is not composed from"
            " the prompt by a model."
        )

    async def aclose(self) -> None:
        return None


class ElevenLabsMusic:
    """ElevenLabs' music API: `POST /v1/music` with the prompt and a length in milliseconds,
    answering the track's bytes."""

    name: MusicProviderName = "elevenlabs"
    label = "ElevenLabs Music"

    def __init__(self, http: ProviderHttp, *, api_key: str | None, base_url: str) -> None:
        self.http = http
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")

    async def compose(self, request: MusicGenerateRequest, out: Path) -> str | None:
        key = self.api_key
        if not key:
            raise ApiError(
                503, f"{self.label} is not configured: VIDEO_ELEVENLABS_API_KEY is unset"
            )
        prompt = request.prompt if request.genre is None else f"{request.prompt} ({request.genre})"
        answer = await self.http.request(
            "POST",
            f"{self.base_url}/v1/music?output_format=mp3_44100_128",
            headers={"xi-api-key": key},
            json={
                "prompt": prompt,
                "music_length_ms": round(request.duration * 1000),
                "force_instrumental": True,
            },
        )
        await asyncio.to_thread(out.write_bytes, answer.content)
        return None

    def description(self, request: MusicGenerateRequest, mood: str | None) -> str:
        return "Composed from the prompt by ElevenLabs Music."

    async def aclose(self) -> None:
        await self.http.client.aclose()


def build_music_provider(settings: VideoSettings) -> MusicProvider:
    if settings.video_music_provider == "elevenlabs":
        return ElevenLabsMusic(
            ProviderHttp(
                ElevenLabsMusic.label,
                httpx.AsyncClient(),
                timeout_seconds=settings.video_music_timeout_seconds,
                attempts=settings.video_music_http_attempts,
                max_backoff_seconds=settings.video_music_max_backoff_seconds,
                max_bytes=settings.video_music_max_bytes,
            ),
            api_key=settings.video_elevenlabs_api_key,
            base_url=settings.video_elevenlabs_base_url,
        )
    return SynthMusic(settings)


class MusicMaker:
    def __init__(self, settings: VideoSettings, storage: Storage, provider: MusicProvider) -> None:
        self.settings = settings
        self.storage = storage
        self.provider = provider
        self.gate = asyncio.Semaphore(settings.video_music_max_concurrency)

    async def generate(self, request: MusicGenerateRequest) -> MusicGenerateResponse:
        async with self.gate, _workdir(self.settings.video_temp_dir) as work:
            out = work / "track.mp3"
            mood = await self.provider.compose(request, out)
            duration = await _duration(out, self.provider.name)
            key = f"music/{uuid.uuid4().hex}/track.mp3"
            await self.storage.put_file(key, out, "audio/mpeg")
        synthesised = self.provider.name == "synth"
        return MusicGenerateResponse(
            audio_key=key,
            duration=duration,
            mood=mood,
            genre=request.genre,
            provider=self.provider.name,
            synthesised=synthesised,
            description=self.provider.description(request, mood),
        )
