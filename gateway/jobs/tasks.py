"""The Celery tasks: thin wrappers that run a job's coroutine on the worker's loop.

A task that must come back later (a busy service, an image fan-out) is sent again with a
countdown rather than retried in place, so its worker is free meanwhile.
"""

from __future__ import annotations

import uuid
from typing import Any

from celery import Task, shared_task

from gateway.jobs import steps, sweep
from gateway.jobs.queue import RUN_IMAGE, RUN_JOB, SWEEP
from gateway.jobs.worker import context_for


def _lease(task: Task[Any, Any]) -> str:
    # One lease per execution: a redelivered message is a new execution with a new lease.
    return f"{task.request.id or 'local'}:{uuid.uuid4().hex[:8]}"


@shared_task(name=RUN_JOB, bind=True)
def run_job(self: Task[Any, Any], job_id: str) -> None:
    context = context_for(self.app)
    outcome = context.run(steps.run_job(context.state, job_id, _lease(self)))
    if outcome.wait is not None:
        doc = context.run(context.state.jobs.doc(job_id))
        context.run(context.state.queue.run_job(job_id, doc["_priority"], outcome.wait))


@shared_task(name=RUN_IMAGE, bind=True)
def run_image(self: Task[Any, Any], job_id: str, index: int) -> None:
    context = context_for(self.app)
    outcome = context.run(steps.run_image(context.state, job_id, index))
    if outcome.wait is not None:
        doc = context.run(context.state.jobs.doc(job_id))
        queue = context.state.queue
        context.run(queue.run_image(job_id, index, doc["_priority"], countdown=outcome.wait))


@shared_task(name=SWEEP, bind=True)
def run_sweep(self: Task[Any, Any]) -> None:
    context = context_for(self.app)
    context.run(sweep.sweep(context.state))
