"""The audit log: who did what sensitive thing (logins, role changes, key creation, deletions).

Each entry is a document (kept for an admin to query) and a log line (for the log pipeline).
Writing it never fails the action it records.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from pymongo import DESCENDING

from gateway.clock import now_iso
from gateway.db import Database, Doc
from runtime.request_id import current_request_id

log = logging.getLogger("gateway.audit")


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.collection = db.db["audit"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("at", DESCENDING)], name="at")

    async def record(
        self,
        action: str,
        *,
        actor: str | None,
        target: str | None = None,
        ip: str | None = None,
        outcome: str = "ok",
        **details: Any,
    ) -> None:
        entry: Doc = {
            "_id": uuid.uuid4().hex,
            "at": now_iso(),
            "action": action,
            "actor": actor,
            "target": target,
            "ip": ip,
            "outcome": outcome,
            "request_id": current_request_id(),
            "details": details,
        }
        log.info("audit %s actor=%s target=%s outcome=%s", action, actor, target, outcome)
        try:
            await self.collection.insert_one(entry)
        except Exception:
            log.exception("could not store the audit entry for %s", action)

    async def latest(self, action: str | None, actor: str | None, limit: int) -> list[Doc]:
        query: Doc = {}
        if action:
            query["action"] = action
        if actor:
            query["actor"] = actor
        cursor = self.collection.find(query, sort=[("at", DESCENDING)]).limit(limit)
        out = []
        async for doc in cursor:
            doc["id"] = doc.pop("_id")
            out.append(doc)
        return out
