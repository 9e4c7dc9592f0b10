"""The aggregation pipelines behind `/api/v1/analytics`, one per figure set.

They read `jobs` (kind, status, `_seconds` of work, createdAt), `projects` (duration, status,
youtube_* fields, channel_id), `credit_ledger` (the credits ledger: `user_id`, `type`,
`amount` signed, `description`, `createdAt`; what was spent is the deductions less their refunds,
and its money value is at the top-up price per credit) and `youtube_views` (snapshots of `owner`,
`project_id`, `channel_id`, `date` as YYYY-MM-DD, `views`); a missing collection counts as empty.

Timestamps are ISO 8601 strings, so a day is their first ten characters and a window a string
range; both work on MongoDB and on the embedded test server, which evaluates neither `$toDate`
nor expressions inside a compound `_id`, so groups have one key and split by `$cond` sums.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING

from gateway.db import Database, Doc

DAY = {"$substrBytes": ["$createdAt", 0, 10]}
PUBLISHED = "uploaded_to_youtube"
# Entries that spend credits (negative amounts) or give spent ones back (positive); grants and
# purchases add to the balance and are not spending.
SPENDING = {"type": {"$in": ["deduction", "refund"]}}


async def ensure_indexes(db: Database) -> None:
    """Each figure reads one user's documents over a time range."""
    for collection, owner, at in (
        ("jobs", "_owner", "createdAt"),
        ("projects", "_owner", "createdAt"),
        ("credit_ledger", "user_id", "createdAt"),
        ("youtube_views", "owner", "date"),
    ):
        await db.db[collection].create_index(
            [(owner, ASCENDING), (at, ASCENDING)], name="analytics_owner_time"
        )
    await db.db["youtube_views"].create_index(
        [("project_id", ASCENDING), ("date", ASCENDING)], name="analytics_project_date"
    )


def since_iso(days: int, now: datetime | None = None) -> str:
    start = (now or datetime.now(UTC)) - timedelta(days=days)
    return start.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _when(field: str, value: Any) -> Doc:
    return {"$sum": {"$cond": [{"$eq": [f"${field}", value]}, 1, 0]}}


def _scope(owner: str | None, field: str = "_owner") -> Doc:
    return {} if owner is None else {field: owner}


async def _rows(db: Database, collection: str, pipeline: list[Doc]) -> list[Doc]:
    cursor = await db.db[collection].aggregate(pipeline)
    return [row async for row in cursor]


async def _one(db: Database, collection: str, pipeline: list[Doc]) -> Doc:
    rows = await _rows(db, collection, pipeline)
    return rows[0] if rows else {}


def _num(row: Doc, key: str) -> float:
    return float(row.get(key) or 0)


async def job_totals(db: Database, match: Doc) -> Doc:
    row = await _one(
        db,
        "jobs",
        [
            {"$match": match},
            {
                "$group": {
                    "_id": None,
                    "total": {"$sum": 1},
                    "done": _when("status", "done"),
                    "failed": _when("status", "failed"),
                    "cancelled": _when("status", "cancelled"),
                    "seconds": {"$sum": {"$ifNull": ["$_seconds", 0]}},
                }
            },
        ],
    )
    total = int(_num(row, "total"))
    return {
        "total": total,
        "done": int(_num(row, "done")),
        "failed": int(_num(row, "failed")),
        "cancelled": int(_num(row, "cancelled")),
        "active": total - int(_num(row, "done") + _num(row, "failed") + _num(row, "cancelled")),
        "render_minutes": round(_num(row, "seconds") / 60, 2),
    }


async def project_totals(db: Database, match: Doc) -> Doc:
    row = await _one(
        db,
        "projects",
        [
            {"$match": match},
            {
                "$group": {
                    "_id": None,
                    "total": {"$sum": 1},
                    "published": _when("status", PUBLISHED),
                    "seconds": {"$sum": {"$ifNull": ["$duration", 0]}},
                }
            },
        ],
    )
    return {
        "total": int(_num(row, "total")),
        "published": int(_num(row, "published")),
        "video_minutes": round(_num(row, "seconds") / 60, 2),
    }


def _spent(row: Doc, price: float) -> Doc:
    """A group's credits spent (its amounts summed, negated) and their value in dollars."""
    credits = -_num(row, "amount")
    return {"credits": round(credits, 2), "cost_usd": round(credits * price, 4)}


async def credit_totals(db: Database, match: Doc, price: float) -> Doc:
    row = await _one(
        db,
        "credit_ledger",
        [
            {"$match": {**match, **SPENDING}},
            {"$group": {"_id": None, "amount": {"$sum": "$amount"}}},
        ],
    )
    return _spent(row, price)


async def views_total(db: Database, match: Doc) -> int:
    row = await _one(
        db,
        "youtube_views",
        [{"$match": match}, {"$group": {"_id": None, "views": {"$sum": "$views"}}}],
    )
    return int(_num(row, "views"))


async def dashboard(
    db: Database, owner: str | None, since: str, price: float, until: str | None = None
) -> Doc:
    window: Doc = {"$gte": since} if until is None else {"$gte": since, "$lt": until}
    days: Doc = {"$gte": since[:10]} if until is None else {"$gte": since[:10], "$lt": until[:10]}
    created = {"createdAt": window}
    jobs, projects, credits, views = await asyncio.gather(
        job_totals(db, {**_scope(owner), **created}),
        project_totals(db, {**_scope(owner), **created}),
        credit_totals(db, {**_scope(owner, "user_id"), **created}, price),
        views_total(db, {**_scope(owner, "owner"), "date": days}),
    )
    return {"since": since, "jobs": jobs, "projects": projects, "credits": credits, "views": views}


async def _daily(
    db: Database, collection: str, match: Doc, sums: Doc, day: Any = DAY
) -> dict[str, Doc]:
    rows = await _rows(
        db,
        collection,
        [{"$match": match}, {"$group": {"_id": day, **sums}}, {"$sort": {"_id": 1}}],
    )
    return {str(row.pop("_id")): row for row in rows}


def _days(since: str, until: datetime | None = None) -> list[str]:
    first = datetime.fromisoformat(since.replace("Z", "+00:00")).date()
    last = (until or datetime.now(UTC)).date()
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


async def trends(db: Database, owner: str | None, since: str, price: float) -> list[Doc]:
    """One row per day of the window, days without activity included."""
    created = {"createdAt": {"$gte": since}}
    jobs, projects, credits, views = await asyncio.gather(
        _daily(
            db,
            "jobs",
            {**_scope(owner), **created},
            {
                "jobs": {"$sum": 1},
                "done": _when("status", "done"),
                "failed": _when("status", "failed"),
                "seconds": {"$sum": {"$ifNull": ["$_seconds", 0]}},
            },
        ),
        _daily(
            db,
            "projects",
            {**_scope(owner), **created},
            {"projects": {"$sum": 1}, "published": _when("status", PUBLISHED)},
        ),
        _credits_daily(db, {**_scope(owner, "user_id"), **created}),
        _daily(
            db,
            "youtube_views",
            {**_scope(owner, "owner"), "date": {"$gte": since[:10]}},
            {"views": {"$sum": "$views"}},
            day="$date",
        ),
    )
    out = []
    for day in _days(since):
        j, p, v = (x.get(day, {}) for x in (jobs, projects, views))
        spent = _spent(credits.get(day, {}), price)
        out.append(
            {
                "date": day,
                "jobs": int(_num(j, "jobs")),
                "done": int(_num(j, "done")),
                "failed": int(_num(j, "failed")),
                "render_minutes": round(_num(j, "seconds") / 60, 2),
                "projects": int(_num(p, "projects")),
                "published": int(_num(p, "published")),
                **spent,
                "views": int(_num(v, "views")),
            }
        )
    return out


def _credits_daily(db: Database, match: Doc) -> Any:
    return _daily(db, "credit_ledger", {**match, **SPENDING}, {"amount": {"$sum": "$amount"}})


async def costs(db: Database, owner: str | None, since: str, price: float) -> Doc:
    match = {**_scope(owner, "user_id"), "createdAt": {"$gte": since}}
    daily, total, by_reason = await asyncio.gather(
        _credits_daily(db, match),
        credit_totals(db, match, price),
        _rows(
            db,
            "credit_ledger",
            [
                {"$match": {**match, **SPENDING}},
                {
                    "$group": {
                        "_id": {"$ifNull": ["$description", "other"]},
                        "amount": {"$sum": "$amount"},
                    }
                },
                {"$sort": {"amount": 1}},
            ],
        ),
    )
    return {
        "since": since,
        "total": total,
        "by_reason": [{"reason": str(r["_id"]), **_spent(r, price)} for r in by_reason],
        "daily": [{"date": day, **_spent(daily.get(day, {}), price)} for day in _days(since)],
    }


async def video(db: Database, project: Doc, since: str) -> Doc:
    jobs, views = await asyncio.gather(
        job_totals(db, {"project_id": project["_id"]}),
        _daily(
            db,
            "youtube_views",
            {"project_id": project["_id"], "date": {"$gte": since[:10]}},
            {"views": {"$sum": "$views"}},
            day="$date",
        ),
    )
    return {
        "id": project["_id"],
        "title": project.get("title", ""),
        "status": project.get("status"),
        "duration_seconds": float(project.get("duration") or 0),
        "youtube_video_id": project.get("youtube_video_id"),
        "jobs": jobs,
        "views": sum(int(_num(v, "views")) for v in views.values()),
        "daily_views": [{"date": d, "views": int(_num(v, "views"))} for d, v in views.items()],
    }


async def channel(db: Database, owner: str | None, channel_id: str, since: str) -> Doc | None:
    """A channel's figures, or None when the owner has no project on it."""
    match = {**_scope(owner), "channel_id": channel_id}
    projects = await project_totals(db, match)
    if projects["total"] == 0:
        return None
    views = await views_total(
        db, {**_scope(owner, "owner"), "channel_id": channel_id, "date": {"$gte": since[:10]}}
    )
    return {"id": channel_id, "since": since, "projects": projects, "views": views}


async def top_users(db: Database, since: str, limit: int) -> list[Doc]:
    rows = await _rows(
        db,
        "jobs",
        [
            {"$match": {"createdAt": {"$gte": since}}},
            {
                "$group": {
                    "_id": "$_owner",
                    "jobs": {"$sum": 1},
                    "seconds": {"$sum": {"$ifNull": ["$_seconds", 0]}},
                }
            },
            {"$sort": {"jobs": -1}},
            {"$limit": limit},
        ],
    )
    return [
        {
            "user_id": r["_id"],
            "jobs": int(r["jobs"]),
            "render_minutes": round(_num(r, "seconds") / 60, 2),
        }
        for r in rows
    ]


async def platform(db: Database, since: str) -> Doc:
    """Seed 001's admin figures: all-time totals, and the users active in the window."""
    active = await _rows(
        db,
        "jobs",
        [
            {"$match": {"createdAt": {"$gte": since}}},
            {"$group": {"_id": "$_owner"}},
            {"$group": {"_id": None, "n": {"$sum": 1}}},
        ],
    )
    generated = await _one(
        db,
        "jobs",
        [
            {"$match": {"status": "done"}},
            {"$group": {"_id": None, "n": {"$sum": 1}, "avg": {"$avg": "$_seconds"}}},
        ],
    )
    users = await db.db.command("count", "users", query={})
    projects = await db.db.command("count", "projects", query={})
    return {
        "totalUsers": int(users["n"]),
        "activeUsers": int(_num(active[0], "n")) if active else 0,
        "totalProjects": int(projects["n"]),
        "totalVideosGenerated": int(_num(generated, "n")),
        "avgGenerationTime": f"{_num(generated, 'avg') / 60:.1f} minutes",
    }
