"""A gateway for tests: its settings, the handle tests hold, and one app per test module that
every test finds as freshly started.

Building and starting the app costs far more than a test of one route, so a module shares one
app; before each test `reset` puts back what a fresh start leaves: the database holds only what
start-up wrote (the roles, a bootstrap admin; collections and their indexes stay, so the app's
handles and indexes remain valid, on nx-27017 and on MongoDB alike), no message waits in the
gateway's queues, the media folder is empty, no credential, revocation or mail is cached, and
the library's stock shelf has not yet checked (or failed to render) its stock entries.
"""

from __future__ import annotations

import contextlib
import copy
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from gateway.app import build_app
from gateway.auth.mail import MemoryMailSender
from gateway.auth.service import Accounts
from gateway.jobs.queue import KOMBU_SEP, PRIORITY_STEPS
from gateway.library.stock import StockShelf
from gateway.settings import GatewaySettings
from gateway.state import GatewayState
from tests.support.servers import serve

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


Documents = dict[str, list[dict[str, Any]]]


def _database(app: FastAPI) -> AsyncDatabase[dict[str, Any]]:
    state: GatewayState = app.state.gateway
    return state.db.db


async def _collections(db: AsyncDatabase[dict[str, Any]]) -> list[str]:
    return [name for name in await db.list_collection_names() if not name.startswith("system.")]


async def started_state(app: FastAPI) -> Documents:
    """Every document the started app has written: what `reset` restores."""
    db = _database(app)
    return {name: [doc async for doc in db[name].find({})] for name in await _collections(db)}


async def _purge_queues(state: GatewayState) -> None:
    for queue in (state.queue.jobs_queue, state.queue.images_queue):
        names = [queue] + [f"{queue}{KOMBU_SEP}{step}" for step in PRIORITY_STEPS[1:]]
        await state.queue.redis.delete(*names)


def _empty_folder(root: Path) -> None:
    if root.exists():
        for entry in root.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()


def _forget_credentials(accounts: Accounts) -> None:
    accounts.cache.clear()
    revocations = accounts.revocations
    revocations.tokens.clear()
    revocations.families.clear()
    revocations.users.clear()
    revocations.seen_until = 0.0
    if isinstance(accounts.mail, MemoryMailSender):
        accounts.mail.outbox.clear()


def _forget_stock(stock: StockShelf) -> None:
    # The stock entries were in the emptied library: the next listing renders them again.
    stock.complete.clear()
    stock.failed_at.clear()


async def reset(app: FastAPI, started: Documents) -> None:
    """Make the running app look freshly started (see the module's docstring)."""
    db = _database(app)
    for name in await _collections(db):
        await db[name].delete_many({})
        if documents := started.get(name):
            await db[name].insert_many(copy.deepcopy(documents))
    state: GatewayState = app.state.gateway
    await _purge_queues(state)
    _empty_folder(state.settings.media_root)
    _forget_credentials(app.state.accounts)
    _forget_stock(state.stock)


async def drop_database(mongo_url: str, name: str) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    await client.drop_database(name)
    await client.close()


@dataclass
class SharedGateway:
    """One started app that the tests of a module take turns on, each after a `reset`."""

    url: str
    settings: GatewaySettings
    app: FastAPI
    started: Documents

    async def reset(self) -> None:
        await reset(self.app, self.started)


@contextlib.asynccontextmanager
async def shared_gateway(settings: GatewaySettings) -> AsyncIterator[SharedGateway]:
    """Build and serve the gateway; its database is dropped when it stops."""
    app = build_app(settings)
    try:
        async with serve(app) as url:
            yield SharedGateway(url, settings, app, await started_state(app))
    finally:
        await drop_database(settings.mongodb_url, settings.mongodb_db)
