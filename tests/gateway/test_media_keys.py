"""A media key that could leave the storage root is refused by the gateway with the video
service's own 400, before any job is recorded, the project is touched or the service is called."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import respx
from pymongo import AsyncMongoClient
from respx.patterns import M

from tests.gateway.conftest import Gateway

SERVICES = "http://127.0.0.1:9"
READY = {
    "title": "Tides",
    "images": [{"prompt": "a boat", "url": "http://media.test/media/images/a/0.png"}],
    "audio_key": "audio/a/narration.mp3",
    "audio_words_key": "audio/a/words.json",
    "source_video_key": "videos/a/video.mp4",
}


@pytest.fixture(autouse=True)
def services() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=SERVICES, assert_all_called=False) as mock:
        mock.route(~M(port=9)).pass_through()
        yield mock


async def jobs(gateway: Gateway) -> int:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(gateway.settings.mongodb_url)
    try:
        return await client[gateway.settings.mongodb_db].jobs.count_documents({})
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("path", "fields", "body", "detail"),
    [
        ("/video/{id}", {}, {"subtitles": {"file_key": "/etc/passwd"}},
         "subtitles.file_key: Invalid media key: absolute paths are not allowed"),
        ("/projects/{id}/generate-video", {}, {"subtitles": {"file_key": "/etc/passwd"}},
         "subtitles.file_key: Invalid media key: absolute paths are not allowed"),
        ("/video/{id}", {}, {"subtitles": {"words_key": "../../etc/shadow"}},
         "subtitles.words_key: Invalid media key: bad segment '..'"),
        ("/video/{id}", {"audio_key": "../narration.mp3"}, {},
         "narration_key: Invalid media key: bad segment '..'"),
        ("/projects/{id}/generate-video", {"audio_words_key": "/root/words.json"}, {},
         "words_key: Invalid media key: absolute paths are not allowed"),
        ("/subtitles/{id}", {"source_video_key": "/etc/passwd"}, {},
         "video_key: Invalid media key: absolute paths are not allowed"),
        ("/subtitles/{id}", {"audio_words_key": "a/../../b.json"}, {"async_processing": True},
         "subtitles.words_key: Invalid media key: bad segment '..'"),
    ],
)  # fmt: skip
async def test_a_bad_key_is_400_and_nothing_is_recorded(
    gateway: Gateway,
    services: respx.MockRouter,
    path: str,
    fields: dict[str, Any],
    body: dict[str, Any],
    detail: str,
) -> None:
    catch_all = services.route().respond(500)
    project = (await gateway.http.post("/projects", json={**READY, **fields})).json()
    response = await gateway.http.post(path.format(id=project["id"]), json=body)
    assert response.status_code == 400, response.text
    assert response.json()["detail"] == detail
    assert (await gateway.http.get(f"/projects/{project['id']}")).json() == project
    assert await jobs(gateway) == 0
    assert catch_all.call_count == 0
