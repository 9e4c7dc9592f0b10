from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pymongo import AsyncMongoClient

from gateway.app import build_app
from gateway.settings import GatewaySettings
from tests.support import serve

GATEWAY_SERVICE_TOKEN = "gateway-service-token-for-the-tests-0001"


@dataclass
class Gateway:
    url: str
    http: httpx.AsyncClient
    settings: GatewaySettings
    app: FastAPI

    async def count(self) -> int:
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(self.settings.mongodb_url)
        try:
            return await client[self.settings.mongodb_db].projects.count_documents({})
        finally:
            await client.close()


def gateway_settings(mongo_url: str, media_root: Path, **overrides: object) -> GatewaySettings:
    values: dict[str, object] = {
        "mongodb_url": mongo_url,
        "mongodb_db": f"test_{uuid.uuid4().hex[:12]}",
        "media_root": media_root,
        "public_base_url": "http://media.test",
        "access_log": False,
        # Nothing listens on port 9: a service call fails fast instead of reaching a real one.
        "script_service_url": "http://127.0.0.1:9",
        "audio_service_url": "http://127.0.0.1:9",
        "image_service_url": "http://127.0.0.1:9",
        "video_service_url": "http://127.0.0.1:9",
        "service_retries": 1,
        # The session's Redis; queues of this gateway's own, so tests never run others' jobs.
        "redis_url": os.environ.get("REDIS_URL") or os.environ["STUDIO_TEST_REDIS_URL"],
        "queue_prefix": f"t{uuid.uuid4().hex[:12]}",
        # As deployments run: the gateway sends a service token (services without one ignore it).
        "service_tokens": [GATEWAY_SERVICE_TOKEN],
    }
    values.update(overrides)
    return GatewaySettings.model_validate(values)


@pytest.fixture
async def gateway(mongo_url: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = gateway_settings(mongo_url, tmp_path / "media")
    app = build_app(settings)
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as http:
        yield Gateway(url, http, settings, app)
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    await client.drop_database(settings.mongodb_db)
    await client.close()
