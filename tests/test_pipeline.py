"""The whole flow of the app through the gateway, with the four real services over HTTP.

A new project, then the contract page's calls in the app's order: script, audio, subtitles,
images, video, burned subtitles; and the guide's job-based render. Every media URL is fetched
back through the gateway with a byte range and probed.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import build_app as build_gateway
from runtime.probe import probe
from services.audio.app import build_app as build_audio
from services.audio.settings import AudioSettings
from services.image.app import build_app as build_image
from services.image.settings import ImageSettings
from services.script.app import build_app as build_script
from services.script.settings import ScriptSettings
from services.video.app import build_app as build_video
from services.video.settings import VideoSettings
from studio.demo import DemoOptions, pipeline
from tests.gateway.conftest import gateway_settings
from tests.support import free_port, job_worker, serve

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@dataclass
class Stack:
    http: httpx.AsyncClient
    media: Path
    tmp: Path

    async def fetch(self, url: str, name: str) -> Path:
        """Download a media URL through the gateway in two ranged halves, as a player would."""
        head = await self.http.head(url)
        assert head.status_code == 200
        size = int(head.headers["content-length"])
        first = await self.http.get(url, headers={"Range": f"bytes=0-{size // 2 - 1}"})
        rest = await self.http.get(url, headers={"Range": f"bytes={size // 2}-"})
        assert (first.status_code, rest.status_code) == (206, 206)
        path = self.tmp / name
        path.write_bytes(first.content + rest.content)
        assert path.stat().st_size == size
        return path


@pytest.fixture
async def stack(mongo_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    media = tmp_path / "media"
    storage = {"media_root": media}
    async with AsyncExitStack() as stack:
        urls = {
            f"{name}_service_url": await stack.enter_async_context(serve(app))
            for name, app in (
                ("script", build_script(ScriptSettings.model_validate(storage))),
                ("audio", build_audio(AudioSettings.model_validate(storage))),
                ("image", build_image(ImageSettings.model_validate(storage))),
                ("video", build_video(VideoSettings.model_validate(storage))),
            )
        }
        port = free_port()
        settings = gateway_settings(
            mongo_url, media, **urls, service_retries=2, public_base_url=f"http://127.0.0.1:{port}"
        )
        base = await stack.enter_async_context(serve(build_gateway(settings), port))
        stack.enter_context(job_worker(settings))
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=base, timeout=300))
        yield Stack(http, media, tmp_path)


async def call(http: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> Any:
    response = await http.request(method, url, **kwargs)
    assert response.status_code in (200, 201, 202), response.text
    return response.json()


async def test_the_apps_flow_ends_in_a_playable_subtitled_video(stack: Stack) -> None:
    http = stack.http
    project = await call(http, "POST", "/projects", json={
        "title": "Morning habits of the Stoics", "description": "Calm, focus, gratitude",
        "language": "en", "status": "draft", "voice_id": "nova", "nb_section": 2,
        "duration": 12, "images": [], "resolution": "720p", "fps": 24,
        "image_style": "watercolor", "background_music": "soft", "type_video": "STOICISM",
    })  # fmt: skip
    pid = project["id"]

    scripted = await call(http, "POST", f"/scripts/{pid}", json={
        "title": project["title"], "description": project["description"], "language": "en",
        "type_video": "STOICISM", "nb_section": 2, "keywords": "calm", "video_inspirations": [],
    })  # fmt: skip
    assert scripted["status"] == "script_generated"
    assert scripted["script_text"].strip()
    assert len(scripted["script_sections"]) == 2
    assert [i["url"] for i in scripted["images"]] == [None, None]

    voiced = await call(http, "POST", f"/audios/{pid}", json={
        "script_text": scripted["script_text"], "voice_id": "nova", "audio_speed": 1.1,
        "audio_pitch": 1.0, "language": "en",
    })  # fmt: skip
    assert voiced["status"] == "audio_generated"
    assert voiced["audio_path"].startswith("http://127.0.0.1:")
    audio = probe(await stack.fetch(voiced["audio_path"], "narration.mp3"))
    assert abs(audio.duration - voiced["audio_duration"]) < 0.05

    subs = await call(http, "GET", "/audios/generate-subtitle",
                      params={"project_id": pid, "audio_path": voiced["audio_path"]})  # fmt: skip
    assert subs["success"] is True
    srt = (await http.get(subs["subtitle_path"])).text
    cue_ends = re.findall(r"--> (\d\d):(\d\d):(\d\d),(\d{3})", srt)
    last = cue_ends[-1]
    last_end = int(last[0]) * 3600 + int(last[1]) * 60 + int(last[2]) + int(last[3]) / 1000
    assert abs(last_end - audio.duration) < 1.0

    pictured = await call(http, "POST", f"/images/{pid}",
                          json={"images": scripted["images"], "style": "watercolor"})  # fmt: skip
    assert pictured["status"] == "images_ready"
    assert all(i["url"].startswith("http") for i in pictured["images"])
    redrawn = await call(http, "POST", f"/images/{pid}/1",
                         json={"prompt": "a lighthouse at dawn", "style": "sketch"})  # fmt: skip
    assert redrawn["image_url"] != pictured["images"][1]["url"]
    assert (await call(http, "GET", f"/projects/{pid}"))["images"][1]["url"] == redrawn["image_url"]

    rendered = await call(http, "POST", f"/video/{pid}", json={
        "resolution": "720p", "fps": 24, "video_template_path": "ken_burns",
        "background_music": "soft",
    })  # fmt: skip
    assert rendered["status"] == "video_ready"
    video = probe(await stack.fetch(rendered["video_url"], "video.mp4"))
    stream = video.first("video")
    assert stream is not None
    assert (stream.width, stream.height, stream.fps) == (1280, 720, 24)
    assert video.first("audio") is not None
    assert abs(video.duration - audio.duration) <= 1 / 24 + 0.03
    assert abs(rendered["duration"] - video.duration) < 0.05
    thumbnail = await http.get(rendered["thumbnail_path"])
    assert thumbnail.headers["content-type"] == "image/jpeg"
    job = await call(http, "GET", f"/jobs/{rendered['job_id']}")
    assert (job["status"], job["percent"]) == ("done", 100.0)

    subtitled = await call(http, "POST", f"/subtitles/{pid}", json={
        "style_name": "tiktok_highlight", "position_name": "bottom", "async_processing": False,
    })  # fmt: skip
    assert subtitled["status"] == "video_subtitled"
    assert subtitled["video_url"] != rendered["video_url"]
    burned = probe(await stack.fetch(subtitled["video_url"], "subtitled.mp4"))
    assert abs(burned.duration - video.duration) < 0.1
    stored = await call(http, "GET", f"/projects/{pid}")
    assert stored["video_url"] == subtitled["video_url"]


async def test_catalogs_the_app_reads(stack: Stack) -> None:
    styles = await call(stack.http, "GET", "/subtitles/styles")
    assert "tiktok_highlight" in {s["name"] for s in styles["styles"]}
    assert all(isinstance(s["description"], str) for s in styles["styles"])
    positions = await call(stack.http, "GET", "/subtitles/positions")
    assert {"top", "middle", "bottom"} <= {p["name"] for p in positions["positions"]}
    templates = await call(stack.http, "GET", "/video-template")
    ids = {t["absolute_path"] for t in templates["templates"]}
    assert {"basic_fade", "slide_left", "slide_right", "zoom_in", "zoom_out", "ken_burns"} <= ids


async def test_temp_generates_without_storing_anything(stack: Stack) -> None:
    script = await call(stack.http, "POST", "/scripts/temp", json={
        "title": "Unsaved idea", "description": "", "language": "fr", "type_video": "",
        "nb_section": 1, "keywords": "", "video_inspirations": [],
    })  # fmt: skip
    assert script["script_text"]
    audio = await call(stack.http, "POST", "/audios/temp", json={
        "script_text": script["script_text"], "voice_id": "echo", "audio_speed": 1.0,
        "audio_pitch": 1.0, "language": "fr",
    })  # fmt: skip
    assert audio["audio_path"].endswith(".mp3")
    subs = await call(stack.http, "GET", "/audios/generate-subtitle",
                      params={"project_id": "temp", "audio_path": audio["audio_path"]})  # fmt: skip
    assert subs["subtitle_path"].endswith(".srt")
    image = await call(stack.http, "POST", "/images/temp/0", json={"prompt": "a quiet harbour"})
    assert image["image_url"].endswith(".png")
    assert await call(stack.http, "GET", "/projects") == []
    refused = await stack.http.post("/video/temp", json={})
    assert refused.status_code == 422
    assert refused.json()["detail"] == (
        "Save the project first: rendering needs its stored images and audio"
    )


async def test_the_guides_render_is_a_job_that_completes(stack: Stack) -> None:
    http = stack.http
    pid = (await call(http, "POST", "/projects", json={
        "title": "Tiny", "language": "en", "nb_section": 1, "duration": 6,
        "resolution": "720p", "fps": 24,
    }))["id"]  # fmt: skip
    await call(http, "POST", f"/projects/{pid}/generate-script", json={"use_case": "tutorial"})
    await call(http, "POST", f"/projects/{pid}/generate-audio", json={})
    await call(http, "POST", f"/projects/{pid}/generate-images", json={"style": "flat_design"})
    started = await http.post(f"/projects/{pid}/generate-video",
                              json={"template": "zoom_in", "background_music": "none"})  # fmt: skip
    assert started.status_code == 202
    job_url = started.headers["location"]
    for _ in range(600):
        job = await call(http, "GET", job_url)
        if job["status"] in ("done", "failed"):
            break
        await asyncio.sleep(0.1)
    assert job["status"] == "done", job
    project = await call(http, "GET", f"/projects/{pid}")
    assert project["status"] == "video_ready"
    assert project["video_url"] == job["result"]["video_url"]


async def test_rendering_before_the_media_exists_is_a_clear_422(stack: Stack) -> None:
    pid = (await call(stack.http, "POST", "/projects", json={"title": "empty"}))["id"]
    response = await stack.http.post(f"/video/{pid}", json={})
    assert response.status_code == 422
    assert "no images" in response.json()["detail"]
    project = await call(stack.http, "GET", f"/projects/{pid}")
    assert project["status"] == "draft"


async def test_studio_demo_goes_from_topic_to_a_subtitled_mp4(stack: Stack) -> None:
    out = stack.tmp / "demo.mp4"
    options = DemoOptions("Why rivers bend", "es", 2, 10, "720p", "dissolve", out)
    path, url = await pipeline(stack.http, options)
    assert url.endswith("/video.mp4")
    video = probe(path)
    assert video.first("video") is not None
    assert video.first("audio") is not None
    assert video.duration > 5
