"""Seed 002's voice library: every voice with a sample that plays, and one scene's voiceover."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.probe import probe
from tests.ai.conftest import Studio


async def test_every_voice_has_a_sample_spoken_once(studio: Studio) -> None:
    amy = await studio.register("amy")
    r = await studio.http.get("/api/v1/voices", headers=amy.headers)
    assert r.status_code == 200, r.text
    voices = r.json()["data"]["voices"]
    assert len(voices) == 36  # six voices in six languages
    first = {v["id"]: v for v in voices}
    assert set(first["en-fable"]) >= {
        "id", "name", "language", "language_code", "gender", "category", "sample_url",
        "is_premium",
    }  # fmt: skip
    assert (first["en-fable"]["language"], first["en-fable"]["gender"]) == ("English", "male")
    assert first["fr-nova"]["language_code"] == "fr"
    english = probe(await studio.download(first["en-nova"]["sample_url"], "en.mp3", amy))
    french = probe(await studio.download(first["fr-nova"]["sample_url"], "fr.mp3", amy))
    assert english.first("audio") is not None
    assert 1.0 < english.duration < 8.0
    assert 1.0 < french.duration < 8.0
    samples = sorted((studio.tmp / "media" / "voices").rglob("*.mp3"))
    assert len(samples) == 36
    stamps = [p.stat().st_mtime_ns for p in samples]
    # Listed again: the same files, not spoken again.
    again = await studio.http.get("/api/v1/voices", headers=amy.headers)
    assert [v["sample_url"].split("?")[0] for v in again.json()["data"]["voices"]] == [
        v["sample_url"].split("?")[0] for v in voices
    ]
    assert [p.stat().st_mtime_ns for p in samples] == stamps


@pytest.mark.parametrize(
    ("params", "ids"),
    [
        ({"language": "en-US", "gender": "male"}, {"en-echo", "en-fable", "en-onyx"}),
        ({"language": "de", "search": "F4"}, {"de-shimmer"}),
        ({"search": "british"}, {"en-fable"}),
        ({"gender": "child"}, set()),
        ({"category": "studio"}, set()),
    ],
)
async def test_voices_filter(studio: Studio, params: dict[str, str], ids: set[str]) -> None:
    amy = await studio.register("amy")
    r = await studio.http.get("/api/v1/voices", headers=amy.headers, params=params)
    assert r.status_code == 200, r.text
    assert {v["id"] for v in r.json()["data"]["voices"]} == ids


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"language": "xx-YY"}, "language: unknown 'xx-YY'; use one of en, fr"),
        ({"gender": "robot"}, "gender"),
        ({"category": "gold"}, "category"),
    ],
)
async def test_bad_voice_queries_are_422(
    studio: Studio, params: dict[str, str], fragment: str
) -> None:
    amy = await studio.register("amy")
    r = await studio.http.get("/api/v1/voices", headers=amy.headers, params=params)
    assert r.status_code == 422
    assert fragment in r.json()["detail"]


async def test_a_voiceover_is_spoken_as_a_job_and_kept(studio: Studio) -> None:
    amy = await studio.register("amy")
    r = await studio.http.post(
        "/api/v1/voices/generate",
        headers=amy.headers,
        json={
            "voice_id": "en-onyx",
            "text": "Welcome to our product demonstration",
            "speed": 1.0,
            "pitch": 1.0,
            "volume": 1.0,
        },
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    info = probe(await studio.download(data["audio_url"], "voiceover.mp3", amy))
    assert info.duration == pytest.approx(data["duration"], abs=0.1)
    assert 1.0 < info.duration < 6.0
    status = await studio.http.get(f"/api/v1/ai/jobs/{data['job_id']}/status", headers=amy.headers)
    assert (status.json()["status"], status.json()["result"]["voice_id"]) == ("completed", "onyx")
    library = await studio.http.get(
        "/api/v1/audio/library", headers=amy.headers, params={"type": "my"}
    )
    assert [e["id"] for e in library.json()["data"]["audio"]] == [data["library_id"]]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"voice_id": "en-US-Neural2-A", "text": "Hi"}, "voice_id: unknown voice"),
        ({"voice_id": "en-nova", "text": "Hi", "language": "de"}, "speaks 'en', not 'de'"),
        ({"voice_id": "nova", "text": "Hi", "volume": 0.5}, "volume: only 1.0"),
        ({"voice_id": "nova", "text": "Hi", "speed": 3}, "speed"),
        ({"voice_id": "nova", "text": " "}, "text is empty"),
        ({"voice_id": "nova"}, "text"),
    ],
)
async def test_bad_voiceovers_are_422_and_queue_nothing(
    studio: Studio, body: dict[str, Any], fragment: str
) -> None:
    amy = await studio.register("amy")
    r = await studio.http.post("/api/v1/voices/generate", headers=amy.headers, json=body)
    assert r.status_code == 422, r.text
    assert fragment in r.json()["detail"]
    assert (await studio.jobs(), await studio.queued()) == (0, 0)
