"""A channel with auto_publish: the pipeline's render is followed by a publish stage that
uploads the video at the next slot of the channel's publish_schedule."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx

from tests.gateway.conftest import Gateway
from tests.support import job_worker
from tests.youtube.conftest import VIDEO_BYTES, connect_as, state_of
from tests.youtube.google import VIDEO_ID, FakeGoogle

VIDEO_KEY = "videos/auto1/video.mp4"
THUMB_KEY = "videos/auto1/thumb.jpg"


def next_nine_utc(now: datetime) -> str:
    slot = now.replace(hour=9, minute=0, second=0, microsecond=0)
    if slot < now + timedelta(minutes=15):
        slot += timedelta(days=1)
    return slot.strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_a_generated_video_is_published_on_the_channels_schedule(
    yt: Gateway, google: FakeGoogle
) -> None:
    state = state_of(yt)
    renders: list[dict[str, object]] = []

    async def render(request: httpx.Request) -> httpx.Response:
        renders.append(json.loads(request.content))
        await state.storage.put_bytes(VIDEO_KEY, VIDEO_BYTES, "video/mp4")
        await state.storage.put_bytes(THUMB_KEY, b"\xff\xd8\xff", "image/jpeg")
        return httpx.Response(
            200,
            json={
                "render_id": "r",
                "video_key": VIDEO_KEY,
                "thumbnail_key": THUMB_KEY,
                "duration": 10.0,
                "width": 720,
                "height": 1280,
                "fps": 30,
                "size_bytes": len(VIDEO_BYTES),
                "render_seconds": 1.0,
                "segments_encoded": 1,
                "segments_reused": 0,
                "scenes": [],
            },
        )

    google.mock.post("http://127.0.0.1:9/render").mock(side_effect=render)
    google.mock.get(url__startswith="http://127.0.0.1:9/renders/").respond(404)

    made = await yt.http.post(
        "/api/v1/channels",
        json={
            "name": "Stoic Mornings",
            "auto_publish": True,
            "aspect": "9:16",
            "publish_schedule": {"times": ["09:00"], "timezone": "UTC"},
        },
    )
    cid = made.json()["id"]
    await connect_as(yt, google, await yt.http.post(f"/api/v1/channels/{cid}/connect"))
    accepted = await yt.http.post(
        "/api/v1/videos/generate", json={"topic": "Marcus Aurelius at dawn", "channel_id": cid}
    )
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert body["job"]["stages"] == ["script", "audio", "images", "render", "publish"]
    # As if the script, audio and images stages had run (their services are not under test).
    await state.projects.update(
        body["video_id"],
        {
            "images": [{"prompt": "dawn", "url": state.media_url("images/auto1/0.png")}],
            "audio_key": "audio/auto1/narration.mp3",
            "status": "images_ready",
        },
    )
    await state.jobs.set(body["job_id"], _next="render")
    with job_worker(yt.settings, concurrency=1):
        for _ in range(400):
            job = (await yt.http.get(f"/jobs/{body['job_id']}")).json()
            if job["status"] in ("done", "failed"):
                break
            await asyncio.sleep(0.05)
    assert job["status"] == "done", job
    assert renders[0]["aspect"] == "9:16"  # the channel's default reached the render
    expected = next_nine_utc(datetime.now(UTC))
    [session] = google.sessions.values()
    assert bytes(session.received) == VIDEO_BYTES
    assert session.metadata["status"] == {
        "privacyStatus": "private",
        "publishAt": expected,
        "selfDeclaredMadeForKids": False,
    }
    assert session.metadata["snippet"]["title"] == "Marcus Aurelius at dawn"
    project = (await yt.http.get(f"/projects/{body['video_id']}")).json()
    assert project["status"] == "scheduled_for_publish"
    assert project["youtube_video_id"] == VIDEO_ID
    assert project["youtube_scheduled_publish_at"] == expected
    assert project["video_url"].endswith(VIDEO_KEY)
    stats = (await yt.http.get(f"/api/v1/channels/{cid}/stats")).json()
    assert (stats["total_videos"], stats["published_videos"]) == (1, 1)
