"""Bad input: a 4xx with a string detail, and nothing left behind (no output, no temp files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from services.video.app import build_app
from tests.support import serve
from tests.video.conftest import Settings

BASE: dict[str, Any] = {
    "scenes": [{"image_key": "img/a.jpg"}],
    "narration_key": "audio/narration.mp3",
    "resolution": "720p",
    "aspect": "1:1",
    "fps": 24,
}


def assert_nothing_left(media: Path, tmp_path: Path) -> None:
    assert not (media / "videos").exists() or not any((media / "videos").iterdir())
    work = tmp_path / "work"
    assert not work.exists() or not any(work.iterdir())


@pytest.mark.parametrize(
    ("change", "valid"),
    [
        ({"template": "spin_3d"}, "ken_burns"),
        ({"resolution": "4k"}, "1080p"),
        ({"music": "metal"}, "cinematic"),
        ({"aspect": "2:1"}, "9:16"),
        ({"fps": 25}, "30"),
        ({"fit": "stretch"}, "contain"),
        ({"subtitles": {"style": "comic"}}, "tiktok_highlight"),
        ({"subtitles": {"position": "left"}}, "bottom"),
    ],
)
async def test_unknown_names_are_422_listing_the_valid_values(
    client: httpx.AsyncClient, change: dict[str, Any], valid: str
) -> None:
    response = await client.post("/render", json={**BASE, **change})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert valid in detail


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"scenes": []}, 422, "at least 1"),
        ({"scenes": [{"image_key": "img/missing.png"}]}, 422, "img/missing.png"),
        ({"scenes": [{"image_key": "../../etc/passwd"}]}, 400, "scenes[0].image_key"),
        ({"narration_key": "/etc/hosts"}, 400, "narration_key"),
        ({"narration_key": "img/a.jpg"}, 422, "not audio"),
        ({"narration_key": "audio/missing.mp3"}, 422, "not found"),
        ({"scenes": [{"image_key": "audio/narration.mp3"}]}, 422, "not a readable image"),
        ({"subtitles": {"style": "classic"}}, 422, "word timings"),
        ({"words_key": "audio/narration.mp3", "subtitles": {}}, 422, "not a JSON list"),
        ({"scenes": [{"image_key": "img/a.jpg", "duration": 2}, {"image_key": "img/b.jpg"}]},
         422, "every scene"),
        ({"render_id": "../x"}, 422, "render_id"),
    ],
)  # fmt: skip
async def test_bad_input_is_a_4xx_and_leaves_nothing(
    client: httpx.AsyncClient,
    media: Path,
    tmp_path: Path,
    change: dict[str, Any],
    status: int,
    words: str,
) -> None:
    response = await client.post("/render", json={**BASE, **change})
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert words in detail
    assert_nothing_left(media, tmp_path)


async def test_limits_on_duration_resolution_and_scenes(
    settings: Settings, media: Path, tmp_path: Path
) -> None:
    limited = settings(
        video_max_duration_seconds=2.0, video_max_resolution="720p", video_max_scenes=2
    )
    async with serve(build_app(limited)) as base, httpx.AsyncClient(base_url=base) as http:
        too_long = await http.post("/render", json=BASE)
        assert too_long.status_code == 422
        assert "over the limit of 2 s" in too_long.json()["detail"]
        too_big = await http.post("/render", json={**BASE, "resolution": "1080p"})
        assert too_big.status_code == 422
        assert "720p" in too_big.json()["detail"]
        too_many = await http.post("/render", json={**BASE, "scenes": BASE["scenes"] * 3})
        assert too_many.status_code == 422
        assert "at most 2 scenes" in too_many.json()["detail"]
    assert_nothing_left(media, tmp_path)


async def test_oversized_inputs_are_413(settings: Settings, media: Path, tmp_path: Path) -> None:
    async with (
        serve(build_app(settings(video_max_image_bytes=1000))) as base,
        httpx.AsyncClient(base_url=base) as http,
    ):
        response = await http.post("/render", json=BASE)
    assert response.status_code == 413
    assert "img/a.jpg" in response.json()["detail"]
    assert_nothing_left(media, tmp_path)


async def test_burn_subtitles_bad_input(client: httpx.AsyncClient, media: Path) -> None:
    no_source = await client.post("/burn-subtitles", json={"video_key": "v.mp4", "subtitles": {}})
    assert no_source.status_code == 422
    assert "subtitles needs one of words, words_key or file_key" in no_source.json()["detail"]
    (media / "notes.txt").write_text("not a video")
    not_video = await client.post(
        "/burn-subtitles",
        json={
            "video_key": "notes.txt",
            "subtitles": {"words": [{"word": "a", "start": 0, "end": 1}]},
        },
    )
    assert not_video.status_code == 422
    assert "not video" in not_video.json()["detail"]
    bad_srt = await client.post(
        "/burn-subtitles",
        json={"video_key": "notes.txt", "subtitles": {"file_key": "img/a.jpg"}},
    )
    assert bad_srt.status_code == 422
    assert bad_srt.json()["detail"] == "video_key: notes.txt is not video"


async def test_unknown_render_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/renders/nope")
    assert response.status_code == 404
    assert isinstance(response.json()["detail"], str)
