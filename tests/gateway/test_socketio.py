"""Live events: Socket.IO at /socket.io/ (credentials, rooms, events published through Redis by
a worker or another replica) and the Server-Sent Events stream of one job."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import socketio
from pymongo import AsyncMongoClient

from contracts.jobs import Job, JobKind
from gateway.app import build_app
from gateway.clock import now_iso
from gateway.jobs.events import JobEvents, project_room
from gateway.settings import GatewaySettings
from gateway.state import GatewayState
from tests.auth.conftest import Account, AuthGateway, auth_settings
from tests.gateway.conftest import Gateway, gateway_settings
from tests.support import serve

WAIT = 10
# How long a client that must not receive an event waits for it.
QUIET = 1.0


class Client:
    """A Socket.IO client (python-socketio, as seed 002's socket.io client) recording events."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.received: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.refusal: Any = None
        self.sio.on("*", self._record)
        self.sio.on("connect_error", self._refused)

    async def _record(self, event: str, data: Any) -> None:
        await self.received.put((event, data))

    async def _refused(self, data: Any) -> None:
        self.refusal = data

    async def join(self, project_id: str) -> Any:
        return await self.sio.call("join", {"project_id": project_id}, timeout=WAIT)

    async def next(self) -> tuple[str, Any]:
        return await asyncio.wait_for(self.received.get(), WAIT)


@contextlib.asynccontextmanager
async def connected(url: str, **options: Any) -> AsyncIterator[Client]:
    client = Client()
    options.setdefault("transports", ["websocket"])
    await client.sio.connect(url, wait_timeout=WAIT, **options)
    try:
        yield client
    finally:
        await client.sio.disconnect()


async def refusal(url: str, **options: Any) -> str:
    client = Client()
    options.setdefault("transports", ["websocket"])
    try:
        await client.sio.connect(url, wait_timeout=WAIT, **options)
    except socketio.exceptions.ConnectionError:
        message: str = client.refusal["message"]
        return message
    await client.sio.disconnect()
    raise AssertionError("the connection was accepted")


def job_of(project_id: str, kind: JobKind = "render") -> Job:
    stamp = now_iso()
    return Job(
        id=uuid.uuid4().hex,
        project_id=project_id,
        kind=kind,
        status="running",
        stage="encoding",
        percent=42.0,
        createdAt=stamp,
        updatedAt=stamp,
    )


@contextlib.asynccontextmanager
async def worker_events(settings: GatewaySettings) -> AsyncIterator[JobEvents]:
    """What a worker process publishes through: its own JobEvents on the settings' Redis."""
    events = JobEvents(settings)
    try:
        yield events
    finally:
        await events.close()


async def create_project(http: httpx.AsyncClient, headers: dict[str, str] | None = None) -> str:
    r = await http.post("/projects", json={"title": "Live"}, headers=headers)
    assert r.status_code == 201, r.text
    project_id: str = r.json()["id"]
    return project_id


# --- local mode --------------------------------------------------------------------------------


async def test_a_joined_client_receives_what_a_worker_publishes(gateway: Gateway) -> None:
    project_id = await create_project(gateway.http)
    # Default transports: long polling first, then the WebSocket upgrade, as browsers do.
    async with connected(gateway.url, transports=None) as client:
        assert await client.join(project_id) == {"ok": True}
        async with worker_events(gateway.settings) as events:
            job = job_of(project_id)
            await events.publish(job)
            assert await client.next() == ("job:progress", job.model_dump(mode="json"))
            assert (await client.next())[0] == "video:regeneration:progress"
            await events.publish(job.model_copy(update={"status": "done", "percent": 100.0}))
            assert [(await client.next())[0] for _ in range(2)] == ["job:done", "video:regenerated"]
        assert await client.sio.call("leave", {"project_id": project_id}, timeout=WAIT) == {
            "ok": True
        }
        async with worker_events(gateway.settings) as events:
            await events.publish(job_of(project_id, kind="subtitles"))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(client.received.get(), QUIET)
            raise AssertionError("an event arrived after leaving the room")


async def test_join_answers_what_went_wrong(gateway: Gateway) -> None:
    async with connected(gateway.url) as client:
        assert await client.join("no-such-project") == {
            "ok": False,
            "detail": "Project not found: no-such-project",
        }
        assert await client.sio.call("join", {}, timeout=WAIT) == {
            "ok": False,
            "detail": "project_id is required",
        }
        unknown = await client.sio.call("scene:delete", {"project_id": "x"}, timeout=WAIT)
        assert unknown == {
            "ok": False,
            "detail": "Unknown event 'scene:delete'; this server handles: join, layer:update,"
            " layers:reorder, leave, scene:update",
        }


async def test_a_replica_delivers_what_another_one_emits(mongo_url: str, tmp_path: Path) -> None:
    settings = gateway_settings(mongo_url, tmp_path / "media")
    a, b = build_app(settings), build_app(settings)
    async with serve(a) as url_a, serve(b) as url_b, httpx.AsyncClient(base_url=url_a) as http:
        project_id = await create_project(http)
        async with connected(url_a) as on_a, connected(url_b) as on_b:
            assert await on_a.join(project_id) == {"ok": True}
            assert await on_b.join(project_id) == {"ok": True}
            payload = {"project_id": project_id, "percent": 7}
            await a.state.live.sio.emit("job:progress", payload, room=project_room(project_id))
            assert await on_b.next() == ("job:progress", payload)
            assert await on_a.next() == ("job:progress", payload)
    await drop(mongo_url, settings)


async def drop(mongo_url: str, settings: GatewaySettings) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    await client.drop_database(settings.mongodb_db)
    await client.close()


# --- auth mode ---------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def auth_gateway(mongo_url: str, media: Path) -> AsyncIterator[AuthGateway]:
    settings = auth_settings(mongo_url, media)
    app = build_app(settings)
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        yield AuthGateway(url, http, settings, app)
    await drop(mongo_url, settings)


async def test_auth_mode_refuses_missing_and_bad_credentials(
    mongo_url: str, tmp_path: Path
) -> None:
    async with auth_gateway(mongo_url, tmp_path / "media") as gw:
        assert (await refusal(gw.url)).startswith("Authentication required")
        assert "token" in (await refusal(gw.url, auth={"token": "not-a-jwt"})).lower()
        assert await refusal(gw.url, auth={"token": 42}) == "auth.token must be a string"
        unknown_key = "sk_" + "0" * 40
        assert await refusal(gw.url, auth={"api_key": unknown_key}) == "Invalid or revoked API key"
        assert await refusal(gw.url, headers={"Authorization": "Basic abc"}) == (
            "Authorization must be 'Bearer <token or API key>'"
        )


async def test_a_user_joins_only_projects_they_may_read(mongo_url: str, tmp_path: Path) -> None:
    async with auth_gateway(mongo_url, tmp_path / "media") as gw:
        alice, bob = await gw.register("alice"), await gw.register("bob")
        mine = await create_project(gw.http, alice.headers)
        theirs = await create_project(gw.http, bob.headers)
        async with connected(gw.url, auth={"token": alice.access}) as client:
            assert await client.join(mine) == {"ok": True}
            assert await client.join(theirs) == {
                "ok": False,
                "detail": f"Project not found: {theirs}",
            }
            async with worker_events(gw.settings) as events:
                await events.publish(job_of(theirs, kind="subtitles"))
                await events.publish(job_of(mine, kind="subtitles"))
            # Published in that order: had the first reached this client, it would come first.
            event, data = await client.next()
            assert (event, data["project_id"]) == ("job:progress", mine)
        # The header works as well as the payload.
        async with connected(gw.url, headers=bob.headers) as client:
            assert await client.join(theirs) == {"ok": True}


async def test_a_revoked_token_opens_no_further_room(mongo_url: str, tmp_path: Path) -> None:
    async with auth_gateway(mongo_url, tmp_path / "media") as gw:
        alice = await gw.register("alice")
        project_id = await create_project(gw.http, alice.headers)
        async with connected(gw.url, auth={"token": alice.access}) as client:
            r = await gw.http.post("/api/v1/auth/logout", headers=alice.headers, json={})
            assert r.status_code in (200, 204), r.text
            await asyncio.sleep(gw.settings.auth_revocation_poll_seconds * 3)
            assert await client.join(project_id) == {"ok": False, "detail": "Access token revoked"}


async def test_an_api_key_connects(mongo_url: str, tmp_path: Path) -> None:
    async with auth_gateway(mongo_url, tmp_path / "media") as gw:
        admin: Account = await gw.admin()
        r = await gw.http.post("/api/v1/api-keys", json={"name": "live"}, headers=admin.headers)
        assert r.status_code == 201, r.text
        key = r.json()["key"]
        project_id = await create_project(gw.http, {"X-API-Key": key})
        async with connected(gw.url, auth={"api_key": key}) as client:
            assert await client.join(project_id) == {"ok": True}
        async with connected(gw.url, headers={"X-API-Key": key}) as client:
            assert await client.join(project_id) == {"ok": True}


# --- Server-Sent Events ------------------------------------------------------------------------


async def test_job_events_stream_until_the_job_ends(mongo_url: str, tmp_path: Path) -> None:
    settings = gateway_settings(mongo_url, tmp_path / "media")
    app = build_app(settings)
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=WAIT) as http:
        project_id = await create_project(http)
        state: GatewayState = app.state.gateway
        job_id = state.jobs.new_id()
        await state.jobs.create(
            job_id,
            project_id,
            "render",
            owner=None,
            stages=["render"],
            params={},
            queue=f"{settings.queue_prefix}.jobs",
            priority=0,
        )
        events: list[tuple[str, dict[str, Any]]] = []
        async with http.stream("GET", f"/api/v1/jobs/{job_id}/events") as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            name = ""
            async for line in r.aiter_lines():
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    events.append((name, orjson.loads(line.removeprefix("data: "))))
                    if len(events) == 1:
                        await state.jobs.set(job_id, status="done", stage="done", percent=100.0)
        assert [name for name, _ in events] == ["job:progress", "job:done"]
        assert events[0][1]["status"] == "queued"
        assert events[1][1]["id"] == job_id
        assert events[1][1]["percent"] == 100.0
    await drop(mongo_url, settings)
