"""Fixtures for the video service: a media folder with generated pictures and narration, and
the service itself served over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.video.app import build_app
from services.video.settings import VideoSettings
from tests.support import serve
from tests.support.media import picture, tone, words_for


@pytest.fixture
def media(tmp_path: Path) -> Path:
    root = tmp_path / "media"
    picture(root / "img/a.jpg", (1024, 1024), 1)
    picture(root / "img/b.jpg", (1280, 720), 2)
    picture(root / "img/portrait.jpg", (600, 1000), 3)
    tone(root / "audio/narration.mp3", 3.0)
    return root


Settings = Callable[..., VideoSettings]


@pytest.fixture
def settings(media: Path, tmp_path: Path) -> Settings:
    def make(**overrides: Any) -> VideoSettings:
        values: dict[str, Any] = {
            "media_root": media,
            "video_cache_dir": tmp_path / "cache",
            "video_temp_dir": tmp_path / "work",
            "log_level": "WARNING",
        }
        return VideoSettings(**{**values, **overrides})

    return make


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve(build_app(settings())) as base,
        httpx.AsyncClient(base_url=base, timeout=60) as http,
    ):
        yield http


__all__ = ["Settings", "picture", "tone", "words_for"]
