"""The delivery task: one try per execution; a later try is a new message with a countdown, so
the worker is free while a delivery waits."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from gateway.jobs.worker import context_for
from gateway.webhooks.delivery import DELIVER, again, attempt


@shared_task(name=DELIVER, bind=True)
def deliver_webhook(self: Task[Any, Any], delivery_id: str) -> None:
    context = context_for(self.app)
    wait = context.run(attempt(context.state, delivery_id))
    if wait is not None:
        context.run(again(context.state, delivery_id, wait))
