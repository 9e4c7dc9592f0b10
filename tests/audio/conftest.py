from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import imageio_ffmpeg
import pytest
import pytest_asyncio

from services.audio.app import build_app
from services.audio.settings import AudioSettings
from tests.support import serve


@pytest.fixture(scope="module")
def media_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("audio-media")


@pytest_asyncio.fixture(scope="module")
async def espeak_client(media_root: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The audio service with its default provider, over real HTTP."""
    settings = AudioSettings(media_root=media_root, audio_provider="espeak")
    async with (
        serve(build_app(settings)) as base,
        httpx.AsyncClient(base_url=base, timeout=60) as client,
    ):
        yield client


def tone_mp3(seconds: float, sample_rate: int, folder: Path) -> bytes:
    """A real MP3 (a sine tone) standing in for what a cloud provider sends back.

    Written to a file, not a pipe, so that it carries the Xing/LAME header with the encoder
    delay, as a provider's finished file does.
    """
    path = folder / f"tone-{seconds}-{sample_rate}.mp3"
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:sample_rate={sample_rate}:duration={seconds}",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "64k",
            "-y",
            str(path),
        ],
        check=True,
        capture_output=True,
    )
    return path.read_bytes()
