"""Outgoing webhooks: registration with its address check, signed deliveries a real receiver
verifies with the standardwebhooks library, retries, the delivery log and auto-disable."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from fastapi import FastAPI, Request, Response
from pymongo import AsyncMongoClient
from respx.patterns import M
from standardwebhooks import Webhook

from contracts.webhooks import WebhookEndpointCreate
from gateway.app import build_app
from gateway.auth.principal import Principal
from gateway.credits import reservations
from gateway.state import GatewayState
from gateway.webhooks.delivery import emit, job_ended
from tests.gateway.conftest import Gateway, gateway_settings
from tests.support import job_worker, serve

SERVICES = "http://127.0.0.1:9"


@dataclass
class Receiver:
    """An HTTP endpoint that answers with the next planned status (200 once they run out)."""

    url: str
    plan: list[int] = field(default_factory=list)
    calls: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    app = FastAPI()
    box = Receiver("")

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        status = box.plan.pop(0) if box.plan else 200
        box.calls.append((dict(request.headers), await request.body(), status))
        return Response(f"answered {status}", status_code=status)

    async with serve(app) as url:
        box.url = f"{url}/hook"
        yield box


async def _gateway(mongo_url: str, tmp_path: Path, **overrides: Any) -> AsyncIterator[Gateway]:
    settings = gateway_settings(mongo_url, tmp_path / "media", **overrides)
    app = build_app(settings)
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        yield Gateway(url, http, settings, app)
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    await client.drop_database(settings.mongodb_db)
    await client.close()


@pytest.fixture
async def dev_gateway(mongo_url: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    """Private addresses allowed, as a developer would run it, with quick retries."""
    async for gateway in _gateway(
        mongo_url,
        tmp_path,
        webhook_allow_private=True,
        webhook_backoff_seconds=0.2,
        webhook_max_attempts=4,
        webhook_disable_after=3,
        webhook_timeout_seconds=5,
    ):
        yield gateway


@pytest.fixture
async def strict_gateway(mongo_url: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    async for gateway in _gateway(mongo_url, tmp_path):
        yield gateway


@pytest.fixture
def services() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=SERVICES, assert_all_called=False) as mock:
        mock.route(~M(port=9)).pass_through()
        yield mock


def state_of(gateway: Gateway) -> GatewayState:
    state: GatewayState = gateway.app.state.gateway
    return state


async def register(gateway: Gateway, url: str, events: list[str]) -> dict[str, Any]:
    response = await gateway.http.post(
        "/api/v1/webhooks/endpoints", json={"url": url, "events": events}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def deliveries(gateway: Gateway, endpoint_id: str) -> list[dict[str, Any]]:
    response = await gateway.http.get(f"/api/v1/webhooks/endpoints/{endpoint_id}/deliveries")
    assert response.status_code == 200
    found: list[dict[str, Any]] = response.json()
    return found


async def wait_for(check: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        (
            "http://127.0.0.1:8080/hook",
            "url: 127.0.0.1 resolves to 127.0.0.1, a loopback address; "
            "webhook endpoints must be reachable on the public internet",
        ),
        (
            "http://169.254.169.254/latest/meta-data/",
            "url: 169.254.169.254 resolves to 169.254.169.254, a link-local address; "
            "webhook endpoints must be reachable on the public internet",
        ),
        (
            "https://10.1.2.3/hook",
            "url: 10.1.2.3 resolves to 10.1.2.3, a private address; "
            "webhook endpoints must be reachable on the public internet",
        ),
        (
            "http://[::1]:9000/hook",
            "url: ::1 resolves to ::1, a loopback address; "
            "webhook endpoints must be reachable on the public internet",
        ),
        (
            "http://[::ffff:169.254.169.254]/",
            "url: ::ffff:169.254.169.254 resolves to ::ffff:a9fe:a9fe, a link-local "
            "address; webhook endpoints must be reachable on the public internet",
        ),
        ("ftp://example.com/hook", "url: must start with http:// or https://"),
        ("http://user:pw@example.com/", "url: must not carry a user name or password"),
    ],
)
async def test_endpoints_on_non_public_addresses_are_refused_and_not_stored(
    strict_gateway: Gateway, url: str, detail: str
) -> None:
    response = await strict_gateway.http.post(
        "/api/v1/webhooks/endpoints", json={"url": url, "events": ["job.done"]}
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == detail
    assert (await strict_gateway.http.get("/api/v1/webhooks/endpoints")).json() == []


async def test_a_name_resolving_to_loopback_is_refused(strict_gateway: Gateway) -> None:
    response = await strict_gateway.http.post(
        "/api/v1/webhooks/endpoints",
        json={"url": "http://localhost:3000/x", "events": ["job.done"]},
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("url: localhost resolves to ")
    assert "a loopback address" in detail
    assert await state_of(strict_gateway).webhooks.count_for("local") == 0


async def test_an_unknown_event_is_refused_with_the_valid_ones(strict_gateway: Gateway) -> None:
    response = await strict_gateway.http.post(
        "/api/v1/webhooks/endpoints",
        json={"url": "https://example.com/hook", "events": ["job.exploded"]},
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "events" in detail
    assert "job.done" in detail
    assert "credits.low" in detail
    assert await state_of(strict_gateway).webhooks.count_for("local") == 0


async def test_a_failed_job_is_delivered_signed_to_its_owners_endpoint(
    dev_gateway: Gateway, receiver: Receiver, services: respx.MockRouter
) -> None:
    services.post("/render").respond(500, text="ffmpeg exploded")
    endpoint = await register(dev_gateway, receiver.url, ["job.failed"])
    assert endpoint["secret"].startswith("whsec_")
    listed = (await dev_gateway.http.get("/api/v1/webhooks/endpoints")).json()
    assert [e["id"] for e in listed] == [endpoint["id"]]
    assert "secret" not in listed[0]
    project = (
        await dev_gateway.http.post(
            "/projects",
            json={
                "title": "Tides",
                "script_text": "The sea breathes twice a day.",
                "images": [{"prompt": "a boat", "url": "http://media.test/media/images/a/0.png"}],
                "audio_key": "audio/a/narration.mp3",
            },
        )
    ).json()
    with job_worker(dev_gateway.settings):
        response = await dev_gateway.http.post(f"/video/{project['id']}", json={}, timeout=60)
        assert response.status_code == 502

        async def delivered() -> list[dict[str, Any]]:
            log = await deliveries(dev_gateway, endpoint["id"])
            return [d for d in log if d["status"] == "delivered"]

        await wait_for(delivered)
    headers, body, _ = receiver.calls[0]
    payload = Webhook(endpoint["secret"]).verify(body, headers)
    assert payload["type"] == "job.failed"
    assert payload["data"]["project_id"] == project["id"]
    assert payload["data"]["reason"] == "The video service failed (status 500)"
    log = await deliveries(dev_gateway, endpoint["id"])
    assert [(d["status"], d["event"]) for d in log] == [("delivered", "job.failed")]
    assert log[0]["attempts"][0]["status_code"] == 200


async def test_a_failing_receiver_is_retried_with_backoff_until_it_succeeds(
    dev_gateway: Gateway, receiver: Receiver
) -> None:
    receiver.plan = [500, 503]
    endpoint = await register(dev_gateway, receiver.url, ["video.published"])
    with job_worker(dev_gateway.settings):
        ids = await emit(state_of(dev_gateway), "local", "video.published", {"video_id": "v1"})
        assert len(ids) == 1

        async def delivered() -> list[dict[str, Any]]:
            log = await deliveries(dev_gateway, endpoint["id"])
            return [d for d in log if d["status"] == "delivered"]

        done = await wait_for(delivered)
    attempts = done[0]["attempts"]
    assert [a["status_code"] for a in attempts] == [500, 503, 200]
    assert attempts[0]["error"] == "the endpoint answered 500"
    assert attempts[0]["response"] == "answered 500"
    assert attempts[2]["error"] is None
    # Every try verifies, under the one message id a receiver deduplicates on.
    for headers, body, _ in receiver.calls:
        assert Webhook(endpoint["secret"]).verify(body, headers)["data"] == {"video_id": "v1"}
    assert len({headers["webhook-id"] for headers, _, _ in receiver.calls}) == 1
    after = (await dev_gateway.http.get(f"/api/v1/webhooks/endpoints/{endpoint['id']}")).json()
    assert (after["active"], after["consecutive_failures"]) == (True, 0)


async def test_an_endpoint_is_disabled_after_repeated_failures(
    dev_gateway: Gateway, receiver: Receiver
) -> None:
    receiver.plan = [500] * 10
    endpoint = await register(dev_gateway, receiver.url, ["credits.low"])
    state = state_of(dev_gateway)
    with job_worker(dev_gateway.settings):
        await emit(state, "local", "credits.low", {"balance": 3})

        async def disabled() -> dict[str, Any] | None:
            url = f"/api/v1/webhooks/endpoints/{endpoint['id']}"
            body: dict[str, Any] = (await dev_gateway.http.get(url)).json()
            log = await deliveries(dev_gateway, endpoint["id"])
            return body if not body["active"] and log[0]["status"] == "failed" else None

        after = await wait_for(disabled)
    assert after["consecutive_failures"] == 3
    assert after["disabled_reason"] == "disabled after 3 failed deliveries in a row"
    log = await deliveries(dev_gateway, endpoint["id"])
    assert [a["status_code"] for a in log[0]["attempts"]] == [500, 500, 500]
    # A disabled endpoint is no longer sent anything.
    assert await emit(state, "local", "credits.low", {"balance": 1}) == []
    assert len(receiver.calls) == 3


async def test_another_users_endpoint_is_not_found(dev_gateway: Gateway) -> None:
    state = state_of(dev_gateway)
    other = await state.webhooks.create(
        "someone-else", WebhookEndpointCreate(url="https://example.com/h", events=["job.done"])
    )
    for method in ("GET", "DELETE"):
        response = await dev_gateway.http.request(method, f"/api/v1/webhooks/endpoints/{other.id}")
        assert response.status_code == 404
        assert response.json()["detail"] == f"Webhook endpoint not found: {other.id}"
    assert await state.webhooks.count_for("someone-else") == 1


async def test_a_published_video_and_a_low_balance_are_delivered(
    dev_gateway: Gateway, receiver: Receiver
) -> None:
    state = state_of(dev_gateway)
    owner = "user-with-hooks"
    events_wanted = ["video.published", "credits.low"]
    hooks = await state.webhooks.create(
        owner, WebhookEndpointCreate(url=receiver.url, events=events_wanted)
    )
    # A publish job that ended with its video on YouTube, as gateway/youtube/upload.py leaves it.
    await state.jobs.create(
        "pubjob1", "proj1", "publish", owner=owner, stages=["publish"], params={},
        queue=state.queue.jobs_queue, priority=0,
    )  # fmt: skip
    result = {"youtube_video_id": "yt123", "youtube_url": "https://youtu.be/yt123"}
    await state.jobs.set("pubjob1", status="done", result=result)
    await job_ended(state, "pubjob1")
    # A render costs one credit: of the reservations down to 1 left, only the one that leaves
    # 2 crosses the threshold (CREDITS_LOW_THRESHOLD, 2) and sends the event.
    await state.db.db.users.insert_one({"_id": owner, "email": "h@example.com", "tier": "free"})
    await state.credits.post(owner, "grant-1", "grant", 4, "Starting credits")
    balance, _ = await state.credits.balance(owner)
    principal = Principal(owner, "user", "free", "token")
    for n in range(balance - 1):
        await reservations.reserve(state, principal, f"job{n}", "render", ["render"])
    assert (await state.credits.balance(owner))[0] == 1

    async def both() -> list[tuple[dict[str, str], bytes, int]] | None:
        return receiver.calls if len(receiver.calls) >= 2 else None

    with job_worker(dev_gateway.settings):  # deliveries are Celery tasks
        await wait_for(both)
        await asyncio.sleep(1)  # time for a third, wrong, delivery to arrive
    events = {}
    for headers, body, _ in receiver.calls:
        payload = Webhook(hooks.secret).verify(body, headers)
        events[payload["type"]] = payload["data"]
    assert len(receiver.calls) == 2
    assert events["video.published"] == {"project_id": "proj1", **result}
    assert events["credits.low"] == {"balance": 2, "below": 2}
