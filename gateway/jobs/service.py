"""Starting, following and cancelling jobs from the gateway's routes.

A job is recorded, its project taken (one render or pipeline per project at a time), then its
first message is sent; a refusal at any point undoes what was done, so a refused request leaves
no job and the project as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from pymongo.errors import ConnectionFailure
from redis.exceptions import RedisError

from contracts.errors import ApiError
from contracts.jobs import TERMINAL, Job, JobKind
from gateway.auth.principal import Principal, request_principal
from gateway.auth.roles import PROJECTS_ANY
from gateway.credits import reservations
from gateway.credits.plans import watermarked
from gateway.db import Doc
from gateway.jobs.queue import TIER_PRIORITY
from gateway.jobs.store import JobNotFound, to_job
from gateway.projects.access import readable_project
from gateway.projects.store import ProjectBusy
from gateway.state import GatewayState

log = logging.getLogger("gateway.jobs")
WAIT_POLL = 0.25
DEFAULT_PRIORITY = TIER_PRIORITY["free"]


def priority_of(principal: Principal | None) -> int:
    return TIER_PRIORITY.get(principal.tier, DEFAULT_PRIORITY) if principal else 0


async def submit(
    state: GatewayState,
    *,
    project_id: str,
    kind: JobKind,
    stages: list[str],
    params: Doc,
    principal: Principal | None,
    project_changes: Doc,
    not_before: float | None = None,
) -> Job:
    job_id = state.jobs.new_id()
    # Credits are reserved before anything is recorded (402 leaves nothing behind) and
    # given back if the job is refused after all.
    credits = await reservations.reserve(state, principal, job_id, kind, stages)
    try:
        return await _record_and_queue(
            state,
            job_id,
            credits,
            project_id=project_id,
            kind=kind,
            stages=stages,
            params=params,
            principal=principal,
            project_changes=project_changes,
            not_before=not_before,
        )
    except BaseException:
        if await state.jobs.collection.find_one({"_id": job_id}, {"_id": 1}) is None:
            await reservations.refund_record(state, job_id, credits, "the job was refused")
        raise


async def _record_and_queue(
    state: GatewayState,
    job_id: str,
    credits: Doc | None,
    *,
    project_id: str,
    kind: JobKind,
    stages: list[str],
    params: Doc,
    principal: Principal | None,
    project_changes: Doc,
    not_before: float | None,
) -> Job:
    jobs = state.jobs
    priority = priority_of(principal)
    await jobs.create(
        job_id,
        project_id,
        kind,
        owner=principal.user_id if principal else None,
        stages=stages,
        params=params,
        queue=state.queue.jobs_queue,
        priority=priority,
        not_before=not_before,
    )
    try:
        before = await state.projects.get(project_id)
        await jobs.set(
            job_id,
            _prior={"status": before.get("status")},
            _credits=credits,
            _watermark=watermarked(principal),
        )
        await state.projects.acquire(
            project_id, job_id, {**project_changes, "video_job_id": job_id}, principal
        )
    except ProjectBusy as busy:
        await jobs.collection.delete_one({"_id": job_id})
        raise await _busy(state, busy) from None
    except BaseException:
        await jobs.collection.delete_one({"_id": job_id})
        raise
    if not_before is not None:
        return await shown(state, await jobs.doc(job_id))
    try:
        task_id = await state.queue.run_job(job_id, priority)
    except (RedisError, OSError) as exc:
        # The queue is unreachable: undo, so nothing waits for a message that was never sent.
        log.warning("could not queue job %s: %s", job_id, exc)
        restore = {k: before.get(k) for k in (*project_changes, "video_job_id")}
        await state.projects.release(project_id, job_id, restore)
        await jobs.collection.delete_one({"_id": job_id})
        raise ApiError(
            503, "The job queue is unavailable; try again shortly", headers={"Retry-After": "5"}
        ) from None
    await jobs.set(job_id, task_id=task_id)
    return await shown(state, await jobs.doc(job_id))


async def submit_own(
    state: GatewayState, *, kind: JobKind, stage: str, params: Doc, principal: Principal
) -> Job:
    """A user's own AI job: no project to take, so nothing to undo but the job itself and
    its credits, reserved (402) before anything is recorded, as a project job's are."""
    job_id = state.jobs.new_id()
    prices = reservations.ai_prices(state.settings, kind, stage)
    credits = await reservations.reserve(
        state, principal, job_id, kind, [stage], prices=prices, what="AI generation"
    )
    try:
        return await _record_and_queue_own(
            state, job_id, credits, kind=kind, stage=stage, params=params, principal=principal
        )
    except BaseException:
        if await state.jobs.collection.find_one({"_id": job_id}, {"_id": 1}) is None:
            await reservations.refund_record(state, job_id, credits, "the job was refused")
        raise


async def _record_and_queue_own(
    state: GatewayState,
    job_id: str,
    credits: Doc | None,
    *,
    kind: JobKind,
    stage: str,
    params: Doc,
    principal: Principal,
) -> Job:
    jobs = state.jobs
    priority = priority_of(principal)
    await jobs.create(
        job_id,
        None,
        kind,
        owner=principal.user_id,
        stages=[stage],
        params=params,
        queue=state.queue.jobs_queue,
        priority=priority,
    )
    try:
        await jobs.set(job_id, _credits=credits)
        task_id = await state.queue.run_job(job_id, priority)
    except (RedisError, OSError) as exc:
        log.warning("could not queue job %s: %s", job_id, exc)
        await jobs.collection.delete_one({"_id": job_id})
        raise ApiError(
            503, "The job queue is unavailable; try again shortly", headers={"Retry-After": "5"}
        ) from None
    except BaseException:
        await jobs.collection.delete_one({"_id": job_id})
        raise
    await jobs.set(job_id, task_id=task_id)
    return await shown(state, await jobs.doc(job_id))


async def _busy(state: GatewayState, busy: ProjectBusy) -> ApiError:
    """409 naming the job that holds the project (or, if that job is gone, free it first)."""
    try:
        holder = await state.jobs.doc(busy.job_id)
    except JobNotFound:
        holder = None
    if holder is None or holder["status"] in TERMINAL:
        # A job ended without freeing its project (its worker died in the final write):
        # do what the sweep would, and ask the caller to try again.
        changes = (holder or {}).get("_apply") or {}
        await state.projects.release(busy.project_id, busy.job_id, changes)
        return ApiError(409, "The project was just freed by a finished job; try again")
    job = await shown(state, holder)
    return ApiError(409, busy.detail, details={"job": job.model_dump(mode="json")})


async def shown(state: GatewayState, doc: Doc) -> Job:
    """A job as the API shows it: with its place in the queue and when it should start."""
    job = to_job(doc)
    if job.status != "queued" or doc.get("_not_before"):
        if doc.get("_not_before"):
            job.estimated_start = _iso(doc["_not_before"])
        return job.model_copy(update={"result": state.urls.signed(job.result)})
    position = await state.jobs.position(doc)
    mean = await state.jobs.mean_seconds(job.kind)
    running = max(await state.jobs.running_count(doc["_queue"]), 1)
    update: Doc = {"queue_position": position}
    if mean is not None:
        update["estimated_start"] = _iso(time.time() + mean * position / running)
    return job.model_copy(update=update)


def _iso(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def estimated_completion(job: Job, mean: float | None) -> str | None:
    if mean is None or job.estimated_start is None:
        return None
    start = datetime.fromisoformat(job.estimated_start.replace("Z", "+00:00"))
    return (start + timedelta(seconds=mean)).isoformat(timespec="seconds").replace("+00:00", "Z")


async def readable_job(state: GatewayState, job_id: str) -> Doc:
    """A job as visible as its project: someone else's answers 404, as a missing one does."""
    doc = await state.jobs.doc(job_id)
    if doc["project_id"] is None:
        principal = request_principal()
        if principal is not None and not (
            principal.user_id == doc["_owner"] or principal.can(PROJECTS_ANY)
        ):
            raise JobNotFound(job_id)
        return doc
    try:
        await readable_project(doc["project_id"], state.projects)
    except ApiError as exc:
        if exc.status == 404:
            raise JobNotFound(job_id) from None
        raise
    return doc


async def wait(
    state: GatewayState,
    job_id: str,
    patience: float,
    gone: Callable[[], Awaitable[bool]] | None = None,
) -> Doc:
    """Until the job ends (at most `patience` seconds); its failure raised as the error the
    service gave. A caller that hangs up (`gone`) stops the waiting, not the job."""
    deadline = time.monotonic() + patience
    while True:
        if gone is not None and await gone():
            raise ApiError(499, "The client closed the request; the job goes on")
        with contextlib.suppress(ConnectionFailure):
            doc = await state.jobs.doc(job_id)
            if doc["status"] == "done":
                return doc
            if doc["status"] == "failed":
                error = doc.get("_error") or {}
                raise ApiError(int(error.get("status", 500)), str(doc.get("reason")))
            if doc["status"] == "cancelled":
                raise ApiError(409, f"Job {job_id} was cancelled")
        if time.monotonic() > deadline:
            raise ApiError(
                504,
                f"The job is still running; follow it at /api/v1/jobs/{job_id}",
                details={"job_id": job_id},
            )
        await asyncio.sleep(WAIT_POLL)


async def cancel(state: GatewayState, job_id: str, principal: Principal) -> Job:
    doc = await readable_job(state, job_id)
    if doc.get("_owner") != principal.user_id and principal.role != "admin":
        raise ApiError(403, "Only who started the job, or an admin, can cancel it")
    if doc["status"] in TERMINAL:
        raise ApiError(409, f"Job {job_id} has already ended ({doc['status']})")
    apply: Doc = {
        **(doc.get("_prior") or {}),
        "video_error": {"stage": doc["stage"], "reason": "cancelled", "job_id": job_id},
    }
    ended = await state.jobs.finish(
        job_id, None, "cancelled", reason=f"cancelled by {principal.user_id}", _apply=apply
    )
    if ended is None:
        raise ApiError(409, f"Job {job_id} ended meanwhile")
    await reservations.refund(state, ended, "the job was cancelled")
    if doc.get("task_id"):
        await state.queue.revoke(doc["task_id"])
    # A render under way is stopped by its worker, whose lease is now gone; telling the video
    # service too stops it even if that worker is stuck.
    with contextlib.suppress(ApiError):
        await state.services.video.request("DELETE", f"/renders/{job_id}-{doc['attempts']}")
    if doc["project_id"] is not None:
        await state.projects.release(doc["project_id"], job_id, apply)
    job = to_job(ended)
    await state.events.publish(job)
    return job
