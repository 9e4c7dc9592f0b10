"""Seed 001's AI jobs over real HTTP: queued as 202, run by a worker against the real services,
followed at /api/v1/ai/jobs/{id}/status, their files the caller's own."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.probe import probe
from tests.ai.conftest import Studio


async def test_a_voiceover_job_speaks_the_text_in_the_users_library(studio: Studio) -> None:
    amy = await studio.register("amy")
    r = await studio.http.post(
        "/api/v1/ai/audio-generate",
        headers=amy.headers,
        json={"text": "Welcome to AI Film Studio", "voiceId": "en-nova", "language": "en"},
    )
    assert r.status_code == 202, r.text
    accepted = r.json()
    assert (accepted["status"], accepted["projectId"]) == ("queued", None)
    status = await studio.finished(accepted["jobId"], amy)
    assert status["status"] == "completed", status
    assert (status["id"], status["type"], status["progress"]) == (
        accepted["jobId"],
        "audio_generation",
        100,
    )
    assert status["startedAt"]
    assert status["createdAt"] <= status["startedAt"]
    result = status["result"]
    assert (result["voice_id"], result["language"]) == ("nova", "en")
    info = probe(await studio.download(result["audio_url"], "voice.mp3", amy))
    assert info.first("audio") is not None
    assert info.duration == pytest.approx(result["duration"], abs=0.1)
    assert 1.0 < info.duration < 5.0
    library = await studio.http.get(
        "/api/v1/audio/library", headers=amy.headers, params={"type": "my"}
    )
    (entry,) = library.json()["data"]["audio"]
    assert (entry["id"], entry["title"], entry["duration"]) == (
        result["library_id"],
        "Welcome to AI Film Studio",
        result["duration"],
    )
    assert entry["url"].split("?")[0] == result["audio_url"].split("?")[0]
    # The file is recorded as Amy's, with no project.
    owner = await studio.state.media_owners.collection.find_one({"_id": result["audio_key"]})
    assert owner is not None
    assert (owner["owner"], owner["project"]) == (amy.id, None)


async def test_music_follows_the_prompt_and_says_it_is_synthesised(studio: Studio) -> None:
    amy = await studio.register("amy")
    r = await studio.http.post(
        "/api/v1/ai/music-generate",
        headers=amy.headers,
        json={"prompt": "Upbeat electronic music", "duration": 6, "genre": "electronic"},
    )
    assert r.status_code == 202, r.text
    status = await studio.finished(r.json()["jobId"], amy)
    assert (status["status"], status["type"]) == ("completed", "music_generation"), status
    result = status["result"]
    assert (result["mood"], result["provider"], result["synthesised"]) == (
        "upbeat",
        "synth",
        True,
    )
    assert "Synthesised offline" in result["description"]
    library = await studio.http.get(
        "/api/v1/audio/library",
        headers=amy.headers,
        params={"type": "my", "category": "music", "mood": "upbeat"},
    )
    (entry,) = library.json()["data"]["audio"]
    assert (entry["id"], entry["artist"]) == (result["library_id"], "Synthesised (offline)")
    info = probe(await studio.download(result["audio_url"], "music.mp3", amy))
    audio = info.first("audio")
    assert audio is not None
    assert audio.channels == 2
    assert info.duration == pytest.approx(6.0, abs=0.15)


async def test_another_users_job_is_404_and_theirs_alone_to_cancel(studio: Studio) -> None:
    amy, bob = await studio.register("amy"), await studio.register("bob")
    r = await studio.http.post(
        "/api/v1/ai/music-generate",
        headers=amy.headers,
        json={"prompt": "Calm piano", "duration": 5},
    )
    job_id = r.json()["jobId"]
    for path in (f"/api/v1/ai/jobs/{job_id}/status", f"/api/v1/jobs/{job_id}"):
        seen = await studio.http.get(path, headers=bob.headers)
        assert seen.status_code == 404, path
        assert seen.json()["detail"] == f"Job not found: {job_id}"
    refused = await studio.http.delete(f"/api/v1/jobs/{job_id}", headers=bob.headers)
    assert refused.status_code == 404
    listed = await studio.http.get("/api/v1/jobs", headers=bob.headers)
    assert listed.json()["total"] == 0
    assert (await studio.finished(job_id, amy))["status"] == "completed"


async def test_a_project_named_must_be_the_callers(studio: Studio) -> None:
    amy, bob = await studio.register("amy"), await studio.register("bob")
    made = await studio.http.post("/api/v1/projects", headers=amy.headers, json={"title": "Ad"})
    assert made.status_code == 201, made.text
    project_id = made.json()["id"]
    body = {"projectId": project_id, "prompt": "Cinematic trailer", "duration": 5}
    refused = await studio.http.post("/api/v1/ai/music-generate", headers=bob.headers, json=body)
    assert refused.status_code == 404
    assert (await studio.jobs(), await studio.queued()) == (0, 0)
    r = await studio.http.post("/api/v1/ai/music-generate", headers=amy.headers, json=body)
    assert r.status_code == 202
    status = await studio.finished(r.json()["jobId"], amy)
    assert (status["projectId"], status["result"]["mood"]) == (project_id, "cinematic")
    # Named, not written: the project was never locked nor changed by the job.
    project = (await studio.http.get(f"/api/v1/projects/{project_id}", headers=amy.headers)).json()
    assert project.get("video_job_id") is None


@pytest.mark.parametrize(
    ("path", "body", "fragment"),
    [
        ("audio-generate", {"text": "Hi", "voiceId": "male-young-energetic"}, "voiceId: unknown"),
        ("audio-generate", {"text": "Hi", "voiceId": "fr-nova", "language": "en"}, "speaks 'fr'"),
        ("audio-generate", {"text": "   "}, "text is empty"),
        ("audio-generate", {"text": "Hi", "language": "xx"}, "language"),
        ("music-generate", {"prompt": "Jazz", "duration": 301}, "duration"),
        ("music-generate", {"prompt": "Jazz", "genre": "polka"}, "genre"),
        ("music-generate", {"prompt": "Jazz", "tempo": 3}, "tempo"),
        ("lip-sync", {"videoPath": "s3://bucket/video.mp4", "audioPath": "x"}, "videoPath"),
        (
            "lip-sync",
            {"videoPath": "http://169.254.169.254/latest", "audioPath": "x"},
            "videoPath must name one of your stored files",
        ),
    ],
)
async def test_bad_ai_requests_are_422_and_queue_nothing(
    studio: Studio, path: str, body: dict[str, Any], fragment: str
) -> None:
    amy = await studio.register("amy")
    r = await studio.http.post(f"/api/v1/ai/{path}", headers=amy.headers, json=body)
    assert r.status_code == 422, r.text
    assert fragment in r.json()["detail"]
    assert (await studio.jobs(), await studio.queued()) == (0, 0)
