"""A worker process's context: an event loop of its own, in a thread, with a GatewayState on it.

Celery runs a task as a plain function (in a prefork child, or a thread of the test worker);
the task hands its coroutine to this loop and waits for it. One loop per process keeps one
database pool and one HTTP client per service for every task it runs; it is made on first use,
after Celery has forked, since neither sockets nor event loops survive a fork.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from celery import Celery

from gateway.clients import service_token
from gateway.jobs.queue import settings_of
from gateway.state import GatewayState, close_state, open_state

T = TypeVar("T")
_contexts: dict[tuple[int, int], WorkerContext] = {}
_guard = threading.Lock()


class WorkerContext:
    def __init__(self, app: Celery) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="studio-jobs-loop", daemon=True
        )
        self.thread.start()
        settings = settings_of(app)
        # The worker shows no media to anyone: it stores plain URLs, so it needs no signer.
        self.state: GatewayState = self.run(open_state(settings, service_token(settings), None))

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result()

    def close(self) -> None:
        # Tasks still under way are cancelled first: a pool thread waiting on one of them
        # then gets its CancelledError instead of waiting forever on a stopped loop.
        self.run(_cancel_others())
        self.run(close_state(self.state))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


async def _cancel_others() -> None:
    current = asyncio.current_task()
    others = [task for task in asyncio.all_tasks() if task is not current]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


def context_for(app: Celery) -> WorkerContext:
    key = (os.getpid(), id(app))
    with _guard:
        context = _contexts.get(key)
        if context is None:
            context = _contexts[key] = WorkerContext(app)
        return context


def close_contexts(app: Celery) -> None:
    """For a worker that stops in this process (the tests' in-process workers)."""
    with _guard:
        context = _contexts.pop((os.getpid(), id(app)), None)
    if context is not None:
        context.close()
