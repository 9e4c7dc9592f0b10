"""The scheduled YouTube views pull, run by a worker as its beat sends it: each published
project's views from the Analytics `reports` endpoint with its channel's token (an expired one
refreshed once at Google's token endpoint), then shown by the analytics dashboard."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx

from gateway.analytics.youtube_views import REPORTS_URL
from gateway.jobs.queue import PULL_YOUTUBE_VIEWS, SWEEP, build_celery
from tests.gateway.conftest import Gateway
from tests.support import job_worker
from tests.youtube.conftest import connect, state_of, youtube_settings
from tests.youtube.google import FakeGoogle


def report(rows: list[list[Any]]) -> dict[str, Any]:
    return {
        "kind": "youtubeAnalytics#resultTable",
        "columnHeaders": [
            {"name": "day", "columnType": "DIMENSION", "dataType": "STRING"},
            {"name": "views", "columnType": "METRIC", "dataType": "INTEGER"},
        ],
        "rows": rows,
    }


async def test_the_beat_pull_refreshes_an_expired_token_and_the_dashboard_shows_the_views(
    yt: Gateway, google: FakeGoogle
) -> None:
    state = state_of(yt)
    assert (await connect(yt, google)).status_code == 303
    today = datetime.now(UTC).date().isoformat()
    await state.db.projects.insert_many(
        [
            {"_id": "p1", "_owner": "local", "youtube_video_id": "YT1", "channel_id": None,
             "createdAt": "2026-01-01T00:00:00.000Z"},
            # A channel never connected: skipped, not failed.
            {"_id": "p2", "_owner": "local", "youtube_video_id": "YT2", "channel_id": "ch-x",
             "createdAt": "2026-01-01T00:00:00.000Z"},
        ]
    )  # fmt: skip
    # The stored access token has expired: Google no longer takes it.
    await state.db.db["youtube_tokens"].update_one({}, {"$set": {"expires_at": 0}})
    google.valid.clear()

    def reports(request: httpx.Request) -> httpx.Response:
        if not google.authorized(request):
            return httpx.Response(401, json={"error": {"code": 401, "message": "Invalid"}})
        return httpx.Response(200, json=report([[today, 321]]))

    route = google.mock.get(REPORTS_URL).mock(side_effect=reports)
    with job_worker(yt.settings, concurrency=1):
        await asyncio.to_thread(state.queue.celery.send_task, PULL_YOUTUBE_VIEWS)
        async with asyncio.timeout(30):
            while await state.db.db["youtube_views"].find_one({"_id": f"YT1:{today}"}) is None:
                await asyncio.sleep(0.2)
    refreshes = [f for f in google.token_forms if f["grant_type"] == "refresh_token"]
    assert [f["refresh_token"] for f in refreshes] == [google.refresh]
    [call] = route.calls
    assert call.request.headers["authorization"] == f"Bearer access-{len(google.token_forms)}"
    assert call.request.url.params["filters"] == "video==YT1"
    dashboard = (await yt.http.get("/api/v1/analytics/dashboard")).json()
    assert dashboard["views"] == 321
    video = (await yt.http.get("/api/v1/analytics/videos/p1", params={"days": 7})).json()
    assert video["daily_views"] == [{"date": today, "views": 321}]


def test_the_beat_pulls_every_interval_and_zero_turns_it_off(tmp_path: Any) -> None:
    url = "mongodb://127.0.0.1:9"
    default = build_celery(youtube_settings(url, tmp_path)).conf.beat_schedule
    assert default[PULL_YOUTUBE_VIEWS] == {"task": PULL_YOUTUBE_VIEWS, "schedule": 6 * 3600.0}
    off = youtube_settings(url, tmp_path, youtube_views_pull_interval_seconds=0)
    assert set(build_celery(off).conf.beat_schedule) == {SWEEP}
