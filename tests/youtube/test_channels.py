"""Channels (seed 003): CRUD per user, limits by tier, a connection to YouTube per channel,
statistics, and the defaults a channel gives the videos generated for it."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.state import GatewayState
from tests.auth.conftest import AuthGateway
from tests.youtube.conftest import APP, connect_as
from tests.youtube.google import FakeGoogle


def state_of(gateway: AuthGateway) -> GatewayState:
    state: GatewayState = gateway.app.state.gateway
    return state


async def channel_count(gateway: AuthGateway) -> int:
    return await state_of(gateway).db.db["channels"].count_documents({})


async def project_count(gateway: AuthGateway) -> int:
    return await state_of(gateway).db.projects.count_documents({})


async def job_count(gateway: AuthGateway) -> int:
    return await state_of(gateway).jobs.collection.count_documents({})


async def test_a_channel_is_its_owners_alone(auth_yt: AuthGateway) -> None:
    owner, other = await auth_yt.register("owner"), await auth_yt.register("other")
    made = await auth_yt.http.post(
        "/api/v1/channels",
        json={"name": "Stoic Mornings", "niche": "philosophy", "language": "fr", "voice": "nova"},
        headers=owner.headers,
    )
    assert made.status_code == 201, made.text
    channel = made.json()
    assert channel["name"] == "Stoic Mornings"
    assert (channel["language"], channel["voice"], channel["auto_publish"]) == ("fr", "nova", False)
    assert (channel["connected"], channel["youtube_channel_id"]) == (False, None)
    cid = channel["id"]

    listed = await auth_yt.http.get("/api/v1/channels", headers=owner.headers)
    assert [c["id"] for c in listed.json()] == [cid]
    assert (await auth_yt.http.get("/api/v1/channels", headers=other.headers)).json() == []
    for method, path, body in (
        ("GET", f"/api/v1/channels/{cid}", None),
        ("PATCH", f"/api/v1/channels/{cid}", {"name": "Mine now"}),
        ("DELETE", f"/api/v1/channels/{cid}", None),
        ("POST", f"/api/v1/channels/{cid}/connect", None),
        ("GET", f"/api/v1/channels/{cid}/stats", None),
    ):
        answer = await auth_yt.http.request(method, path, json=body, headers=other.headers)
        assert answer.status_code == 404, (method, path)
        assert answer.json()["detail"] == f"Channel not found: {cid}"
    assert (await auth_yt.http.get(f"/api/v1/channels/{cid}", headers=owner.headers)).json()[
        "name"
    ] == "Stoic Mornings"

    patched = await auth_yt.http.patch(
        f"/api/v1/channels/{cid}",
        json={
            "niche": "stoicism",
            "publish_schedule": {"times": ["18:30"], "timezone": "Europe/Paris"},
        },
        headers=owner.headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["niche"] == "stoicism"
    assert patched.json()["publish_schedule"]["days"] == [
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
    ]
    deleted = await auth_yt.http.delete(f"/api/v1/channels/{cid}", headers=owner.headers)
    assert deleted.status_code == 204
    assert await channel_count(auth_yt) == 0
    assert (
        await auth_yt.http.get(f"/api/v1/channels/{cid}", headers=owner.headers)
    ).status_code == 404


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"name": ""}, "name"),
        ({"name": "A", "publish_schedule": {"times": ["25:00"]}}, "'25:00' is not a time of day"),
        (
            {"name": "A", "publish_schedule": {"times": ["10:00"], "timezone": "Mars/Olympus"}},
            "unknown time zone 'Mars/Olympus'",
        ),
        ({"name": "A", "aspect": "2:1"}, "aspect"),
        ({"name": "A", "colour": "red"}, "colour"),
    ],
)
async def test_bad_channels_are_422_and_store_nothing(
    auth_yt: AuthGateway, body: dict[str, Any], detail: str
) -> None:
    user = await auth_yt.register()
    answer = await auth_yt.http.post("/api/v1/channels", json=body, headers=user.headers)
    assert answer.status_code == 422
    assert detail in answer.json()["detail"]
    assert await channel_count(auth_yt) == 0


async def test_the_free_tier_has_one_channel(auth_yt: AuthGateway) -> None:
    user = await auth_yt.register()
    first = await auth_yt.http.post("/api/v1/channels", json={"name": "One"}, headers=user.headers)
    assert first.status_code == 201
    second = await auth_yt.http.post("/api/v1/channels", json={"name": "Two"}, headers=user.headers)
    assert second.status_code == 403
    assert second.json()["detail"] == "Your plan (free) allows 1 channel(s); delete one or upgrade"
    assert await channel_count(auth_yt) == 1


async def test_a_channel_connects_with_its_own_grant_and_shows_its_statistics(
    auth_yt: AuthGateway, google: FakeGoogle
) -> None:
    user = await auth_yt.register()
    cid = (
        await auth_yt.http.post("/api/v1/channels", json={"name": "One"}, headers=user.headers)
    ).json()["id"]
    start = await auth_yt.http.post(f"/api/v1/channels/{cid}/connect", headers=user.headers)
    back = await connect_as(auth_yt, google, start)
    # The callback is a browser redirect: it needs no credentials of ours.
    assert back.status_code == 303
    assert back.headers["location"] == f"{APP}/settings?auth=success&channel_id={cid}"
    channel = (await auth_yt.http.get(f"/api/v1/channels/{cid}", headers=user.headers)).json()
    assert (channel["connected"], channel["youtube_channel_id"]) == (True, "UC_test_channel")
    # The user's own connection (the app's) is a different grant.
    status = await auth_yt.http.get("/auth/status", headers=user.headers)
    assert status.json()["is_authenticated"] is False
    stats = await auth_yt.http.get(f"/api/v1/channels/{cid}/stats", headers=user.headers)
    assert stats.status_code == 200
    assert stats.json() == {
        "channel_id": cid,
        "connected": True,
        "youtube_channel_id": "UC_test_channel",
        "total_videos": 0,
        "published_videos": 0,
        "videos_today": 0,
        "daily_video_limit": 3,
        "subscriber_count": 1200,
        "view_count": 98765,
        "video_count": 14,
    }


async def test_the_app_calls_need_credentials_when_auth_is_required(auth_yt: AuthGateway) -> None:
    for path in ("/auth/status", "/auth/url", "/channel/info"):
        answer = await auth_yt.http.get(path)
        assert answer.status_code == 401, path
    user = await auth_yt.register()
    project = await auth_yt.http.post("/projects", json={"title": "mine"}, headers=user.headers)
    other = await auth_yt.register("other")
    upload = await auth_yt.http.post(
        f"/videos/upload/{project.json()['id']}", json={}, headers=other.headers
    )
    assert upload.status_code == 404


async def test_a_channel_fills_the_generation_it_is_named_in(auth_yt: AuthGateway) -> None:
    user = await auth_yt.register()
    cid = (
        await auth_yt.http.post(
            "/api/v1/channels",
            json={
                "name": "Stoic Mornings",
                "language": "fr",
                "voice": "nova",
                "style": "dramatic",
                "image_style": "anime",
                "template": "zoom_in",
                "aspect": "9:16",
                "resolution": "1080p",
            },
            headers=user.headers,
        )
    ).json()["id"]
    answer = await auth_yt.http.post(
        "/api/v1/videos/generate",
        json={"topic": "Marcus Aurelius at dawn", "channel_id": cid, "voice": "onyx"},
        headers=user.headers,
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["job"]["stages"] == ["script", "audio", "images", "render"]
    project = (
        await auth_yt.http.get(f"/projects/{answer.json()['video_id']}", headers=user.headers)
    ).json()
    assert project["language"] == "fr"
    assert project["voice_id"] == "onyx"  # sent, so the channel's default does not apply
    assert (project["style"], project["image_style"]) == ("dramatic", "anime")
    assert (project["video_template_path"], project["aspect"]) == ("zoom_in", "9:16")
    assert (project["resolution"], project["channel_id"]) == ("1080p", cid)


async def test_generation_refusals_for_channels_store_nothing(
    auth_yt: AuthGateway,
) -> None:
    user, other = await auth_yt.register(), await auth_yt.register("other")
    cid = (
        await auth_yt.http.post("/api/v1/channels", json={"name": "One"}, headers=user.headers)
    ).json()["id"]
    cases = [
        (
            user,
            {"topic": "Tides", "auto_publish": True},
            422,
            "auto_publish: name the channel_id of a channel connected to YouTube",
        ),
        (
            user,
            {"topic": "Tides", "channel_id": cid, "auto_publish": True},
            409,
            f"auto_publish: channel {cid} is not connected to YouTube; connect it with "
            f"POST /api/v1/channels/{cid}/connect",
        ),
        (other, {"topic": "Tides", "channel_id": cid}, 404, f"Channel not found: {cid}"),
        (user, {"topic": "Tides", "channel_id": 7}, 404, "Channel not found: 7"),
    ]
    for account, body, status, detail in cases:
        answer = await auth_yt.http.post(
            "/api/v1/videos/generate", json=body, headers=account.headers
        )
        assert answer.status_code == status, body
        assert answer.json()["detail"] == detail
    assert (await project_count(auth_yt), await job_count(auth_yt)) == (0, 0)


async def test_a_channel_generates_at_most_its_daily_limit(auth_yt: AuthGateway) -> None:
    user = await auth_yt.register()
    cid = (
        await auth_yt.http.post("/api/v1/channels", json={"name": "One"}, headers=user.headers)
    ).json()["id"]
    batch = await auth_yt.http.post(
        "/api/v1/videos/generate-batch",
        json={"topics": ["Tides", "Moons", "Stars"], "channel_id": cid},
        headers=user.headers,
    )
    assert batch.status_code == 202, batch.text
    over = await auth_yt.http.post(
        "/api/v1/videos/generate", json={"topic": "Comets", "channel_id": cid}, headers=user.headers
    )
    assert over.status_code == 429
    assert (
        over.json()["detail"]
        == f"Daily video limit of channel {cid} reached: 3 per day on the free plan"
    )
    assert await project_count(auth_yt) == 3
    stats = (await auth_yt.http.get(f"/api/v1/channels/{cid}/stats", headers=user.headers)).json()
    assert (stats["total_videos"], stats["videos_today"]) == (3, 3)


async def test_deleting_an_account_deletes_its_channels_and_youtube_grants(
    auth_yt: AuthGateway, google: FakeGoogle
) -> None:
    user, other = await auth_yt.register(), await auth_yt.register("other")
    cid = (
        await auth_yt.http.post("/api/v1/channels", json={"name": "One"}, headers=user.headers)
    ).json()["id"]
    await connect_as(
        auth_yt,
        google,
        await auth_yt.http.post(f"/api/v1/channels/{cid}/connect", headers=user.headers),
    )
    await connect_as(auth_yt, google, await auth_yt.http.get("/auth/url", headers=user.headers))
    await connect_as(auth_yt, google, await auth_yt.http.get("/auth/url", headers=other.headers))
    tokens = state_of(auth_yt).youtube.tokens.collection
    assert await tokens.count_documents({}) == 3
    deleted = await auth_yt.http.delete("/api/v1/users/me", headers=user.headers)
    assert deleted.status_code == 200, deleted.text
    assert await channel_count(auth_yt) == 0
    assert [doc["user_id"] async for doc in tokens.find({})] == [other.id]
