"""The stock entries that ship offline: the video service's music moods and a sample picture per
art style of the image service, rendered once and listed with playable, viewable URLs."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import get_args

from PIL import Image

from contracts.project import ImageStyle
from runtime.probe import probe
from services.video.catalog import MUSIC_MOODS
from tests.library.conftest import Factory, Library

BASE = "http://media.test/media/"


async def fetch(lib: Library, url: str) -> bytes:
    r = await lib.http.get("/media/" + url.removeprefix(BASE))
    assert r.status_code == 200, r.text
    return r.content


async def test_stock_music_and_art_are_rendered_once_and_listed(
    make_library: Factory, tmp_path: Path
) -> None:
    async with make_library(image=True) as lib:
        r = await lib.http.get("/api/v1/audio/library", params={"type": "stock"})
        assert r.status_code == 200, r.text
        music = r.json()["data"]["audio"]
        assert sorted(a["title"] for a in music) == sorted(v[0] for v in MUSIC_MOODS.values())
        assert {a["category"] for a in music} == {"music"}
        upbeat = next(a for a in music if a["title"] == "Upbeat")
        assert "upbeat" in upbeat["tags"]
        saved = tmp_path / "upbeat.mp3"
        saved.write_bytes(await fetch(lib, upbeat["url"]))
        info = probe(saved)
        assert info.first("audio") is not None
        assert info.duration > 10
        assert abs(info.duration - upbeat["duration"]) < 0.1
        waveform = json.loads(await fetch(lib, upbeat["waveform_url"]))
        assert max(waveform["peaks"]) > 0.05

        r = await lib.http.get("/api/v1/audio/library", params={"mood": "cinematic"})
        assert [a["title"] for a in r.json()["data"]["audio"]] == ["Cinematic"]
        r = await lib.http.get("/api/v1/audio/library", params={"type": "my"})
        assert r.json()["data"]["audio"] == []

        r = await lib.http.get("/api/v1/media/library", params={"source": "stock"})
        assert r.status_code == 200, r.text
        art = r.json()["data"]["media"]
        styles = get_args(ImageStyle)
        assert sorted(m["tags"][0] for m in art) == sorted(styles)
        assert r.json()["data"]["pagination"]["total_items"] == len(styles)
        for item in art[:2]:
            assert item["source"] == "stock"
            assert item["dimensions"] == {"width": 640, "height": 360}
            picture = Image.open(io.BytesIO(await fetch(lib, item["url"])))
            assert picture.size == (640, 360)
            # A drawn picture, not a flat placeholder.
            assert len(picture.convert("RGB").getcolors(1 << 24) or []) > 100

        files = lib.files()
        again = await lib.http.get("/api/v1/media/library", params={"limit": 100})
        assert sorted(m["id"] for m in again.json()["data"]["media"]) == sorted(
            m["id"] for m in art
        )
        await lib.http.get("/api/v1/audio/library")
        assert lib.files() == files

        r = await lib.http.post(
            f"/api/v1/audio/{upbeat['id']}/favorite", json={"is_favorite": True}
        )
        assert r.status_code == 200
        r = await lib.http.get("/api/v1/audio/library", params={"type": "favorites"})
        assert [(a["id"], a["is_favorite"]) for a in r.json()["data"]["audio"]] == [
            (upbeat["id"], True)
        ]
        r = await lib.http.delete(f"/api/v1/audio/{upbeat['id']}")
        assert (r.status_code, r.json()["detail"]) == (
            403, f"Audio {upbeat['id']} is a stock entry; it cannot be deleted"
        )  # fmt: skip
        assert lib.files() == files


async def test_without_the_services_the_libraries_still_answer(make_library: Factory) -> None:
    async with make_library(image_service_url="http://127.0.0.1:9") as lib:
        r = await lib.http.get("/api/v1/media/library")
        assert r.status_code == 200, r.text
        assert r.json()["data"] == {
            "media": [],
            "pagination": {"current_page": 1, "total_pages": 0, "total_items": 0,
                           "items_per_page": 20},
        }  # fmt: skip
