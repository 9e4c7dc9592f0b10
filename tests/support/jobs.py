"""Running the gateway's jobs in a test: an in-process Celery worker on a gateway's queues."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from celery.contrib.testing.worker import start_worker

from gateway.jobs.queue import build_celery
from gateway.jobs.worker import close_contexts
from gateway.settings import GatewaySettings


@contextlib.contextmanager
def job_worker(settings: GatewaySettings, concurrency: int = 4) -> Iterator[None]:
    """A Celery worker in this process (threads), on the settings' Redis queues: for tests
    that need jobs to run; the fault tests start real worker processes instead."""
    app = build_celery(settings)
    with start_worker(
        app, pool="threads", concurrency=concurrency, perform_ping_check=False, loglevel="WARNING"
    ):
        try:
            yield
        finally:
            close_contexts(app)
