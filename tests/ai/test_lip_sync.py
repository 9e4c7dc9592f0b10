"""Seed 001's lip-sync job: only the caller's own stored video and audio, by our bucket or URL;
offline the talking-avatar stand-in makes the video, says so, and it lands in the library."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from runtime.probe import probe
from services.video.ffmpeg import FFMPEG
from tests.ai.conftest import Studio
from tests.auth.conftest import Account


def clip(path: Path) -> bytes:
    subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-f", "lavfi",
         "-i", "testsrc2=size=640x360:rate=25:duration=1.6",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-y", str(path)],
        check=True,
    )  # fmt: skip
    return path.read_bytes()


async def own_inputs(studio: Studio, who: Account) -> tuple[str, str, dict[str, Any]]:
    """(video URL, audio s3 path, the voice result) of a clip and a narration of `who`'s."""
    uploaded = await studio.http.post(
        "/api/v1/media/upload",
        headers=who.headers,
        files={"file": ("clip.mp4", clip(studio.tmp / "clip.mp4"), "video/mp4")},
        data={"title": "Clip", "category": "Business"},
    )
    assert uploaded.status_code in (200, 201), uploaded.text
    video_url = uploaded.json()["data"]["media"]["url"]
    spoken = await studio.http.post(
        "/api/v1/ai/audio-generate",
        headers=who.headers,
        json={"text": "Hello there, welcome to the studio", "voiceId": "alloy"},
    )
    voice = (await studio.finished(spoken.json()["jobId"], who))["result"]
    bucket = studio.state.settings.s3_bucket
    return video_url, f"s3://{bucket}/{voice['audio_key']}", voice


async def test_offline_lip_sync_is_a_talking_avatar_over_the_users_video(studio: Studio) -> None:
    amy = await studio.register("amy")
    video_url, audio_path, voice = await own_inputs(studio, amy)
    r = await studio.http.post(
        "/api/v1/ai/lip-sync",
        headers=amy.headers,
        json={"videoPath": video_url, "audioPath": audio_path, "avatarId": "avatar-ben-casual"},
    )
    assert r.status_code == 202, r.text
    status = await studio.finished(r.json()["jobId"], amy, timeout=180)
    assert (status["status"], status["type"]) == ("completed", "lip_sync"), status
    result = status["result"]
    assert (result["provider"], result["stand_in"]) == ("avatar", True)
    assert "Offline stand-in, not lip-sync" in result["description"]
    info = probe(await studio.download(result["video_url"], "synced.mp4", amy))
    assert info.first("video") is not None
    assert info.first("audio") is not None
    # As long as the narration, the 1.6 s clip looped under it.
    assert info.duration == pytest.approx(voice["duration"], abs=0.15)
    # The stand-in was driven by the narration's own word timings.
    stored = await studio.state.jobs.doc(status["id"])
    assert stored["_params"]["words_key"] == voice["words_key"]
    library = await studio.http.get(
        "/api/v1/media/library", headers=amy.headers, params={"source": "ai", "type": "video"}
    )
    assert [m["id"] for m in library.json()["data"]["media"]] == [result["library_id"]]


async def test_someone_elses_media_is_refused_and_nothing_is_queued(studio: Studio) -> None:
    amy, bob = await studio.register("amy"), await studio.register("bob")
    video_url, audio_path, _ = await own_inputs(studio, amy)
    jobs_before = await studio.jobs()
    cases = [
        ({"videoPath": video_url, "audioPath": audio_path}, bob, "videoPath names no stored file"),
        (
            {
                "videoPath": video_url,
                "audioPath": "s3://other-bucket/" + audio_path.split("/", 3)[3],
            },
            amy,
            "audioPath must name one of your stored files",
        ),
        (
            {"videoPath": video_url.replace("127.0.0.1", "localhost"), "audioPath": audio_path},
            amy,
            "videoPath must name one of your stored files",
        ),
        (
            {"videoPath": video_url, "audioPath": audio_path, "avatarId": "avatar-nobody"},
            amy,
            "avatarId: unknown avatar 'avatar-nobody'; use one of avatar-amy-casual",
        ),
        (
            {"videoPath": video_url, "audioPath": "file:///etc/passwd"},
            amy,
            "audioPath must name one of your stored files",
        ),
    ]
    for body, who, detail in cases:
        r = await studio.http.post("/api/v1/ai/lip-sync", headers=who.headers, json=body)
        assert r.status_code == 422, (body, r.text)
        assert detail in r.json()["detail"]
    assert (await studio.jobs(), await studio.queued()) == (jobs_before, 0)
