"""An edited video rendered end to end: the gateway builds a timeline from the scenes and their
enabled layers, a worker sends it to the real video service, and the output is probed and its
pixels checked (a visible overlay is drawn, a hidden one is not)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import pytest
from PIL import Image

from gateway.app import build_app as build_gateway
from runtime.probe import probe
from services.video.app import build_app as build_video
from services.video.settings import VideoSettings
from tests.gateway.conftest import gateway_settings
from tests.support import free_port, job_worker, serve

SIDE = 720  # 720p at 1:1
BLUE, RED, GREEN = (20, 40, 200), (230, 20, 20), (20, 220, 20)


@dataclass
class Stack:
    http: httpx.AsyncClient
    media: Path
    base: str

    def picture(self, colour: tuple[int, int, int], size: int) -> str:
        """A stored picture of one colour, as the gateway's media URL."""
        key = f"images/{uuid.uuid4()}/image.png"
        path = self.media / key
        path.parent.mkdir(parents=True)
        Image.new("RGB", (size, size), colour).save(path)
        return f"{self.base}/media/{key}"


@pytest.fixture
async def stack(mongo_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    media = tmp_path / "media"
    async with AsyncExitStack() as stack:
        video = build_video(VideoSettings.model_validate({"media_root": media}))
        video_url = await stack.enter_async_context(serve(video))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        settings = gateway_settings(
            mongo_url, media, video_service_url=video_url, public_base_url=base
        )
        url = await stack.enter_async_context(serve(build_gateway(settings), port))
        stack.enter_context(job_worker(settings))
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=60))
        yield Stack(http, media, base)


def frame_at(path: Path, seconds: float) -> np.ndarray:
    with av.open(str(path)) as container:
        frames = [
            (abs(float(frame.time or 0) - seconds), frame.to_ndarray(format="rgb24"))
            for frame in container.decode(video=0)
        ]
    return min(frames, key=lambda pair: pair[0])[1].astype(np.int16)


async def wait_for(http: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    for _ in range(600):
        job: dict[str, Any] = (await http.get(f"/api/v1/jobs/{job_id}")).json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
        await asyncio.sleep(0.2)
    raise AssertionError(f"job {job_id} did not end")


def close_to(pixel: np.ndarray, colour: tuple[int, int, int]) -> bool:
    return bool(np.abs(pixel - np.array(colour)).max() < 40)


async def test_the_render_draws_the_enabled_layers_in_the_asked_format(stack: Stack) -> None:
    http = stack.http
    sections = [
        {"narration": "One.", "image_prompt": "a"},
        {"narration": "Two.", "image_prompt": "b"},
    ]
    body = {
        "title": "Edited",
        "script_sections": sections,
        "images": [{"url": stack.picture(BLUE, 320)} for _ in sections],
        "video_template_path": "basic_fade",
        "fps": 24,
    }
    video_id = (await http.post("/projects", json=body)).json()["id"]
    scenes = (await http.get(f"/api/v1/videos/{video_id}/scenes")).json()["data"]["scenes"]
    for scene in scenes:
        r = await http.put(
            f"/api/v1/videos/{video_id}/scenes/{scene['id']}", json={"duration": 1.5}
        )
        assert r.status_code == 200, r.text
    first = scenes[0]["id"]

    def overlay(name: str, url: str, x: float) -> dict[str, object]:
        return {
            "type": "media",
            "name": name,
            "properties": {"media_url": url, "position": {"x": x, "y": 50}, "scale": 0.3},
        }

    red = overlay("Red", stack.picture(RED, 64), 25)
    green = overlay("Green", stack.picture(GREEN, 64), 75)
    for layer in (red, green):
        assert (await http.post(f"/api/v1/scenes/{first}/layers", json=layer)).status_code == 201
    hidden = (await http.get(f"/api/v1/videos/{video_id}/scenes")).json()["data"]["scenes"][0]
    green_id = next(x["id"] for x in hidden["layers"] if x["name"] == "Green")
    await http.put(f"/api/v1/layers/{green_id}/toggle-visibility", json={"enabled": False})

    r = await http.post(
        f"/api/v1/videos/{video_id}/render",
        json={"quality": "720p", "aspect_ratio": "1:1", "format": "webm"},
    )
    assert r.status_code == 202, r.text
    job = await wait_for(http, r.json()["data"]["job_id"])
    assert job["status"] == "done", job

    project = (await http.get(f"/projects/{video_id}")).json()
    assert project["status"] == "video_ready"
    assert project["video_key"].endswith(".webm")
    path = stack.media / project["video_key"]
    info = await asyncio.to_thread(probe, path)
    stream = info.first("video")
    assert stream is not None
    assert (stream.codec, stream.width, stream.height) == ("vp9", SIDE, SIDE)
    assert abs(info.duration - 3.0) < 0.1

    frame = await asyncio.to_thread(frame_at, path, 0.75)
    middle = SIDE // 2
    assert close_to(frame[middle, SIDE // 4], RED)  # the enabled overlay, left of centre
    assert close_to(frame[middle, 3 * SIDE // 4], BLUE)  # the hidden one is not drawn
    later = await asyncio.to_thread(frame_at, path, 2.25)
    assert close_to(later[middle, SIDE // 4], BLUE)  # scene 2 has no layers

    status = (await http.get(f"/api/v1/videos/{video_id}/regeneration-status")).json()["data"]
    assert (status["status"], status["progress"], status["current_scene"]) == ("completed", 100, 2)
    assert status["estimated_time_remaining"] == 0

    # A regeneration renders again with the last options; its estimate comes from that render.
    r = await http.post(f"/api/v1/videos/{video_id}/regenerate", json={"scenes": [first]})
    assert r.status_code == 202, r.text
    assert isinstance(r.json()["data"]["estimated_time"], int)
    assert (await wait_for(http, r.json()["data"]["job_id"]))["status"] == "done"
    # The job ends first, then its outcome lands on the project (gateway/jobs/steps.py).
    for _ in range(50):
        again = (await http.get(f"/projects/{video_id}")).json()
        if again["video_key"] != project["video_key"]:
            break
        await asyncio.sleep(0.1)
    assert again["video_key"] != project["video_key"]
    assert again["video_key"].endswith(".webm")
