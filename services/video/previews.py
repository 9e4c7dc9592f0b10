"""Stock music for the audio library: each mood's loop as an MP3 in storage, rendered once.

The key is fixed per mood and synthesis version, so every replica and every call finds the
same object; a render only happens when it is missing.
"""

from __future__ import annotations

import asyncio

from contracts.errors import ApiError
from contracts.library import MusicPreview
from runtime.probe import probe
from runtime.storage import Storage
from services.video.ffmpeg import run_ffmpeg
from services.video.ingest import scratch
from services.video.music import MOODS, SYNTH_VERSION, music_loop
from services.video.settings import VideoSettings
from services.video.waveform import waveform_json


def preview_key(mood: str) -> str:
    return f"music/stock/{mood}-v{SYNTH_VERSION}.mp3"


def waveform_key(mood: str) -> str:
    return f"music/stock/{mood}-v{SYNTH_VERSION}.waveform.json"


async def music_preview(mood: str, settings: VideoSettings, storage: Storage) -> MusicPreview:
    if mood not in MOODS:
        raise ApiError(404, f"mood: unknown mood {mood!r}; one of {', '.join(MOODS)}")
    key = preview_key(mood)
    async with scratch(settings.video_temp_dir, "preview-") as work:
        out = work / "preview.mp3"
        wave_key = waveform_key(mood)
        # The waveform is written last: with it present, both are.
        if await storage.stat(wave_key) is None:
            loop = await asyncio.to_thread(music_loop, mood, settings.video_cache_dir)
            await run_ffmpeg(
                ["-i", str(loop), "-c:a", "libmp3lame", "-b:a", "160k", "-y", str(out)],
                time_limit=120,
            )
            info = await asyncio.to_thread(probe, out)
            wave = await asyncio.to_thread(waveform_json, out, info.duration)
            await storage.put_file(key, out, "audio/mpeg")
            await storage.put_bytes(wave_key, wave, "application/json")
        else:
            await storage.download(key, out)
            info = await asyncio.to_thread(probe, out)
        return MusicPreview(
            mood=mood,
            key=key,
            waveform_key=wave_key,
            duration=round(info.duration, 3),
            size_bytes=info.size,
        )
