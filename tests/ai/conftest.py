"""A gateway in auth-required mode with the real audio, image and video services and an
in-process worker: the user's own AI jobs run end to end."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from gateway.app import build_app as build_gateway
from gateway.state import GatewayState
from services.audio.app import build_app as build_audio
from services.audio.settings import AudioSettings
from services.image.app import build_app as build_image
from services.image.settings import ImageSettings
from services.video.app import build_app as build_video
from services.video.settings import VideoSettings
from tests.auth.conftest import PASSWORD, Account, auth_settings
from tests.support import free_port, job_worker, serve


@dataclass
class Studio:
    http: httpx.AsyncClient
    state: GatewayState
    tmp: Path

    async def register(self, name: str = "user") -> Account:
        email = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
        r = await self.http.post(
            "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "name": name}
        )
        assert r.status_code == 201, r.text
        body = r.json()
        return Account(body["user"]["id"], email, body["access_token"], body["refresh_token"])

    async def finished(self, job_id: str, who: Account, timeout: float = 120) -> dict[str, Any]:
        """The job's seed 001 status once it has ended."""
        async with asyncio.timeout(timeout):
            while True:
                r = await self.http.get(f"/api/v1/ai/jobs/{job_id}/status", headers=who.headers)
                assert r.status_code == 200, r.text
                body: dict[str, Any] = r.json()
                if body["status"] in ("completed", "failed", "cancelled"):
                    return body
                await asyncio.sleep(0.2)

    async def download(self, url: str, name: str, who: Account) -> Path:
        r = await self.http.get(url, headers=who.headers)
        assert r.status_code == 200, (url, r.status_code)
        path = self.tmp / name
        path.write_bytes(r.content)
        return path

    async def jobs(self) -> int:
        return await self.state.jobs.collection.count_documents({})

    async def queued(self) -> int:
        return await self.state.queue.depth(self.state.queue.jobs_queue)


@pytest.fixture
async def studio(mongo_url: str, tmp_path: Path) -> AsyncIterator[Studio]:
    media = tmp_path / "media"
    storage = {"media_root": media}
    video = {**storage, "video_cache_dir": tmp_path / "cache"}
    async with AsyncExitStack() as stack:
        urls = {
            f"{name}_service_url": await stack.enter_async_context(serve(app))
            for name, app in (
                ("audio", build_audio(AudioSettings.model_validate(storage))),
                ("image", build_image(ImageSettings.model_validate(storage))),
                ("video", build_video(VideoSettings.model_validate(video))),
            )
        }
        port = free_port()
        settings = auth_settings(
            mongo_url, media, **urls, service_retries=2, public_base_url=f"http://127.0.0.1:{port}"
        )
        app = build_gateway(settings)
        base = await stack.enter_async_context(serve(app, port))
        stack.enter_context(job_worker(settings, concurrency=2))
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=base, timeout=60))
        yield Studio(http, app.state.gateway, tmp_path)
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    await client.drop_database(settings.mongodb_db)
    await client.close()
