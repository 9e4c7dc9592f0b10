"""Long-running work (renders) as jobs in MongoDB: status, stage and percent anyone can read.

A job is never lost silently: one still marked running when a gateway starts was cut off by a
restart, and is marked failed with that reason instead of staying at some percent forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable
from typing import Any, Literal

from pydantic import BaseModel

from contracts.errors import ApiError
from gateway.clock import now_iso
from gateway.db import Database, Doc

log = logging.getLogger("gateway.jobs")
JobStatus = Literal["queued", "running", "done", "failed"]


class Job(BaseModel):
    id: str
    project_id: str
    kind: str
    status: JobStatus
    stage: str
    percent: float
    reason: str | None = None
    result: dict[str, Any] | None = None
    createdAt: str
    updatedAt: str


def _job(doc: Doc) -> Job:
    return Job.model_validate({"id": doc.pop("_id"), **doc})


class JobStore:
    def __init__(self, db: Database) -> None:
        self.collection = db.db["jobs"]
        self.tasks: set[asyncio.Task[Any]] = set()

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("project_id", name="project")
        await self.collection.create_index("status", name="status")

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex

    async def create(self, job_id: str, project_id: str, kind: str) -> Job:
        stamp = now_iso()
        doc: Doc = {
            "_id": job_id,
            "project_id": project_id,
            "kind": kind,
            "status": "queued",
            "stage": "queued",
            "percent": 0.0,
            "reason": None,
            "result": None,
            "createdAt": stamp,
            "updatedAt": stamp,
        }
        await self.collection.insert_one(dict(doc))
        return _job(doc)

    async def update(self, job_id: str, **fields: Any) -> None:
        await self.collection.update_one(
            {"_id": job_id}, {"$set": {**fields, "updatedAt": now_iso()}}
        )

    async def get(self, job_id: str) -> Job:
        doc = await self.collection.find_one({"_id": job_id})
        if doc is None:
            raise ApiError(404, f"Job not found: {job_id}")
        return _job(doc)

    async def fail_interrupted(self) -> int:
        result = await self.collection.update_many(
            {"status": {"$in": ["queued", "running"]}},
            {"$set": {"status": "failed", "reason": "interrupted: the gateway restarted",
                      "updatedAt": now_iso()}},
        )  # fmt: skip
        return int(result.modified_count)

    def spawn(self, work: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        """Run work that must finish even if the request that started it goes away.

        Its outcome is logged here, once, whoever awaits it: a failure nobody awaited would
        otherwise surface as asyncio's "Task exception was never retrieved", which reads like
        a crash."""
        task: asyncio.Task[Any] = asyncio.ensure_future(work)
        task.set_name(name)
        self.tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if isinstance(exc, ApiError):
            # An expected failure with a reason (a service's error, bad input): no traceback.
            log.warning("%s failed: %s", task.get_name(), exc.detail)
        elif exc is not None:
            log.error("%s failed", task.get_name(), exc_info=exc)

    async def cancel_all(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            with contextlib.suppress(BaseException):
                await task
