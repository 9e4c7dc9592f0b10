"""`python -m bench.image`: milliseconds per 1080p picture per style with the local provider.

For each style, draws the same prompts (one per kind of scene) at 1920x1080 and reports the
median time to draw and to encode the PNG as the service stores it, and the PNG size. Then a
batch of 8 over real HTTP, to show what the concurrency bound gives on this machine.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from services.image.app import build_app
from services.image.art.render import render
from services.image.picture import encode
from services.image.settings import ImageSettings
from tests.support import serve

STYLES = ("realistic", "pixar", "anime", "flat_design", "watercolor", "oil_painting", "sketch")
PROMPTS = (
    "sunset over the ocean",
    "a hiker on a snowy mountain at sunrise",
    "a futuristic city at night",
    "a person working on a laptop in a cozy office",
    "astronaut exploring a distant planet",
    "a peaceful forest with a river",
)


def per_style() -> None:
    render(PROMPTS[0], "realistic", 640, 360)  # warm-up: imports, numpy and Pillow caches
    print(f"{'style':<14}{'draw ms':>9}{'encode ms':>11}{'total ms':>10}{'max ms':>8}{'PNG KB':>8}")
    for style in STYLES:
        draws, encodes, totals, sizes = [], [], [], []
        for prompt in PROMPTS:
            started = time.perf_counter()
            image = render(prompt, style, 1920, 1080)
            drawn = time.perf_counter()
            data = encode(image, "png", software="bench", description="bench", jpeg_quality=90)
            done = time.perf_counter()
            draws.append((drawn - started) * 1000)
            encodes.append((done - drawn) * 1000)
            totals.append((done - started) * 1000)
            sizes.append(len(data) / 1024)
        print(
            f"{style:<14}{statistics.median(draws):>9.0f}{statistics.median(encodes):>11.0f}"
            f"{statistics.median(totals):>10.0f}{max(totals):>8.0f}{statistics.median(sizes):>8.0f}"
        )


async def batch_over_http() -> None:
    with tempfile.TemporaryDirectory() as media:
        settings = ImageSettings(media_root=Path(media), log_level="WARNING")
        async with (
            serve(build_app(settings)) as base,
            httpx.AsyncClient(base_url=base, timeout=300) as client,
        ):
            prompts = [PROMPTS[i % len(PROMPTS)] for i in range(8)]
            started = time.perf_counter()
            response = await client.post("/generate-batch", json={"prompts": prompts})
            elapsed = time.perf_counter() - started
    response.raise_for_status()
    print(
        f"\nbatch of 8 at 1920x1080 over HTTP (concurrency {settings.concurrency}): "
        f"{elapsed:.2f} s, {elapsed / 8 * 1000:.0f} ms per image"
    )


def main() -> None:
    per_style()
    asyncio.run(batch_over_http())


if __name__ == "__main__":
    main()
