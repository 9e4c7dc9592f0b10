"""Rendering and regenerating an edited video: what is accepted and queued, what is refused
with nothing queued, and the regeneration status in seed 002's shape."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from respx.patterns import M

from tests.gateway.conftest import Gateway
from tests.gateway.test_editor import SECTIONS, SEED_LAYERS, add, scenes_of
from tests.gateway.test_jobs_api import job_count, queued_messages
from tests.support import job_worker


def media(kind: str, name: str) -> str:
    return f"http://media.test/media/{kind}/{uuid.uuid4()}/{name}"


async def renderable(gateway: Gateway) -> str:
    images = [{"prompt": s["image_prompt"], "url": media("images", "image.png")} for s in SECTIONS]
    body = {
        "title": "Edited",
        "script_sections": SECTIONS,
        "images": images,
        "audio_path": media("audio", "narration.mp3"),
        "duration": 20,
    }
    r = await gateway.http.post("/projects", json=body)
    assert r.status_code == 201, r.text
    video_id: str = r.json()["id"]
    return video_id


async def nothing_queued(gateway: Gateway, video_id: str) -> None:
    assert (await job_count(gateway), await queued_messages(gateway)) == (0, 0)
    project = (await gateway.http.get(f"/projects/{video_id}")).json()
    assert project["status"] == "draft"
    assert "video_job_id" not in project


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"aspect_ratio": "21:9"}, "aspect_ratio: Input should be '16:9', '9:16', '1:1' or '4:5'"),
        ({"format": "avi"}, "format: Input should be 'mp4' or 'webm'"),
        ({"quality": "480p"}, "quality: Input should be '720p', '1080p', '1440p' or '2160p'"),
        ({"fit": "stretch"}, "fit: Input should be 'cover' or 'contain'"),
        ({"speed": 2}, "speed: Extra inputs are not permitted"),
    ],
)
async def test_a_bad_render_request_is_422_and_queues_nothing(
    gateway: Gateway, body: dict[str, Any], detail: str
) -> None:
    video_id = await renderable(gateway)
    r = await gateway.http.post(f"/api/v1/videos/{video_id}/render", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == detail
    await nothing_queued(gateway, video_id)


async def test_a_layer_the_renderer_cannot_fetch_is_refused_before_queueing(
    gateway: Gateway,
) -> None:
    video_id = await renderable(gateway)
    scene = (await scenes_of(gateway.http, video_id))[0]
    await add(gateway.http, scene["id"], SEED_LAYERS[4])  # its picture is on cdn.example.com
    r = await gateway.http.post(f"/api/v1/videos/{video_id}/render", json={})
    assert r.status_code == 422
    assert r.json()["detail"] == (
        "Scene 1, layer 'Product Hero Image': properties.media_url must be a media URL of this"
        " server (upload the file first) to be rendered"
    )
    await nothing_queued(gateway, video_id)
    # Hidden, it is left out of the render, so the video renders.
    layer = (await scenes_of(gateway.http, video_id))[0]["layers"][0]
    await gateway.http.put(
        f"/api/v1/layers/{layer['id']}/toggle-visibility", json={"enabled": False}
    )
    r = await gateway.http.post(f"/api/v1/videos/{video_id}/render", json={})
    assert r.status_code == 202, r.text


async def test_a_video_without_images_cannot_render(gateway: Gateway) -> None:
    r = await gateway.http.post("/projects", json={"title": "Bare", "script_sections": SECTIONS})
    video_id = r.json()["id"]
    r = await gateway.http.post(f"/api/v1/videos/{video_id}/render", json={})
    assert (r.status_code, r.json()["detail"]) == (
        422,
        "Scene 1 has no image yet: generate the images first",
    )
    await nothing_queued(gateway, video_id)


async def test_a_render_is_queued_with_its_place_and_one_at_a_time(gateway: Gateway) -> None:
    video_id = await renderable(gateway)
    r = await gateway.http.post(
        f"/api/v1/videos/{video_id}/render",
        json={"quality": "720p", "aspect_ratio": "9:16", "format": "webm"},
    )
    assert r.status_code == 202, r.text
    data = r.json()["data"]
    assert r.json()["success"] is True
    assert (data["queue_position"], data["estimated_time"]) == (0, None)
    job = (await gateway.http.get(f"/api/v1/jobs/{data['job_id']}")).json()
    assert (job["kind"], job["status"], job["project_id"]) == ("render", "queued", video_id)
    assert await queued_messages(gateway) == 1
    project = (await gateway.http.get(f"/projects/{video_id}")).json()
    assert (project["status"], project["video_job_id"]) == ("video_processing", data["job_id"])
    again = await gateway.http.post(f"/api/v1/videos/{video_id}/regenerate", json={})
    assert again.status_code == 409
    assert again.json()["detail"].startswith(f"Project {video_id} already has a render queued")
    status = await gateway.http.get(f"/api/v1/videos/{video_id}/regeneration-status")
    assert status.json() == {
        "success": True,
        "data": {
            "job_id": data["job_id"],
            "status": "queued",
            "progress": 0,
            "current_scene": 0,
            "total_scenes": 2,
            "estimated_time_remaining": None,
            "reason": None,
        },
    }


async def test_regenerate_names_scenes_of_this_video(gateway: Gateway) -> None:
    video_id = await renderable(gateway)
    ids = [s["id"] for s in await scenes_of(gateway.http, video_id)]
    r = await gateway.http.post(
        f"/api/v1/videos/{video_id}/regenerate", json={"scenes": [ids[0], "other.123"]}
    )
    assert r.status_code == 422
    assert r.json()["detail"] == (
        f"scenes: other.123 is not a scene of video {video_id}; its scenes are: {', '.join(ids)}"
    )
    await nothing_queued(gateway, video_id)
    r = await gateway.http.post(
        f"/api/v1/videos/{video_id}/regenerate",
        json={"scenes": [ids[1]], "full_regeneration": False},
    )
    assert r.status_code == 202, r.text
    body = r.json()
    assert (body["message"], body["data"]["status"]) == ("Video regeneration started", "processing")


async def test_no_status_before_any_render(gateway: Gateway) -> None:
    video_id = await renderable(gateway)
    r = await gateway.http.get(f"/api/v1/videos/{video_id}/regeneration-status")
    assert (r.status_code, r.json()["detail"]) == (
        404,
        f"Video {video_id} has not been rendered or regenerated yet",
    )
    r = await gateway.http.get("/api/v1/videos/nope/regeneration-status")
    assert (r.status_code, r.json()["detail"]) == (404, "Project not found: nope")


@pytest.fixture
def video_service() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url="http://127.0.0.1:9", assert_all_called=False) as mock:
        mock.route(~M(port=9)).pass_through()
        mock.get(url__regex=r"/renders/").respond(404, json={"detail": "Render not found"})
        yield mock


def rendered_answer(render_id: str) -> dict[str, Any]:
    video = f"videos/{uuid.uuid4()}"
    return {
        "render_id": render_id, "video_key": f"{video}/video.mp4",
        "thumbnail_key": f"{video}/thumb.jpg", "duration": 20.0, "width": 720, "height": 1280,
        "fps": 30, "size_bytes": 1000, "render_seconds": 1.0, "segments_encoded": 2,
        "segments_reused": 0,
        "scenes": [{"start": 0, "end": 12}, {"start": 12, "end": 20}],
    }  # fmt: skip


async def test_the_guides_render_passes_aspect_fit_music_volume_and_scene_lengths(
    gateway: Gateway, video_service: respx.MockRouter
) -> None:
    sent: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        sent.append(body)
        return httpx.Response(200, json=rendered_answer(body["render_id"]))

    video_service.post("/render").mock(side_effect=answer)
    video_id = await renderable(gateway)
    await gateway.http.patch(f"/projects/{video_id}", json={"fit": "contain", "music_volume": 0.2})
    for scene, seconds in zip(await scenes_of(gateway.http, video_id), (12, 8), strict=True):
        await gateway.http.put(
            f"/api/v1/videos/{video_id}/scenes/{scene['id']}", json={"duration": seconds}
        )
    with job_worker(gateway.settings):
        r = await gateway.http.post(f"/projects/{video_id}/generate-video", json={"aspect": "9:16"})
        assert r.status_code == 202, r.text
        for _ in range(300):
            job = (await gateway.http.get(f"/jobs/{r.json()['job_id']}")).json()
            if job["status"] == "done":
                break
            await asyncio.sleep(0.1)
    assert job["status"] == "done", job
    (request,) = sent
    assert (request["aspect"], request["fit"], request["music_volume"]) == ("9:16", "contain", 0.2)
    assert [(s["duration"], s["text"]) for s in request["scenes"]] == [
        (12.0, SECTIONS[0]["narration"]),
        (8.0, SECTIONS[1]["narration"]),
    ]


async def test_a_bad_aspect_on_the_project_is_refused_before_queueing(gateway: Gateway) -> None:
    video_id = await renderable(gateway)
    await gateway.http.patch(f"/projects/{video_id}", json={"aspect": "3:1"})
    r = await gateway.http.post(f"/projects/{video_id}/generate-video", json={})
    assert r.status_code == 422
    assert r.json()["detail"] == "aspect: Input should be '16:9', '9:16', '1:1' or '4:5'"
    assert (await job_count(gateway), await queued_messages(gateway)) == (0, 0)
