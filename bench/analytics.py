"""Analytics queries over a year of one user's data (seed 003's target: under 200 ms each).

    .venv/bin/python -m bench.analytics [--runs 30] [--jobs-per-day 6]

Seeds a year of jobs, projects, credit ledger entries and daily YouTube view snapshots for one
user (and as much for a second user, whom the queries must skip) into the embedded database,
serves the gateway in this process and times each analytics route over HTTP: p50 and p99.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from gateway.app import build_app
from gateway.settings import GatewaySettings
from tests.support import embedded_mongo, embedded_redis, serve

CHANNELS = 3
ROUTES = [
    "/api/v1/analytics/dashboard?days=30",
    "/api/v1/analytics/dashboard?days=365",
    "/api/v1/analytics/trends?days=90",
    "/api/v1/analytics/trends?days=365",
    "/api/v1/analytics/costs?days=365",
    "/api/v1/analytics/channels/ch0?days=365",
    "/api/v1/analytics/videos/local-p0?days=365",
    "/api/v1/analytics/reports/weekly",
    "/api/v1/analytics/reports/weekly?format=png",
    "/api/v1/admin/analytics?days=365",
]


def iso(stamp: datetime) -> str:
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def year_of(owner: str, jobs_per_day: int) -> dict[str, list[dict[str, Any]]]:
    now = datetime.now(UTC)
    docs: dict[str, list[dict[str, Any]]] = {
        "jobs": [],
        "projects": [],
        "credit_ledger": [],
        "youtube_views": [],
    }
    for day in range(365):
        at = now - timedelta(days=day, hours=1)
        pid = f"{owner}-p{day}"
        docs["projects"].append(
            {"_id": pid, "_owner": owner, "title": f"Video {day}", "duration": 60 + day % 120,
             "status": "uploaded_to_youtube" if day % 2 else "video_ready",
             "channel_id": f"ch{day % CHANNELS}", "youtube_video_id": f"{owner}-yt{day}",
             "createdAt": iso(at), "updatedAt": iso(at)}
        )  # fmt: skip
        for n in range(jobs_per_day):
            docs["jobs"].append(
                {"_id": f"{owner}-j{day}-{n}", "_owner": owner, "project_id": pid,
                 "kind": "render" if n % 2 else "pipeline",
                 "status": "failed" if n % 5 == 4 else "done", "_seconds": 30.0 + n,
                 "createdAt": iso(at + timedelta(minutes=n))}
            )  # fmt: skip
            docs["credit_ledger"].append(
                {"_id": f"{owner}-c{day}-{n}", "user_id": owner, "seq": day * jobs_per_day + n,
                 "type": "refund" if n % 5 == 4 else "deduction",
                 "amount": 1 if n % 5 == 4 else -1, "balance": 0,
                 "description": "Video generation (render)" if n % 2 else "Refund",
                 "createdAt": iso(at + timedelta(minutes=n))}
            )  # fmt: skip
        for channel in range(CHANNELS):
            docs["youtube_views"].append(
                {"_id": f"{owner}-v{day}-{channel}", "owner": owner, "project_id": f"{owner}-p0",
                 "channel_id": f"ch{channel}", "date": iso(at)[:10], "views": 100 + day}
            )  # fmt: skip
    return docs


async def seed(url: str, db_name: str, jobs_per_day: int) -> dict[str, int]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    await client.drop_database(db_name)
    counts: dict[str, int] = {}
    for owner in ("local", "someone-else"):
        for collection, docs in year_of(owner, jobs_per_day).items():
            await client[db_name][collection].insert_many(docs)
            counts[collection] = counts.get(collection, 0) + len(docs)
    await client.close()
    return counts


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def run(url: str, redis: str, runs: int, jobs_per_day: int, media: Path) -> None:
    settings = GatewaySettings.model_validate(
        {"mongodb_url": url, "mongodb_db": "bench_analytics", "media_root": media,
         "redis_url": redis, "access_log": False, "log_level": "WARNING"}
    )  # fmt: skip
    app = build_app(settings)
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=60) as http:
        counts = await seed(url, settings.mongodb_db, jobs_per_day)
        print("seeded (two users, one year each):", counts)
        print(f"{'route':48} {'p50 ms':>8} {'p99 ms':>8}")
        for route in ROUTES:
            timings = []
            for _ in range(runs):
                began = time.perf_counter()
                answer = await http.get(route)
                timings.append((time.perf_counter() - began) * 1000)
                assert answer.status_code == 200, answer.text
            print(f"{route:48} {statistics.median(timings):8.1f} {percentile(timings, 0.99):8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--jobs-per-day", type=int, default=6)
    parser.add_argument("--mongodb-url", help="a real MongoDB instead of the embedded server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, embedded_redis(Path(tmp) / "redis") as redis:
        media = Path(tmp) / "media"
        if args.mongodb_url:
            asyncio.run(run(args.mongodb_url, redis, args.runs, args.jobs_per_day, media))
            return
        with embedded_mongo(Path(tmp) / "db") as url:
            asyncio.run(run(url, redis, args.runs, args.jobs_per_day, media))


if __name__ == "__main__":
    main()
