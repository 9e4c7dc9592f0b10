"""The Celery app on Redis, and sending work to it from the gateway's async code.

Delivery survives the death of a worker: a message is acknowledged only after its task ran
(`acks_late`), a task whose worker process died is handed back (`reject_on_worker_lost`), and one
held unacknowledged longer than the visibility timeout (longer than the longest render) is
delivered again. A job is also leased in MongoDB (gateway/jobs/store.py), so a second delivery
of the same work does nothing while the first is alive, and the sweep takes over a job whose
worker went quiet without waiting for Redis.
"""

from __future__ import annotations

import asyncio
from typing import Any

from celery import Celery
from kombu import Queue
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from gateway.settings import GatewaySettings

RUN_JOB = "studio.run_job"
RUN_IMAGE = "studio.run_image"
SWEEP = "studio.sweep"
PULL_YOUTUBE_VIEWS = "studio.pull_youtube_views"
# Redis serves priority 0 first; a tier's jobs go ahead of the tiers below it.
TIER_PRIORITY = {"business": 0, "pro": 3, "free": 6}
PRIORITY_STEPS = [0, 3, 6, 9]
# kombu keeps each priority of a queue in its own list, named with this separator.
KOMBU_SEP = "\x06\x16"


def queue_names(settings: GatewaySettings) -> tuple[str, str]:
    """(jobs, images): whole jobs and steps, and the per-image fan-out."""
    return f"{settings.queue_prefix}.jobs", f"{settings.queue_prefix}.images"


def build_celery(settings: GatewaySettings) -> Celery:
    jobs, images = queue_names(settings)
    app = Celery("studio", broker=settings.redis_url, set_as_current=False)
    app.conf.update(
        include=["gateway.jobs.tasks", "gateway.webhooks.tasks", "gateway.analytics.tasks"],
        # A worker consumes both queues unless told otherwise (`-Q`).
        task_queues=[Queue(jobs), Queue(images)],
        task_default_queue=jobs,
        task_routes={RUN_IMAGE: {"queue": images}},
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        task_soft_time_limit=settings.job_soft_time_limit_seconds,
        task_time_limit=settings.job_time_limit_seconds,
        task_serializer="json",
        accept_content=["json"],
        # One message at a time per worker process: a long render never hides others.
        worker_prefetch_multiplier=1,
        worker_concurrency=settings.worker_concurrency,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": settings.job_visibility_timeout_seconds,
            "priority_steps": PRIORITY_STEPS,
            "queue_order_strategy": "priority",
        },
        beat_schedule={
            SWEEP: {"task": SWEEP, "schedule": settings.job_sweep_interval_seconds},
            **views_pull_schedule(settings),
        },
    )
    app.studio_settings = settings  # type: ignore[attr-defined]
    return app


def views_pull_schedule(settings: GatewaySettings) -> dict[str, Any]:
    """The beat's YouTube views pull, unless its interval is 0."""
    interval = settings.youtube_views_pull_interval_seconds
    if interval <= 0:
        return {}
    return {PULL_YOUTUBE_VIEWS: {"task": PULL_YOUTUBE_VIEWS, "schedule": interval}}


def settings_of(app: Celery) -> GatewaySettings:
    settings: GatewaySettings = app.studio_settings  # type: ignore[attr-defined]
    return settings


class JobQueue:
    """Sends work. Publishing is blocking network I/O, so it runs off the event loop."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.celery = build_celery(settings)
        self.jobs_queue, self.images_queue = queue_names(settings)
        # A pooled connection dies with a Redis restart; without retry_on_error the first
        # command after one fails although Redis is back (redis-py retries only when told to).
        self.redis: Redis = Redis.from_url(
            settings.redis_url,
            socket_timeout=5,
            retry=Retry(ExponentialBackoff(cap=1.0), 3),
            retry_on_error=[RedisConnectionError],
        )

    async def _send(self, name: str, args: list[Any], **options: Any) -> str:
        result = await asyncio.to_thread(self.celery.send_task, name, args=args, **options)
        return str(result.id)

    async def run_job(self, job_id: str, priority: int, countdown: float = 0) -> str:
        return await self._send(
            RUN_JOB, [job_id], queue=self.jobs_queue, priority=priority, countdown=countdown
        )

    async def run_image(self, job_id: str, index: int, priority: int, countdown: float = 0) -> str:
        return await self._send(
            RUN_IMAGE,
            [job_id, index],
            queue=self.images_queue,
            priority=priority,
            countdown=countdown,
        )

    async def revoke(self, task_id: str) -> None:
        await asyncio.to_thread(self.celery.control.revoke, task_id)

    async def depth(self, queue: str) -> int:
        """Messages waiting in a queue, over all its priority lists."""
        names = [queue] + [f"{queue}{KOMBU_SEP}{step}" for step in PRIORITY_STEPS[1:]]
        total = 0
        for name in names:
            total += int(await self.redis.llen(name))
        return total

    async def ping(self) -> None:
        await self.redis.ping()

    async def close(self) -> None:
        await self.redis.aclose()
        await asyncio.to_thread(self.celery.close)
