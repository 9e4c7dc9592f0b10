"""Seed 003's `/api/v1/videos`: the caller's projects as videos, with channel, status and date
filters; get, patch and delete as the project's access allows (another user's answers 404);
and `/videos/{id}/cost`: each step a job ran, with its provider, units and credits, the credit
settled when the job is done and refunded when it fails."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import respx

from tests.auth.conftest import PASSWORD, Account, AuthGateway
from tests.support import job_worker

READY = {
    "title": "Tides",
    "images": [{"prompt": "a boat", "url": "http://media.test/media/images/a/0.png"}],
    "audio_key": "audio/a/narration.mp3",
}
RENDERED = {
    "render_id": "r",
    "video_key": "videos/abc/video.mp4",
    "thumbnail_key": "videos/abc/thumb.jpg",
    "duration": 12.5,
    "width": 1280,
    "height": 720,
    "fps": 30,
    "size_bytes": 123456,
    "render_seconds": 3.2,
    "segments_encoded": 1,
    "segments_reused": 0,
    "scenes": [{"start": 0.0, "end": 12.5}],
}


async def make(gw: AuthGateway, user: Account, **fields: Any) -> dict[str, Any]:
    r = await gw.http.post("/projects", json={"title": "a video", **fields}, headers=user.headers)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def listed(gw: AuthGateway, user: Account, query: str = "") -> dict[str, Any]:
    r = await gw.http.get(f"/api/v1/videos{query}", headers=user.headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_videos_are_the_callers_projects_with_filters(gw: AuthGateway) -> None:
    owner, other = await gw.register("owner"), await gw.register("other")
    one = await make(gw, owner, channel_id="ch-1", status="video_ready")
    two = await make(gw, owner, channel_id="ch-1", status="script_generated")
    three = await make(gw, owner, channel_id="ch-2", status="video_ready")
    await make(gw, other, channel_id="ch-1", status="video_ready")

    everything = await listed(gw, owner)
    assert (everything["total"], everything["page"], everything["limit"]) == (3, 1, 20)
    assert [v["id"] for v in everything["videos"]] == [three["id"], two["id"], one["id"]]
    assert [v["id"] for v in (await listed(gw, owner, "?channel=ch-1"))["videos"]] == [
        two["id"],
        one["id"],
    ]
    ready = await listed(gw, owner, "?status=video_ready&channel=ch-2")
    assert [v["id"] for v in ready["videos"]] == [three["id"]]
    paged = await listed(gw, owner, "?limit=2&page=2")
    assert ([v["id"] for v in paged["videos"]], paged["total"]) == ([one["id"]], 3)

    today = datetime.now(UTC).date()
    tomorrow, yesterday = today + timedelta(days=1), today - timedelta(days=1)
    assert (await listed(gw, owner, f"?created_from={today}&created_to={today}"))["total"] == 3
    assert (await listed(gw, owner, f"?created_from={tomorrow}"))["total"] == 0
    assert (await listed(gw, owner, f"?created_to={yesterday}"))["total"] == 0
    # A date-time bound (whole seconds apart: the embedded server compares ISO strings that
    # look like dates to the second).
    await asyncio.sleep(1.1)
    since = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    await asyncio.sleep(1.1)
    four = await make(gw, owner, channel_id="ch-2")
    later = await listed(gw, owner, f"?created_from={since}")
    assert [v["id"] for v in later["videos"]] == [four["id"]]
    earlier = await listed(gw, owner, f"?created_to={since}")
    assert [v["id"] for v in earlier["videos"]] == [three["id"], two["id"], one["id"]]


async def test_bad_video_filters_are_422(gw: AuthGateway) -> None:
    user = await gw.register("filters")
    cases = [
        (
            "?created_from=last-week",
            "created_from: expected a date (2026-01-31) or an ISO date-time, got 'last-week'",
        ),
        (
            "?created_to=2026-13-01",
            "created_to: expected a date (2026-01-31) or an ISO date-time, got '2026-13-01'",
        ),
        (
            "?created_from=0001-01-01T00:00:00%2B05:00",
            "created_from: expected a date (2026-01-31) or an ISO date-time,"
            " got '0001-01-01T00:00:00+05:00'",
        ),
        ("?limit=0", "query.limit: Input should be greater than or equal to 1"),
        ("?limit=101", "query.limit: Input should be less than or equal to 100"),
        ("?page=0", "query.page: Input should be greater than or equal to 1"),
    ]
    for query, detail in cases:
        r = await gw.http.get(f"/api/v1/videos{query}", headers=user.headers)
        assert (r.status_code, r.json()["detail"]) == (422, detail)
    assert (await gw.http.get("/api/v1/videos")).status_code == 401


async def test_get_patch_delete_follow_the_projects_access(gw: AuthGateway) -> None:
    owner, other = await gw.register("owner"), await gw.register("other")
    video = await make(gw, owner, channel_id="ch-1")
    url = f"/api/v1/videos/{video['id']}"
    shown = await gw.http.get(url, headers=owner.headers)
    assert (shown.status_code, shown.json()["title"]) == (200, "a video")

    hidden = f"Project not found: {video['id']}"
    for method, body in (("GET", None), ("PATCH", {"title": "mine now"}), ("DELETE", None)):
        r = await gw.http.request(method, url, json=body, headers=other.headers)
        assert (r.status_code, r.json()["detail"]) == (404, hidden)
        r = await gw.http.request(method, f"{url}/cost", headers=other.headers)
        if method == "GET":
            assert (r.status_code, r.json()["detail"]) == (404, hidden)
    assert (await gw.http.get(url, headers=owner.headers)).json()["title"] == "a video"

    bad = await gw.http.patch(url, json={"title": 5}, headers=owner.headers)
    assert bad.status_code == 422
    assert (await gw.http.get(url, headers=owner.headers)).json()["title"] == "a video"
    patched = await gw.http.patch(url, json={"title": "Renamed"}, headers=owner.headers)
    assert (patched.status_code, patched.json()["title"]) == (200, "Renamed")

    gone = await gw.http.delete(url, headers=owner.headers)
    assert gone.json() == {"message": "Video deleted successfully"}
    assert (await gw.http.get(url, headers=owner.headers)).status_code == 404


@pytest.fixture
def worker(gw: AuthGateway, services: respx.MockRouter) -> Iterator[respx.MockRouter]:
    services.get(url__regex=r"/renders/").respond(404, json={"detail": "Render not found"})
    with job_worker(gw.settings):
        yield services


async def ended(gw: AuthGateway, user: Account, job_id: str) -> dict[str, Any]:
    for _ in range(300):
        job: dict[str, Any] = (await gw.http.get(f"/jobs/{job_id}", headers=user.headers)).json()
        if job["status"] in ("done", "failed"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} did not end")


async def credits(gw: AuthGateway, user: Account) -> int:
    r = await gw.http.get("/api/v1/credits/balance", headers=user.headers)
    value: int = r.json()["balance"]
    return value


async def test_a_done_render_is_charged_and_its_cost_shows_the_step(
    gw: AuthGateway, worker: respx.MockRouter
) -> None:
    worker.post("/render").respond(200, json=RENDERED)
    user = await gw.register("maker")
    video = await make(gw, user, **READY)
    started = await gw.http.post(
        f"/projects/{video['id']}/generate-video", json={}, headers=user.headers
    )
    assert started.status_code == 202, started.text
    job = await ended(gw, user, started.json()["job_id"])
    assert job["status"] == "done", job
    assert await credits(gw, user) == 2

    cost = await gw.http.get(f"/api/v1/videos/{video['id']}/cost", headers=user.headers)
    assert cost.status_code == 200
    assert cost.json() == {
        "video_id": video["id"],
        "total_credits": 1,
        "refunded_credits": 0,
        "steps": [
            {
                "job_id": job["id"],
                "kind": "render",
                "stage": "render",
                "job_status": "done",
                "provider": "video",
                "units": 12.5,
                "unit": "seconds",
                "price": 1,
                "credits": 1,
            }
        ],
    }


async def test_a_failed_render_is_refunded(gw: AuthGateway, worker: respx.MockRouter) -> None:
    worker.post("/render").respond(400, json={"detail": "The narration file is missing"})
    user = await gw.register("unlucky")
    video = await make(gw, user, **READY)
    started = await gw.http.post(
        f"/projects/{video['id']}/generate-video", json={}, headers=user.headers
    )
    assert started.status_code == 202, started.text
    job = await ended(gw, user, started.json()["job_id"])
    assert job["status"] == "failed"
    assert await credits(gw, user) == 3
    history = (await gw.http.get("/api/v1/credits/balance", headers=user.headers)).json()
    assert [(e["type"], e["amount"]) for e in history["history"][:2]] == [
        ("refund", 1),
        ("deduction", -1),
    ]
    assert history["history"][0]["description"] == "Refund: the job failed at render"
    cost = await gw.http.get(f"/api/v1/videos/{video['id']}/cost", headers=user.headers)
    assert cost.json() == {
        "video_id": video["id"],
        "total_credits": 0,
        "refunded_credits": 1,
        "steps": [],
    }


async def test_free_videos_are_watermarked_and_pro_videos_are_not(
    gw: AuthGateway, worker: respx.MockRouter
) -> None:
    render = worker.post("/render").respond(200, json=RENDERED)
    free = await gw.register("free")
    pro = await gw.register("pro")
    admin = await gw.admin()
    upgraded = await gw.http.patch(
        f"/api/v1/users/{pro.id}", json={"tier": "pro"}, headers=admin.headers
    )
    assert upgraded.status_code == 200, upgraded.text
    pro = await gw.login(pro.email, PASSWORD)  # the tier change signed the old tokens out
    sent = {}
    for user in (free, pro):
        video = await make(gw, user, **READY)
        started = await gw.http.post(
            f"/projects/{video['id']}/generate-video", json={}, headers=user.headers
        )
        assert started.status_code == 202, started.text
        assert (await ended(gw, user, started.json()["job_id"]))["status"] == "done"
        sent[user.id] = json.loads(render.calls.last.request.content)
    assert sent[free.id]["watermark"] == "AI Video Studio"
    assert sent[pro.id].get("watermark") is None
