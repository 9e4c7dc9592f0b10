from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from gateway.app import build_app
from gateway.settings import GatewaySettings
from gateway.state import GatewayState
from tests.auth.conftest import AuthGateway, auth_settings
from tests.gateway.conftest import Gateway, gateway_settings
from tests.support import job_worker, serve
from tests.youtube.google import FakeGoogle, fake_google, query_of

APP = "http://app.test"
TOKEN_KEY = "k" * 40
# Two chunks and a half: the upload takes several PUTs.
CHUNK = 256 * 1024
VIDEO_BYTES = os.urandom(2 * CHUNK + 1000)


def youtube_settings(mongo_url: str, media: Path, **overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "youtube_client_id": "client-id.apps.googleusercontent.com",
        "youtube_client_secret": "client-secret",
        "youtube_app_url": APP,
        "youtube_token_keys": {"y1": TOKEN_KEY},
        "youtube_chunk_bytes": CHUNK,
        "youtube_upload_wait_seconds": 60,
    }
    values.update(overrides)
    return gateway_settings(mongo_url, media, **values)


def state_of(gateway: Gateway) -> GatewayState:
    state: GatewayState = gateway.app.state.gateway
    return state


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    yield from fake_google()


@pytest.fixture
async def yt(mongo_url: str, tmp_path: Path, google: FakeGoogle) -> AsyncIterator[Gateway]:
    settings = youtube_settings(mongo_url, tmp_path / "media")
    app = build_app(settings)
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=60) as http:
        yield Gateway(url, http, settings, app)
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    await client.drop_database(settings.mongodb_db)
    await client.close()


@pytest.fixture
def worker(yt: Gateway) -> Iterator[None]:
    with job_worker(yt.settings, concurrency=2):
        yield


async def connect(
    gateway: Gateway, google: FakeGoogle, headers: dict[str, str] | None = None
) -> httpx.Response:
    """The browser's round trip: the app's auth URL, Google's consent, the callback."""
    answer = await gateway.http.get("/auth/url", headers=headers)
    assert answer.status_code == 200, answer.text
    state = query_of(answer.json()["auth_url"])["state"]
    return await gateway.http.get(
        "/api/v1/youtube/oauth/callback", params={"code": google.code, "state": state}
    )


async def ready_project(gateway: Gateway, **fields: Any) -> dict[str, Any]:
    """A rendered project: its MP4 and thumbnail in the gateway's storage."""
    state = state_of(gateway)
    await state.storage.put_bytes("videos/r1/final.mp4", VIDEO_BYTES, "video/mp4")
    await state.storage.put_bytes("videos/r1/thumb.jpg", b"\xff\xd8\xff thumbnail", "image/jpeg")
    body = {
        "title": "Morning habits of the Stoics",
        "status": "video_ready",
        "video_url": state.media_url("videos/r1/final.mp4"),
        "thumbnail_path": state.media_url("videos/r1/thumb.jpg"),
        "keywords": "stoics, mornings",
        **fields,
    }
    created = await gateway.http.post("/projects", json=body)
    assert created.status_code == 201, created.text
    project: dict[str, Any] = created.json()
    return project


@pytest.fixture
async def auth_yt(mongo_url: str, tmp_path: Path, google: FakeGoogle) -> AsyncIterator[AuthGateway]:
    """Auth required, with the YouTube settings: users, tiers, another user's 404s."""
    yt_values = youtube_settings(mongo_url, tmp_path / "media").model_dump(
        include={name for name in GatewaySettings.model_fields if name.startswith("youtube_")}
    )
    settings = auth_settings(mongo_url, tmp_path / "media", **yt_values)
    app = build_app(settings)
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=60) as http:
        yield AuthGateway(url, http, settings, app)
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    await client.drop_database(settings.mongodb_db)
    await client.close()


async def connect_as(
    gateway: AuthGateway | Gateway, google: FakeGoogle, start: httpx.Response
) -> httpx.Response:
    """Finish a flow whose authorization URL `start` answered (the browser's round trip)."""
    assert start.status_code == 200, start.text
    state = query_of(start.json()["auth_url"])["state"]
    return await gateway.http.get(
        "/api/v1/youtube/oauth/callback", params={"code": google.code, "state": state}
    )
