"""Prometheus metrics: request count and latency per route template, and the jobs.

Jobs run in worker processes (prefork children that come and go), so their figures are read at
scrape time from where they are recorded anyway: queue depth from Redis, jobs by kind and
status from MongoDB, and the histograms and counters of finished jobs from the jobs that ended
since the last scrape (each job carries its queued time, per-stage run times, attempts and
failed stage). So every worker's work is counted without a metrics port per worker process or
Prometheus's multiprocess mode, and nothing is lost when a worker dies. Each web replica counts
every finished job (from its start, then incrementally): aggregate replicas with max, not sum.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter as Tally
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from pymongo.errors import PyMongoError
from redis.exceptions import RedisError
from starlette.types import Scope

from contracts.jobs import TERMINAL

JOB_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
# Scraping must answer even with Redis or the database down: their figures are then left out.
SCRAPE_TIMEOUT = 3.0


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60, 300),
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "studio_queue_depth",
            "Messages waiting in a job queue",
            ["queue"],
            registry=self.registry,
        )
        self.jobs = Gauge(
            "studio_jobs", "Jobs by kind and status", ["kind", "status"], registry=self.registry
        )
        self.queued_seconds = Histogram(
            "studio_job_queued_seconds",
            "From a job's creation to its first start, of finished jobs",
            ["kind"],
            buckets=JOB_BUCKETS,
            registry=self.registry,
        )
        self.stage_seconds = Histogram(
            "studio_job_stage_seconds",
            "Run time of each stage of finished jobs (its last, successful try)",
            ["kind", "stage"],
            buckets=JOB_BUCKETS,
            registry=self.registry,
        )
        self.finished = Counter(
            "studio_jobs_finished_total", "Jobs ended", ["kind", "status"], registry=self.registry
        )
        self.retries = Counter(
            "studio_job_retries_total",
            "Starts of finished jobs beyond the first (a worker stopped, a 502/504 was retried)",
            ["kind"],
            registry=self.registry,
        )
        self.failures = Counter(
            "studio_job_failures_total",
            "Failed jobs by the stage that failed",
            ["kind", "stage"],
            registry=self.registry,
        )
        # Finished jobs already counted: those up to `_mark` (finishedAt), and the ids at it.
        self._mark = ""
        self._at_mark: set[str] = set()
        self._lock = asyncio.Lock()

    async def refresh(self, state: Any) -> None:
        """Bring the job figures up to date (`state`: the GatewayState)."""
        async with self._lock:
            with contextlib.suppress(RedisError, OSError, TimeoutError):
                queue = state.queue
                for name in (queue.jobs_queue, queue.images_queue):
                    depth = await asyncio.wait_for(queue.depth(name), SCRAPE_TIMEOUT)
                    self.queue_depth.labels(name).set(depth)
            with contextlib.suppress(PyMongoError, TimeoutError):
                await asyncio.wait_for(self._jobs(state.jobs.collection), SCRAPE_TIMEOUT)

    async def _jobs(self, collection: Any) -> None:
        # One pass over the small projection rather than a count per (kind, status) pair.
        tally: Tally[tuple[str, str]] = Tally()
        async for doc in collection.find({}, {"kind": 1, "status": 1, "_id": 0}):
            tally[(doc.get("kind", ""), doc.get("status", ""))] += 1
        for (kind, status), count in tally.items():
            self.jobs.labels(kind, status).set(count)
        for labels in list(self.jobs._metrics):
            if labels not in tally:
                self.jobs.labels(*labels).set(0)
        fields = {"kind": 1, "status": 1, "attempts": 1, "failed_stage": 1, "finishedAt": 1,
                  "_created": 1, "_started": 1, "_stage_seconds": 1}  # fmt: skip
        query = {"status": {"$in": list(TERMINAL)}, "finishedAt": {"$gte": self._mark}}
        async for doc in collection.find(query, fields):
            if doc["_id"] in self._at_mark or not doc.get("finishedAt"):
                continue
            self._observe(doc)
            if doc["finishedAt"] > self._mark:
                self._mark, self._at_mark = doc["finishedAt"], set()
            if doc["finishedAt"] == self._mark:
                self._at_mark.add(doc["_id"])

    def _observe(self, doc: dict[str, Any]) -> None:
        kind = str(doc.get("kind", ""))
        self.finished.labels(kind, doc["status"]).inc()
        if doc.get("_started") and doc.get("_created"):
            self.queued_seconds.labels(kind).observe(max(doc["_started"] - doc["_created"], 0))
        for stage, seconds in (doc.get("_stage_seconds") or {}).items():
            self.stage_seconds.labels(kind, stage).observe(float(seconds))
        if (attempts := int(doc.get("attempts") or 0)) > 1:
            self.retries.labels(kind).inc(attempts - 1)
        if doc["status"] == "failed":
            self.failures.labels(kind, str(doc.get("failed_stage") or "unknown")).inc()

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        """The request-context middleware's per-request hook (no middleware layer of its own)."""
        # The route template, not the raw path, so ids do not explode the label set.
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        method = scope["method"]
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def router(self) -> APIRouter:
        router = APIRouter(tags=["health"])

        @router.get("/metrics", response_class=Response)
        async def metrics(request: Request) -> Response:
            state = getattr(request.app.state, "gateway", None)
            if state is not None:
                await self.refresh(state)
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

        return router
