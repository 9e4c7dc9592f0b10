"""Seed 002's AI images: generate-ai queues a drawing, ai-status shows it and its media."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from PIL import Image

from tests.ai.conftest import Studio
from tests.auth.conftest import Account


async def drawn(studio: Studio, job_id: str, who: Account) -> dict[str, Any]:
    async with asyncio.timeout(120):
        while True:
            r = await studio.http.get(f"/api/v1/media/ai-status/{job_id}", headers=who.headers)
            assert r.status_code == 200, r.text
            data: dict[str, Any] = r.json()["data"]
            if data["status"] in ("completed", "failed"):
                return data
            assert data["media"] is None
            await asyncio.sleep(0.2)


async def test_an_ai_image_is_drawn_at_the_asked_shape(studio: Studio) -> None:
    amy = await studio.register("amy")
    r = await studio.http.post(
        "/api/v1/media/generate-ai",
        headers=amy.headers,
        json={
            "prompt": "A futuristic cityscape at sunset",
            "style": "cinematic",
            "aspect_ratio": "1:1",
            "quality": "standard",
        },
    )
    assert r.status_code == 202, r.text
    accepted = r.json()
    assert accepted["success"] is True
    assert accepted["data"]["status"] == "queued"
    data = await drawn(studio, accepted["data"]["job_id"], amy)
    assert (data["status"], data["progress"], data["error"]) == ("completed", 100, None)
    media = data["media"]
    assert (media["type"], media["source"], media["ai_prompt"]) == (
        "image",
        "ai",
        "A futuristic cityscape at sunset",
    )
    assert media["dimensions"] == {"width": 1080, "height": 1080}
    assert media["style"] == "realistic"
    with Image.open(await studio.download(media["url"], "city", amy)) as picture:
        assert (picture.format, picture.size) == ("JPEG", (1080, 1080))
        # A drawing, not a blank: many colours.
        assert len(picture.convert("RGB").resize((64, 64)).getcolors(4096) or []) > 50
    assert media["thumbnail_url"] == media["url"]
    # The seed 001 status reads the same job.
    job_id = accepted["data"]["job_id"]
    job = await studio.http.get(f"/api/v1/ai/jobs/{job_id}/status", headers=amy.headers)
    assert job.json()["type"] == "image_generation"
    # It is in Amy's media library, as the AI's.
    library = await studio.http.get(
        "/api/v1/media/library", headers=amy.headers, params={"source": "ai"}
    )
    listed = library.json()["data"]["media"]
    assert [(m["id"], m["url"]) for m in listed] == [(media["id"], media["url"])]


async def test_ai_status_is_the_callers_and_only_for_images(studio: Studio) -> None:
    amy, bob = await studio.register("amy"), await studio.register("bob")
    r = await studio.http.post(
        "/api/v1/media/generate-ai", headers=amy.headers, json={"prompt": "A quiet harbour"}
    )
    job_id = r.json()["data"]["job_id"]
    theirs = await studio.http.get(f"/api/v1/media/ai-status/{job_id}", headers=bob.headers)
    assert theirs.status_code == 404
    assert theirs.json()["detail"] == f"Job not found: {job_id}"
    music = await studio.http.post(
        "/api/v1/ai/music-generate", headers=amy.headers, json={"prompt": "Calm piano"}
    )
    music_id = music.json()["jobId"]
    other = await studio.http.get(f"/api/v1/media/ai-status/{music_id}", headers=amy.headers)
    assert other.status_code == 404
    data = await drawn(studio, job_id, amy)
    assert (data["status"], data["media"]["dimensions"]) == (
        "completed",
        {"width": 1920, "height": 1080},
    )


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"prompt": "ab"}, "prompt"),
        ({"prompt": "   abc  ", "style": "polka"}, "style"),
        ({"prompt": "A harbour", "aspect_ratio": "3:2"}, "aspect_ratio"),
        ({"prompt": "A harbour", "quality": "ultra"}, "quality"),
        ({"prompt": "A harbour", "seed": 3}, "seed"),
        ({"prompt": "a\u0000b c"}, "NUL"),
    ],
)
async def test_bad_generate_ai_requests_are_422_and_queue_nothing(
    studio: Studio, body: dict[str, Any], fragment: str
) -> None:
    amy = await studio.register("amy")
    r = await studio.http.post("/api/v1/media/generate-ai", headers=amy.headers, json=body)
    assert r.status_code == 422, r.text
    assert fragment in r.json()["detail"]
    assert (await studio.jobs(), await studio.queued()) == (0, 0)
