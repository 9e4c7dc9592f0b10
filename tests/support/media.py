"""Media files the service tests start from: pictures, tones standing in for narration and
for a provider's MP3, word timings; and what a service stored."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import numpy as np
from PIL import Image, ImageDraw

from services.video.ffmpeg import FFMPEG


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


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


def words_for(text: str, start: float, step: float) -> list[dict[str, Any]]:
    return [
        {
            "word": word,
            "start": round(start + i * step, 3),
            "end": round(start + i * step + step * 0.8, 3),
        }
        for i, word in enumerate(text.split())
    ]
