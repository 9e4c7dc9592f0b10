"""A gateway with the real video service (which ingests uploads) over one media folder."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pymongo import AsyncMongoClient

from gateway.app import build_app as build_gateway
from gateway.state import GatewayState
from services.image.app import build_app as build_image
from services.image.settings import ImageSettings
from services.video.app import build_app as build_video
from services.video.settings import VideoSettings
from tests.auth.conftest import auth_settings
from tests.gateway.conftest import gateway_settings
from tests.support import serve


@dataclass
class Library:
    http: httpx.AsyncClient
    app: FastAPI
    media: Path

    @property
    def state(self) -> GatewayState:
        state: GatewayState = self.app.state.gateway
        return state

    def files(self, under: str = "") -> list[str]:
        """Every file in storage (or under one prefix), as keys."""
        root = self.media / under
        return sorted(str(p.relative_to(self.media)) for p in root.rglob("*") if p.is_file())

    async def count(self, collection: str) -> int:
        answer = await self.state.db.db.command("count", collection, query={})
        return int(answer["n"])

    async def assert_nothing_stored(self) -> None:
        assert self.files() == []
        for collection in ("library", "media"):
            assert await self.count(collection) == 0, collection
        assert await self.state.library.used_bytes("local") == 0

    async def upload(
        self,
        route: str,
        data: bytes,
        filename: str,
        content_type: str = "application/octet-stream",
        headers: dict[str, str] | None = None,
        **fields: str,
    ) -> httpx.Response:
        return await self.http.post(
            f"/api/v1/{route}/upload",
            files={"file": (filename, data, content_type)},
            data=fields,
            headers=headers,
        )


Factory = Callable[..., AbstractAsyncContextManager[Library]]


@pytest.fixture
async def make_library(mongo_url: str, tmp_path: Path) -> AsyncIterator[Factory]:
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)
    databases: list[str] = []

    @asynccontextmanager
    async def make(
        *, auth: bool = False, image: bool = False, **overrides: Any
    ) -> AsyncIterator[Library]:
        storage = {"media_root": media, "log_level": "WARNING"}
        video = VideoSettings.model_validate(
            {**storage, "video_cache_dir": tmp_path / "cache", "video_temp_dir": tmp_path / "work"}
        )
        async with AsyncExitStack() as stack:
            urls = {"video_service_url": await stack.enter_async_context(serve(build_video(video)))}
            if image:
                image_app = build_image(ImageSettings.model_validate(storage))
                urls["image_service_url"] = await stack.enter_async_context(serve(image_app))
            values = {**urls, **overrides}
            build = auth_settings if auth else gateway_settings
            settings = build(mongo_url, media, **values)
            databases.append(settings.mongodb_db)
            app = build_gateway(settings)
            url = await stack.enter_async_context(serve(app))
            http = await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=120))
            yield Library(http, app, media)

    yield make
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    for name in databases:
        await client.drop_database(name)
    await client.close()


@pytest.fixture
async def lib(make_library: Factory) -> AsyncIterator[Library]:
    async with make_library() as library:
        yield library
