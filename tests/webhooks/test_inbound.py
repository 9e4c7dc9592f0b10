"""Signed calls into the gateway: n8n's HMAC with a timestamp and a replay window, YouTube's
PubSubHubbub push (X-Hub-Signature) and its hub.challenge verification."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from pymongo import AsyncMongoClient

from gateway.app import build_app
from gateway.state import GatewayState
from gateway.webhooks.inbound import hub_signature, n8n_signature
from tests.auth.conftest import auth_settings
from tests.gateway.conftest import Gateway
from tests.support import serve

N8N_SECRET = "n8n-shared-secret-for-the-tests"
HUB_SECRET = "hub-secret-for-the-tests"
FEED = b"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns="http://www.w3.org/2005/Atom">
 <title>YouTube video feed</title>
 <entry>
  <id>yt:video:VID12345678</id>
  <yt:videoId>VID12345678</yt:videoId>
  <yt:channelId>UCchannel</yt:channelId>
  <title>Morning habits of the Stoics</title>
  <published>2026-12-01T10:00:00+00:00</published>
  <updated>2026-12-01T10:05:00+00:00</updated>
 </entry>
</feed>"""


@pytest.fixture
async def gw(mongo_url: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    """Auth required: these routes must answer callers that have no account, by signature."""
    settings = auth_settings(
        mongo_url,
        tmp_path / "media",
        webhook_n8n_secret=N8N_SECRET,
        webhook_youtube_hub_secret=HUB_SECRET,
        webhook_replay_window_seconds=60,
    )
    app = build_app(settings)
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        yield Gateway(url, http, settings, app)
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    await client.drop_database(settings.mongodb_db)
    await client.close()


def state_of(gateway: Gateway) -> GatewayState:
    state: GatewayState = gateway.app.state.gateway
    return state


async def events(gateway: Gateway) -> int:
    db = state_of(gateway).db.db
    answer = await db.command("count", "webhook_events", query={})
    return int(answer["n"])


def signed(body: bytes, at: float | None = None, secret: str = N8N_SECRET) -> dict[str, str]:
    stamp = str(int(at if at is not None else time.time()))
    return {
        "content-type": "application/json",
        "x-webhook-timestamp": stamp,
        "x-webhook-signature": n8n_signature(secret, stamp, body),
    }


async def test_a_signed_n8n_call_is_recorded_once_and_its_replay_refused(gw: Gateway) -> None:
    body = json.dumps({"project_id": "p1", "cost": 12.5}).encode()
    headers = signed(body)
    first = await gw.http.post("/api/v1/webhooks/n8n/cost-alert", content=body, headers=headers)
    assert first.status_code == 200, first.text
    assert (first.json()["received"], first.json()["event"]) == (True, "cost-alert")
    stored = await state_of(gw).db.db["webhook_events"].find_one({"_id": first.json()["id"]})
    assert stored is not None
    assert stored["payload"] == {"project_id": "p1", "cost": 12.5}
    again = await gw.http.post("/api/v1/webhooks/n8n/cost-alert", content=body, headers=headers)
    assert again.status_code == 401
    assert again.json()["detail"] == "Replayed signature: this call was already received"
    assert await events(gw) == 1


@pytest.mark.parametrize(
    ("make_headers", "detail"),
    [
        (
            dict,
            "Missing signature: send X-Webhook-Timestamp (Unix seconds) and "
            "X-Webhook-Signature (sha256=HMAC-SHA256 of 'timestamp.body')",
        ),
        (lambda: signed(b'{"a": 1}', secret="not-the-secret"), "Invalid signature"),
        (lambda: signed(b'{"a": 2}'), "Invalid signature"),  # signed for another body
        (
            lambda: signed(b'{"a": 1}', at=time.time() - 600),
            "X-Webhook-Timestamp is more than 60 seconds away from the server's time",
        ),
        (
            lambda: {"x-webhook-timestamp": "yesterday", "x-webhook-signature": "sha256=00"},
            "X-Webhook-Timestamp must be Unix seconds",
        ),
    ],
)
async def test_a_bad_n8n_signature_is_401_with_nothing_recorded(
    gw: Gateway, make_headers: Callable[[], dict[str, str]], detail: str
) -> None:
    # Signed when the test runs, not when it is collected: else the timestamp ages past the
    # replay window in a long run and the refusal is for the wrong reason.
    response = await gw.http.post(
        "/api/v1/webhooks/n8n/video-complete", content=b'{"a": 1}', headers=make_headers()
    )
    assert response.status_code == 401
    assert response.json()["detail"] == detail
    assert await events(gw) == 0


async def test_an_unknown_n8n_event_is_422_naming_the_valid_ones(gw: Gateway) -> None:
    body = b"{}"
    response = await gw.http.post("/api/v1/webhooks/n8n/launch", content=body, headers=signed(body))
    assert response.status_code == 422
    assert "video-complete" in response.json()["detail"]
    assert "cost-alert" in response.json()["detail"]
    assert await events(gw) == 0


async def test_a_youtube_push_updates_the_matching_project(gw: Gateway) -> None:
    state = state_of(gw)
    await state.db.projects.insert_one(
        {"_id": "p-yt", "title": "x", "youtube_video_id": "VID12345678"}
    )
    await state.db.projects.insert_one(
        {"_id": "p-other", "title": "y", "youtube_video_id": "OTHER"}
    )
    response = await gw.http.post(
        "/api/v1/webhooks/youtube/callback",
        content=FEED,
        headers={
            "content-type": "application/atom+xml",
            "x-hub-signature": hub_signature(HUB_SECRET, FEED),
        },
    )
    assert response.status_code == 200, response.text
    project = await state.db.projects.find_one({"_id": "p-yt"})
    assert project is not None
    assert (project["youtube_title"], project["youtube_channel_id"]) == (
        "Morning habits of the Stoics",
        "UCchannel",
    )
    assert project["youtube_published_at"] == "2026-12-01T10:00:00+00:00"
    other = await state.db.projects.find_one({"_id": "p-other"})
    assert other is not None
    assert "youtube_title" not in other
    assert await events(gw) == 1


async def test_a_youtube_push_with_a_bad_signature_is_401_and_changes_nothing(gw: Gateway) -> None:
    state = state_of(gw)
    await state.db.projects.insert_one(
        {"_id": "p-yt", "title": "x", "youtube_video_id": "VID12345678"}
    )
    for headers, detail in (
        ({}, "Missing X-Hub-Signature (sha1=HMAC-SHA1 of the body)"),
        ({"x-hub-signature": hub_signature("wrong", FEED)}, "Invalid signature"),
    ):
        response = await gw.http.post(
            "/api/v1/webhooks/youtube/callback", content=FEED, headers=headers
        )
        assert response.status_code == 401
        assert response.json()["detail"] == detail
    project = await state.db.projects.find_one({"_id": "p-yt"})
    assert project is not None
    assert "youtube_title" not in project
    assert await events(gw) == 0


async def test_the_hub_challenge_is_echoed_for_a_youtube_feed(gw: Gateway) -> None:
    topic = "https://www.youtube.com/xml/feeds/videos.xml?channel_id=UCchannel"
    response = await gw.http.get(
        "/api/v1/webhooks/youtube/callback",
        params={"hub.mode": "subscribe", "hub.topic": topic, "hub.challenge": "abc123"},
    )
    assert (response.status_code, response.text) == (200, "abc123")
    bad = await gw.http.get(
        "/api/v1/webhooks/youtube/callback",
        params={"hub.mode": "subscribe", "hub.topic": "https://evil.test/", "hub.challenge": "x"},
    )
    assert bad.status_code == 422
    assert bad.json()["detail"] == "hub.topic: must be a YouTube channel feed URL"


async def test_endpoint_management_still_needs_an_account(gw: Gateway) -> None:
    response = await gw.http.get("/api/v1/webhooks/endpoints")
    assert response.status_code == 401


async def test_without_secrets_every_signed_call_is_refused(mongo_url: str, tmp_path: Path) -> None:
    app = build_app(auth_settings(mongo_url, tmp_path / "media"))
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as http:
        body = b"{}"
        n8n = await http.post(
            "/api/v1/webhooks/n8n/video-complete", content=body, headers=signed(body)
        )
        assert n8n.status_code == 401
        assert n8n.json()["detail"] == (
            "n8n webhooks are not enabled on this server: no shared secret is set"
        )
        push = await http.post(
            "/api/v1/webhooks/youtube/callback",
            content=FEED,
            headers={"x-hub-signature": hub_signature(HUB_SECRET, FEED)},
        )
        assert push.status_code == 401
        assert push.json()["detail"] == (
            "YouTube push notifications are not enabled on this server: no hub secret is set"
        )
        db = app.state.gateway.db.db
        assert (await db.command("count", "webhook_events", query={}))["n"] == 0
        await app.state.gateway.db.client.drop_database(db.name)
