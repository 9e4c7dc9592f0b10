"""Daily YouTube views of published projects, from the YouTube Analytics API (v2 `reports`),
kept as `youtube_views` snapshots the analytics read: one document per video and day, written
again (not added) by every pull, so pulls may overlap and repeat.

The OAuth access token of a project's channel comes from the caller (`TokenFor`): tokens are
held by the YouTube connection, not here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

import httpx

from contracts.errors import ApiError
from gateway.db import Database, Doc

log = logging.getLogger("gateway.analytics.youtube")
REPORTS_URL = "https://youtubeanalytics.googleapis.com/v2/reports"
TIMEOUT_SECONDS = 20.0
# owner, channel_id -> an access token for that channel, or None when it is not connected.
TokenFor = Callable[[str, str | None], Awaitable[str | None]]


async def daily_views(
    http: httpx.AsyncClient, token: str, video_id: str, start: date, end: date
) -> list[tuple[str, int]]:
    """(YYYY-MM-DD, views) per day of [start, end] for one video of the token's channel."""
    answer = await http.get(
        REPORTS_URL,
        params={
            "ids": "channel==MINE",
            "startDate": start.isoformat(),
            "endDate": end.isoformat(),
            "metrics": "views",
            "dimensions": "day",
            "filters": f"video=={video_id}",
            "sort": "day",
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT_SECONDS,
    )
    if answer.status_code != 200:
        raise ApiError(502, f"YouTube Analytics answered {answer.status_code} for {video_id}")
    body = answer.json()
    names = [column["name"] for column in body.get("columnHeaders", [])]
    day, views = names.index("day"), names.index("views")
    return [(str(row[day]), int(row[views])) for row in body.get("rows") or []]


async def pull(
    db: Database, http: httpx.AsyncClient, token_for: TokenFor, today: date, days: int = 3
) -> int:
    """Refresh the last `days` days of every published project; the snapshots written.

    A video whose channel is not connected, or whose report fails, is skipped (logged): the
    next pull tries again."""
    written = 0
    start = today - timedelta(days=days - 1)
    projection = {"_owner": 1, "channel_id": 1, "youtube_video_id": 1}
    cursor = db.projects.find({"youtube_video_id": {"$type": "string"}}, projection)
    async for project in cursor:
        owner, video_id = project.get("_owner"), project["youtube_video_id"]
        if not owner:
            continue
        token = await token_for(owner, project.get("channel_id"))
        if token is None:
            continue
        try:
            rows = await daily_views(http, token, video_id, start, today)
        except (ApiError, httpx.HTTPError, ValueError, KeyError) as exc:
            log.warning("youtube views of %s not pulled: %s", video_id, exc)
            continue
        for day, views in rows:
            snapshot: Doc = {
                "owner": owner,
                "project_id": project["_id"],
                "channel_id": project.get("channel_id"),
                "video_id": video_id,
                "date": day,
                "views": views,
            }
            # `$set` with upsert: the embedded test server inserts a second document on a
            # replace_one upsert whose filter matches.
            await db.db["youtube_views"].update_one(
                {"_id": f"{video_id}:{day}"}, {"$set": snapshot}, upsert=True
            )
            written += 1
    return written
