"""The YouTube Analytics pull: daily views per published video, against the API's documented
`reports` answer, written as snapshots the analytics then count (a repeated pull replaces)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import respx

from gateway.analytics.youtube_views import REPORTS_URL, pull
from gateway.state import GatewayState
from tests.gateway.conftest import Gateway


def state_of(gateway: Gateway) -> GatewayState:
    state: GatewayState = gateway.app.state.gateway
    return state


def report(rows: list[list[Any]]) -> dict[str, Any]:
    return {
        "kind": "youtubeAnalytics#resultTable",
        "columnHeaders": [
            {"name": "day", "columnType": "DIMENSION", "dataType": "STRING"},
            {"name": "views", "columnType": "METRIC", "dataType": "INTEGER"},
        ],
        "rows": rows,
    }


async def test_views_are_pulled_per_video_and_replaced_on_the_next_pull(gateway: Gateway) -> None:
    state = state_of(gateway)
    today = date.today()
    await state.db.projects.insert_many(
        [
            {"_id": "p1", "_owner": "local", "youtube_video_id": "YT1", "channel_id": "ch1",
             "createdAt": "2026-01-01T00:00:00.000Z"},
            {"_id": "p2", "_owner": "local", "youtube_video_id": "YT2", "channel_id": "gone",
             "createdAt": "2026-01-01T00:00:00.000Z"},
            {"_id": "p3", "_owner": "local", "title": "not published"},
        ]
    )  # fmt: skip

    async def token_for(owner: str, channel: str | None) -> str | None:
        return "token-ch1" if (owner, channel) == ("local", "ch1") else None

    day = today.isoformat()
    with respx.mock(assert_all_called=True) as mock:
        route = mock.get(REPORTS_URL).mock(
            side_effect=[
                httpx.Response(200, json=report([[day, 40]])),
                httpx.Response(200, json=report([[day, 55]])),
            ]
        )
        async with httpx.AsyncClient() as http:
            assert await pull(state.db, http, token_for, today) == 1
            assert await pull(state.db, http, token_for, today) == 1
    request = route.calls[0].request
    assert request.headers["authorization"] == "Bearer token-ch1"
    assert request.url.params["filters"] == "video==YT1"
    assert request.url.params["metrics"] == "views"
    assert request.url.params["ids"] == "channel==MINE"
    video = (await gateway.http.get("/api/v1/analytics/videos/p1", params={"days": 7})).json()
    assert (video["views"], video["daily_views"]) == (55, [{"date": day, "views": 55}])
    dashboard = (await gateway.http.get("/api/v1/analytics/dashboard")).json()
    assert dashboard["views"] == 55


async def test_a_failing_report_skips_the_video(gateway: Gateway) -> None:
    state = state_of(gateway)
    await state.db.projects.insert_one(
        {"_id": "p1", "_owner": "local", "youtube_video_id": "YT1", "channel_id": "ch1"}
    )

    async def token_for(owner: str, channel: str | None) -> str | None:
        return "t"

    with respx.mock() as mock:
        mock.get(REPORTS_URL).respond(403, json={"error": {"message": "forbidden"}})
        async with httpx.AsyncClient() as http:
            assert await pull(state.db, http, token_for, date.today()) == 0
    assert await state.db.db["youtube_views"].find_one({}) is None
