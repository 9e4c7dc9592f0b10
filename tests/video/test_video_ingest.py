"""`POST /ingest` and `POST /music/{mood}/preview` on the video service over HTTP: the limits
on what an upload may be, and the staged file is gone whatever the answer."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx

from services.video.app import build_app
from services.video.ffmpeg import FFMPEG
from tests.library import files
from tests.support import serve
from tests.video.conftest import Settings


async def ingest(
    settings: Settings, media: Path, data: bytes, kind: str = "media", **limits: Any
) -> httpx.Response:
    (media / "staging").mkdir(exist_ok=True)
    (media / "staging" / "up").write_bytes(data)
    async with serve(build_app(settings(**limits))) as base, httpx.AsyncClient() as http:
        r = await http.post(f"{base}/ingest", json={"key": "staging/up", "kind": kind}, timeout=60)
    assert not (media / "staging" / "up").exists()
    return r


async def test_limits_on_duration_size_streams_and_frames(
    settings: Settings, media: Path, tmp_path: Path
) -> None:
    clip = files.mp4(tmp_path)
    cases: list[tuple[bytes, dict[str, Any], str]] = [
        (clip, {"video_ingest_max_video_seconds": 1}, "file: 2.0 s long; the limit is 1 s"),
        (clip, {"video_ingest_max_side": 300},
         "file: the video is 320x240; the limit is 300 pixels on each side"),
        (clip, {"video_ingest_max_streams": 1}, "file: 2 streams; the limit is 1"),
        (files.gif(3), {"video_ingest_max_gif_frames": 2},
         "file: the GIF has 3 frames; the limit is 2"),
        (files.gif(3), {"video_ingest_max_gif_pixels": 3000},
         "file: the GIF has 3 frames of 40x30; the limit is 3000 pixels over all frames"),
        (files.png((100, 100)), {"video_ingest_max_image_pixels": 9999},
         "file: the image is 100x100 (10000 pixels); the limit is 9999 pixels"),
        (clip, {"video_ingest_max_bytes": 1000},
         f"file: {len(clip)} bytes; the limit is 1000 bytes"),
    ]  # fmt: skip
    for data, limits, detail in cases:
        r = await ingest(settings, media, data, **limits)
        assert (r.status_code, r.json()["detail"]) == (413, detail)
    assert not (media / "uploads").exists()


async def test_damaged_files_are_422(settings: Settings, media: Path, tmp_path: Path) -> None:
    # moov at the end, as FFmpeg writes by default: cut short, the index is lost altogether.
    whole = files.mp4(tmp_path)
    ordinary = tmp_path / "plain.mp4"
    subprocess.run([FFMPEG, "-loglevel", "error", "-i", str(tmp_path / "clip.mp4"), "-c", "copy",
                    "-y", str(ordinary)], check=True)  # fmt: skip
    r = await ingest(settings, media, ordinary.read_bytes()[: len(whole) // 2])
    assert (r.status_code, r.json()["detail"]) == (
        422, "file: the file is damaged or truncated (cannot be read)"
    )  # fmt: skip
    png = files.png((64, 64))
    r = await ingest(settings, media, png[: len(png) - 20])
    assert r.status_code == 422
    assert r.json()["detail"].startswith("file: the image is damaged or truncated")
    r = await ingest(settings, media, b"")
    assert (r.status_code, r.json()["detail"]) == (422, "file: the file is empty")
    assert not (media / "uploads").exists()


async def test_staged_keys_are_checked(settings: Settings) -> None:
    async with serve(build_app(settings())) as base, httpx.AsyncClient(base_url=base) as http:
        r = await http.post("/ingest", json={"key": "staging/missing", "kind": "media"})
        assert (r.status_code, r.json()["detail"]) == (404, "key: no staged upload staging/missing")
        r = await http.post("/ingest", json={"key": "../etc/passwd", "kind": "media"})
        assert r.status_code == 400
        assert r.json()["detail"].startswith("key: Invalid media key")
        r = await http.post("/ingest", json={"key": "staging/x", "kind": "video"})
        assert r.status_code == 422


async def test_a_mood_preview_is_rendered_once(settings: Settings, media: Path) -> None:
    async with (
        serve(build_app(settings())) as base,
        httpx.AsyncClient(base_url=base, timeout=60) as http,
    ):
        first = await http.post("/music/ambient/preview")
        assert first.status_code == 200, first.text
        body = first.json()
        path = media / body["key"]
        stamp = path.stat().st_mtime_ns
        again = await http.post("/music/ambient/preview")
        assert again.json() == body
        assert path.stat().st_mtime_ns == stamp
        assert body["duration"] > 10
        r = await http.post("/music/polka/preview")
        assert r.status_code == 404
        assert r.json()["detail"].startswith("mood: unknown mood 'polka'; one of soft, upbeat")
