"""The jobs on /metrics (queue depth, jobs by kind and status, queued and per-stage times,
retries, failures by stage) and Redis on /health/ready."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import build_app
from gateway.db import Database
from gateway.jobs.queue import JobQueue
from gateway.jobs.store import JobStore
from tests.gateway.conftest import Gateway, gateway_settings
from tests.support import free_port, serve


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


async def finished_job(jobs: JobStore, kind: str, status: str, **fields: object) -> str:
    job_id = jobs.new_id()
    stages = ["render"] if kind == "render" else ["script", "audio", "images", "render"]
    await jobs.create(job_id, "p1", kind, owner=None, stages=stages, params={},  # type: ignore[arg-type]
                      queue="q", priority=0)  # fmt: skip
    created = time.time() - 30
    await jobs.set(job_id, _created=created, _started=created + 4, **fields)
    await jobs.finish(job_id, None, status)  # type: ignore[arg-type]
    return job_id


async def test_metrics_show_queues_jobs_times_retries_and_failures(gateway: Gateway) -> None:
    settings = gateway.settings
    db = Database(settings.mongodb_url, settings.mongodb_db, 5)
    queue = JobQueue(settings)
    try:
        jobs = JobStore(db)
        await finished_job(jobs, "render", "done", attempts=2, **{"_stage_seconds.render": 7.5})
        await finished_job(jobs, "pipeline", "failed", attempts=1, failed_stage="images",
                           **{"_stage_seconds.script": 0.4})  # fmt: skip
        await jobs.create(jobs.new_id(), "p2", "render", owner=None, stages=["render"],
                          params={}, queue="q", priority=0)  # fmt: skip
        for _ in range(3):
            await queue.run_job(jobs.new_id(), 6)
        text = (await gateway.http.get("/metrics")).text
        assert value(text, "studio_queue_depth", queue=queue.jobs_queue) == 3
        assert value(text, "studio_queue_depth", queue=queue.images_queue) == 0
        assert value(text, "studio_jobs", kind="render", status="done") == 1
        assert value(text, "studio_jobs", kind="render", status="queued") == 1
        assert value(text, "studio_jobs", kind="pipeline", status="failed") == 1
        assert value(text, "studio_job_queued_seconds_count", kind="render") == 1
        assert value(text, "studio_job_queued_seconds_sum", kind="render") == pytest.approx(4)
        assert value(text, "studio_job_stage_seconds_sum", kind="render", stage="render") == 7.5
        assert value(text, "studio_job_stage_seconds_bucket", kind="render", stage="render",
                     le="10.0") == 1  # fmt: skip
        assert value(text, "studio_job_stage_seconds_bucket", kind="render", stage="render",
                     le="5.0") == 0  # fmt: skip
        assert value(text, "studio_job_retries_total", kind="render") == 1
        assert value(text, "studio_job_failures_total", kind="pipeline", stage="images") == 1
        assert value(text, "studio_jobs_finished_total", kind="render", status="done") == 1
        # A second scrape counts nothing twice; a job ending since is counted once.
        await finished_job(jobs, "render", "done", attempts=1, **{"_stage_seconds.render": 2.0})
        text = (await gateway.http.get("/metrics")).text
        assert value(text, "studio_jobs_finished_total", kind="render", status="done") == 2
        assert value(text, "studio_job_stage_seconds_count", kind="render", stage="render") == 2
        assert value(text, "studio_job_retries_total", kind="render") == 1
        assert value(text, "studio_job_failures_total", kind="pipeline", stage="images") == 1
    finally:
        await queue.close()
        await db.close()


async def test_readiness_reports_redis(gateway: Gateway) -> None:
    ready = (await gateway.http.get("/health/ready")).json()
    assert ready["components"]["redis"] == {"status": "ok"}


@pytest.fixture
async def no_redis_gateway(mongo_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    # Nothing listens on this port: Redis is down for this gateway.
    settings = gateway_settings(mongo_url, tmp_path, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    async with serve(build_app(settings)) as url, httpx.AsyncClient(base_url=url) as http:
        yield http


async def test_readiness_is_503_with_redis_down_and_metrics_still_answer(
    no_redis_gateway: httpx.AsyncClient,
) -> None:
    ready = await no_redis_gateway.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json()["components"]["redis"]["status"] == "down"
    metrics = await no_redis_gateway.get("/metrics")
    assert metrics.status_code == 200
    assert "studio_queue_depth{" not in metrics.text
