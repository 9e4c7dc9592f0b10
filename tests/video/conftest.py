"""Fixtures for the video service: a media folder with generated pictures and narration, and
the service itself served over real HTTP."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image, ImageDraw

from services.video.app import build_app
from services.video.ffmpeg import FFMPEG
from services.video.settings import VideoSettings
from tests.support import serve


def picture(path: Path, size: tuple[int, int], seed: int) -> None:
    """A picture with detail everywhere (gradient, noise, discs), so motion shows."""
    rng = np.random.default_rng(seed)
    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x / width * 200, y / height * 200, (x + y) / (width + height) * 255], -1)
    pixels = np.clip(base + rng.normal(0, 8, (height, width, 3)), 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    for _ in range(25):
        cx, cy = int(rng.integers(0, width)), int(rng.integers(0, height))
        r = int(rng.integers(10, max(11, width // 6)))
        colour = (int(rng.integers(0, 255)), int(rng.integers(0, 255)), int(rng.integers(0, 255)))
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, quality=90)


def tone(path: Path, seconds: float, *, silence_before: float = 0.0, freq: int = 1000) -> None:
    """Narration stand-in: a tone, optionally after some silence, as MP3."""
    path.parent.mkdir(parents=True, exist_ok=True)
    source = f"sine=f={freq}:d={seconds - silence_before}:sample_rate=44100"
    delay = f",adelay={int(silence_before * 1000)}:all=1" if silence_before else ""
    subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", source,
         "-af", f"volume=0.3{delay}", "-c:a", "libmp3lame", "-b:a", "128k", "-y", str(path)],
        check=True,
    )  # fmt: skip


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


def words_for(text: str, start: float, step: float) -> list[dict[str, Any]]:
    return [
        {
            "word": word,
            "start": round(start + i * step, 3),
            "end": round(start + i * step + step * 0.8, 3),
        }
        for i, word in enumerate(text.split())
    ]
