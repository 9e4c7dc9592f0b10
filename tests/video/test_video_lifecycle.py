"""Progress while rendering, the per-process limit (429), and a client that goes away."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from services.video.app import build_app
from tests.support import serve
from tests.video.conftest import Settings, tone

LONG: dict[str, Any] = {
    "scenes": [{"image_key": "img/a.jpg"}, {"image_key": "img/b.jpg"}],
    "narration_key": "audio/long.mp3",
    "resolution": "720p",
    "aspect": "16:9",
    "fps": 30,
    "template": "ken_burns",
}


async def wait_for(http: httpx.AsyncClient, render_id: str, stages: set[str]) -> dict[str, Any]:
    for _ in range(600):
        response = await http.get(f"/renders/{render_id}")
        if response.status_code == 200 and response.json()["stage"] in stages:
            return dict(response.json())
        await asyncio.sleep(0.02)
    raise AssertionError(f"{render_id} never reached {stages}")


def ffmpeg_children() -> list[psutil.Process]:
    return [p for p in psutil.Process(os.getpid()).children(recursive=True) if "ffmpeg" in p.name()]


async def test_progress_is_reported_while_rendering(settings: Settings, media: Path) -> None:
    tone(media / "audio/long.mp3", 8.0)
    async with (
        serve(build_app(settings())) as base,
        httpx.AsyncClient(base_url=base, timeout=60) as http,
        httpx.AsyncClient(base_url=base, timeout=60) as poller,
    ):
        render = asyncio.create_task(http.post("/render", json={**LONG, "render_id": "p-1"}))
        seen: list[tuple[str, float]] = []
        while not render.done():
            response = await poller.get("/renders/p-1")
            if response.status_code == 200:
                seen.append((response.json()["stage"], response.json()["percent"]))
            await asyncio.sleep(0.05)
        assert (await render).status_code == 200
        final = (await poller.get("/renders/p-1")).json()
    assert final["stage"] == "done"
    assert any(stage == "rendering" and 5 < pct < 90 for stage, pct in seen), seen
    percents = [pct for _, pct in seen]
    assert percents == sorted(percents), "progress never goes backwards"


async def test_one_render_too_many_is_429_with_retry_after(settings: Settings, media: Path) -> None:
    tone(media / "audio/long.mp3", 6.0)
    limited = settings(video_max_concurrent_renders=1, video_retry_after_seconds=7)
    async with (
        serve(build_app(limited)) as base,
        httpx.AsyncClient(base_url=base, timeout=60) as http,
        httpx.AsyncClient(base_url=base, timeout=60) as other,
    ):
        first = asyncio.create_task(http.post("/render", json={**LONG, "render_id": "busy"}))
        await wait_for(other, "busy", {"fetching", "rendering"})
        refused = await other.post("/render", json={**LONG, "render_id": "second"})
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "7"
        assert refused.json()["retryAfter"] == 7
        assert isinstance(refused.json()["detail"], str)
        assert (await first).status_code == 200
        # The slot is free again.
        assert (await other.get("/health")).json()["details"]["active_renders"] == 0


async def test_a_client_that_goes_away_cancels_its_render(
    settings: Settings, media: Path, tmp_path: Path
) -> None:
    tone(media / "audio/long.mp3", 20.0)
    async with (
        serve(build_app(settings())) as base,
        httpx.AsyncClient(base_url=base, timeout=60) as poller,
    ):
        async with httpx.AsyncClient(base_url=base, timeout=60) as leaving:
            request = asyncio.create_task(
                leaving.post("/render", json={**LONG, "render_id": "gone"})
            )
            await wait_for(poller, "gone", {"rendering"})
            assert ffmpeg_children(), "FFmpeg should be encoding by now"
            request.cancel()
        failed = await wait_for(poller, "gone", {"failed"})
    assert "client went away" in failed["reason"]
    await asyncio.sleep(0.2)
    assert ffmpeg_children() == []
    assert not any((tmp_path / "work").iterdir())
    assert not (media / "videos").exists()


async def test_an_explicit_cancel_stops_a_render(settings: Settings, media: Path) -> None:
    """What the gateway sends when a job is cancelled: the render stops, its FFmpegs with it."""
    tone(media / "audio/long.mp3", 30.0)
    async with (
        serve(build_app(settings())) as base,
        httpx.AsyncClient(base_url=base, timeout=60) as http,
        httpx.AsyncClient(base_url=base, timeout=60) as other,
    ):
        refused = await other.delete("/renders/unknown")
        assert (refused.status_code, refused.json()["detail"]) == (
            404,
            "No render unknown is known to this process",
        )
        render = asyncio.create_task(http.post("/render", json={**LONG, "render_id": "x-1"}))
        await wait_for(other, "x-1", {"rendering"})
        assert (await other.delete("/renders/x-1")).status_code == 204
        answer = await render
        assert answer.status_code == 400
        assert "cancelled" in answer.json()["detail"]
        failed = await wait_for(other, "x-1", {"failed"})
        again = await other.delete("/renders/x-1")
        assert again.status_code == 409
        assert again.json()["detail"] == "Render x-1 is not running"
    assert "Cancelled" in failed["reason"]
    for _ in range(100):
        if not ffmpeg_children():
            break
        await asyncio.sleep(0.05)
    assert ffmpeg_children() == []


async def test_scratch_folders_of_a_dead_render_are_removed_at_start(
    settings: Settings, tmp_path: Path
) -> None:
    """A killed service leaves its render's scratch folder; the next start removes it, and
    only folders older than the longest render allowed (another process may share the
    folder)."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    dead, live = work / "render-dead", work / "render-live"
    for folder in (dead, live):
        folder.mkdir()
        (folder / "segment-0.mp4").write_bytes(b"partial")
    long_ago = time.time() - 2 * 3600
    os.utime(dead, (long_ago, long_ago))
    build_app(settings(video_render_timeout_seconds=3600))
    assert not dead.exists()
    assert live.exists()
