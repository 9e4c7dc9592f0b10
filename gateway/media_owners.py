"""Who each stored media file was produced for, so that deleting an account deletes only its own.

Media URLs are handed to browsers by design (`<img src>`), so anyone can paste another user's URL
into a project of theirs: a reference proves nothing about ownership. The gateway records, when a
service hands it a new key, the user it was produced for and the project it was produced in.
"""

from __future__ import annotations

from collections.abc import Iterable

from pymongo import ASCENDING

from gateway.clock import now_iso
from gateway.db import Database


class MediaOwners:
    def __init__(self, db: Database) -> None:
        self.collection = db.db["media"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("owner", ASCENDING)], name="owner")
        await self.collection.create_index([("project", ASCENDING)], name="project")

    async def record(self, keys: Iterable[str], owner: str | None, project_id: str | None) -> None:
        """Idempotent: a key keeps the owner it was first recorded with (a redelivered step may
        report the same key again)."""
        stamp = now_iso()
        for key in keys:
            await self.collection.update_one(
                {"_id": key},
                {"$setOnInsert": {"owner": owner, "project": project_id, "createdAt": stamp}},
                upsert=True,
            )

    async def produced_for(self, user_id: str, project_ids: list[str]) -> list[str]:
        """Keys produced by this user, or in one of these (their own) projects."""
        query = {"$or": [{"owner": user_id}, {"project": {"$in": project_ids}}]}
        return [doc["_id"] async for doc in self.collection.find(query, {"_id": 1})]

    async def forget(self, keys: list[str]) -> None:
        if keys:
            await self.collection.delete_many({"_id": {"$in": keys}})
