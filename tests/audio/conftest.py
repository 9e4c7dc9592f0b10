from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from services.audio.app import build_app
from services.audio.settings import AudioSettings
from tests.support import serve
from tests.support.media import tone_mp3


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


__all__ = ["tone_mp3"]
