"""Jobs in MongoDB: the source of truth for what is queued, running and finished.

Stored documents carry internal fields the API never shows: `_owner` (who asked), `_params` (the
request a worker needs), `_queue` and `_priority` (where its messages go), `_next` (the stage a
worker starts from), `_lease` and `_hb` (which task execution holds the job, and when it last
reported: a lease older than `job_lease_seconds` is taken over, so a job survives the death of any
worker), `_not_before` (a scheduled start), `_images` (per-image results of a fan-out) and
`_error` (the status and detail of a failure, so a waiting caller gets the same answer the
service gave) and `_made` (a user's own AI job's service answer, so a job run again keeps
one file).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument

from contracts.errors import ApiError
from contracts.jobs import Job, JobKind, JobStatus
from gateway.clock import now_iso
from gateway.db import Database, Doc

ACTIVE: tuple[JobStatus, ...] = ("queued", "running")
# Recent finished jobs whose durations make the estimate of a queued job's wait.
ESTIMATE_WINDOW = 20


class JobNotFound(ApiError):
    def __init__(self, job_id: str) -> None:
        super().__init__(404, f"Job not found: {job_id}")


def to_job(doc: Doc) -> Job:
    return Job.model_validate(
        {"id": doc["_id"], **{k: v for k, v in doc.items() if not k.startswith("_")}}
    )


class JobStore:
    def __init__(self, db: Database) -> None:
        self.collection = db.db["jobs"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("project_id", ASCENDING)], name="project")
        await self.collection.create_index([("status", ASCENDING)], name="status")
        await self.collection.create_index([("_owner", ASCENDING)], name="owner")
        await self.collection.create_index([("createdAt", DESCENDING)], name="created")

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex

    async def create(
        self,
        job_id: str,
        project_id: str | None,
        kind: JobKind,
        *,
        owner: str | None,
        stages: list[str],
        params: Doc,
        queue: str,
        priority: int,
        not_before: float | None = None,
    ) -> Job:
        stamp = now_iso()
        doc: Doc = {
            "_id": job_id,
            "project_id": project_id,
            "kind": kind,
            "status": "queued",
            "stage": "scheduled" if not_before else "queued",
            "percent": 0.0,
            "stages": stages,
            "attempts": 0,
            "task_id": None,
            "reason": None,
            "failed_stage": None,
            "result": None,
            "createdAt": stamp,
            "updatedAt": stamp,
            "startedAt": None,
            "finishedAt": None,
            "_owner": owner,
            "_params": params,
            "_queue": queue,
            "_priority": priority,
            "_next": stages[0],
            "_lease": None,
            "_hb": None,
            "_not_before": not_before,
            "_created": time.time(),
        }
        await self.collection.insert_one(doc)
        return to_job(doc)

    async def _count(self, query: Doc) -> int:
        # The `count` command: the embedded server's count_documents (an aggregation) does not
        # match `null`, which the queue position relies on.
        answer = await self.collection.database.command("count", self.collection.name, query=query)
        return int(answer["n"])

    async def doc(self, job_id: str) -> Doc:
        found = await self.collection.find_one({"_id": job_id})
        if found is None:
            raise JobNotFound(job_id)
        return found

    async def get(self, job_id: str) -> Job:
        return to_job(await self.doc(job_id))

    async def set(self, job_id: str, **fields: Any) -> None:
        await self.collection.update_one(
            {"_id": job_id}, {"$set": {**fields, "updatedAt": now_iso()}}
        )

    async def page(self, query: Doc, page: int, limit: int) -> tuple[list[Job], int]:
        total = await self._count(query)
        cursor = self.collection.find(
            query, sort=[("_created", DESCENDING)], skip=(page - 1) * limit, limit=limit
        )
        return [to_job(doc) async for doc in cursor], total

    async def latest_for(self, project_id: str, status: JobStatus | None = None) -> Doc | None:
        query: Doc = {"project_id": project_id}
        if status:
            query["status"] = status
        return await self.collection.find_one(query, sort=[("_created", DESCENDING)])

    # --- the lease: which task execution runs a job ----------------------------------------

    async def claim(self, job_id: str, lease: str, stale_after: float) -> Doc | None:
        """Take the job for this execution if it is queued and free, or its holder went quiet.

        None: the job ended, was cancelled, or another live execution holds it, so a duplicate
        or redelivered message does nothing."""
        now = time.time()
        # Two tries rather than one `$or`, which the embedded server mismatches beside other
        # fields.
        for free in ({"_lease": None}, {"_hb": {"$lt": now - stale_after}}):
            doc = await self.collection.find_one_and_update(
                {"_id": job_id, "status": {"$in": list(ACTIVE)}, **free},
                {
                    "$set": {
                        "status": "running",
                        "_lease": lease,
                        "_hb": now,
                        "updatedAt": now_iso(),
                    },
                    "$inc": {"attempts": 1},
                },
                return_document=ReturnDocument.AFTER,
            )
            if doc is not None:
                return doc
        return None

    async def report(self, job_id: str, lease: str, **fields: Any) -> bool:
        """Progress from the execution holding the job; False if it no longer holds it
        (cancelled, or taken over after it went quiet): it must stop."""
        result = await self.collection.update_one(
            {"_id": job_id, "_lease": lease, "status": "running"},
            {"$set": {**fields, "_hb": time.time(), "updatedAt": now_iso()}},
        )
        return result.matched_count == 1

    async def hand_off(self, job_id: str, lease: str, **fields: Any) -> bool:
        """Release the lease while the job goes on elsewhere (a fan-out, a wait for a service)."""
        return await self.report(job_id, lease, _lease=None, **fields)

    async def finish(
        self, job_id: str, lease: str | None, status: JobStatus, **fields: Any
    ) -> Doc | None:
        """End the job (done, failed or cancelled); only its holder may, when `lease` is given."""
        query: Doc = {"_id": job_id, "status": {"$in": list(ACTIVE)}}
        if lease is not None:
            query["_lease"] = lease
        return await self.collection.find_one_and_update(
            query,
            {
                "$set": {
                    **fields,
                    "status": status,
                    "_lease": None,
                    "finishedAt": now_iso(),
                    "updatedAt": now_iso(),
                }
            },
            return_document=ReturnDocument.AFTER,
        )

    # --- fan-out of images -----------------------------------------------------------------

    async def image_done(self, job_id: str, index: int, outcome: Doc) -> Doc | None:
        """Record one image's outcome; the job document after the write."""
        return await self.collection.find_one_and_update(
            {"_id": job_id, "status": "running"},
            {"$set": {f"_images.{index}": outcome, "_hb": time.time()}},
            return_document=ReturnDocument.AFTER,
        )

    async def take_continuation(self, job_id: str) -> bool:
        """True for exactly one caller once every image is in: the one that continues the job."""
        result = await self.collection.update_one(
            {"_id": job_id, "_fanout": True}, {"$set": {"_fanout": False}}
        )
        return result.modified_count == 1

    # --- what the sweep and the estimates read ---------------------------------------------

    async def stale(self, stale_after: float) -> list[Doc]:
        """Running jobs nobody has reported on for `stale_after` seconds."""
        cutoff = time.time() - stale_after
        cursor = self.collection.find({"status": "running", "_hb": {"$lt": cutoff}})
        return [doc async for doc in cursor]

    async def due(self) -> list[Doc]:
        """Scheduled jobs whose time has come."""
        cursor = self.collection.find(
            {"status": "queued", "_not_before": {"$ne": None, "$lte": time.time()}}
        )
        return [doc async for doc in cursor]

    async def position(self, doc: Doc) -> int:
        """Queued jobs of the same queue that will run before this one."""
        waiting: Doc = {"status": "queued", "_not_before": None, "_queue": doc["_queue"]}
        # Two counts rather than one `$or`, which the embedded server mismatches beside other
        # fields: higher priorities, then the same priority queued earlier.
        ahead = await self._count({**waiting, "_priority": {"$lt": doc["_priority"]}})
        return ahead + await self._count(
            {**waiting, "_priority": doc["_priority"], "_created": {"$lt": doc["_created"]}}
        )

    async def running_count(self, queue: str) -> int:
        return await self._count({"status": "running", "_queue": queue})

    async def mean_seconds(self, kind: str) -> float | None:
        """Mean run time of the recent finished jobs of a kind (a moving average)."""
        cursor = self.collection.find(
            {"kind": kind, "status": "done", "_seconds": {"$ne": None}},
            {"_seconds": 1},
            sort=[("_created", DESCENDING)],
            limit=ESTIMATE_WINDOW,
        )
        seconds = [float(doc["_seconds"]) async for doc in cursor if doc.get("_seconds")]
        return sum(seconds) / len(seconds) if seconds else None
