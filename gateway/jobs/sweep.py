"""The sweep, run by Celery beat: jobs whose worker vanished, schedules that came due, and
projects still held by a job that has ended.

Redis hands back a message whose worker died only after the visibility timeout (hours, so a
long render is never delivered twice); the lease in MongoDB lets the sweep take such a job over
within `job_lease_seconds` seconds instead.
"""

from __future__ import annotations

import logging
import time

from contracts.errors import ApiError
from contracts.jobs import TERMINAL
from gateway.credits.reservations import settle_or_refund
from gateway.jobs.steps import end_failed
from gateway.state import GatewayState

log = logging.getLogger("gateway.jobs.sweep")


async def sweep(state: GatewayState) -> dict[str, int]:
    counts = {
        "taken_over": await _take_over(state),
        "due": await _start_due(state),
        "repaired": await _repair_projects(state),
        "credits_repaired": await _repair_credits(state),
    }
    if any(counts.values()):
        log.info("sweep: %s", counts)
    return counts


async def _take_over(state: GatewayState) -> int:
    settings = state.settings
    taken = 0
    for doc in await state.jobs.stale(settings.job_lease_seconds):
        # Images being drawn by other tasks: quiet while they wait in the queue, not lost.
        if (
            doc.get("_fanout")
            and doc["_hb"] > time.time() - settings.job_visibility_timeout_seconds
        ):
            continue
        if doc["attempts"] >= settings.job_max_attempts:
            reason = f"Its worker stopped {doc['attempts']} times; giving up"
            await end_failed(state, doc, None, doc["_next"], ApiError(500, reason))
            continue
        await state.jobs.set(
            doc["_id"], status="queued", stage="queued again: its worker stopped", _lease=None
        )
        await state.queue.run_job(doc["_id"], doc["_priority"])
        taken += 1
    return taken


async def _start_due(state: GatewayState) -> int:
    due = await state.jobs.due()
    for doc in due:
        await state.jobs.set(doc["_id"], _not_before=None, stage="queued")
        task_id = await state.queue.run_job(doc["_id"], doc["_priority"])
        await state.jobs.set(doc["_id"], task_id=task_id)
    return len(due)


async def _repair_projects(state: GatewayState) -> int:
    repaired = 0
    for project_id, job_id in await state.projects.locked():
        try:
            doc = await state.jobs.doc(job_id)
        except ApiError:
            doc = None  # its job is gone: free the project as it is
        if doc is not None and doc["status"] not in TERMINAL:
            continue
        changes = (doc or {}).get("_apply") or {}
        if await state.projects.release(project_id, job_id, changes):
            repaired += 1
    return repaired


async def _repair_credits(state: GatewayState) -> int:
    """Ended jobs whose worker died before settling or refunding their credits."""
    query = {"status": {"$in": list(TERMINAL)}, "_credits.state": "reserved"}
    ended = await state.jobs.collection.find(query).to_list(100)
    for doc in ended:
        await settle_or_refund(state, doc)
    return len(ended)
