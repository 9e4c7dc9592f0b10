"""Channels in MongoDB (`channels`): each belongs to one user; another user's answers 404, as
a missing one does."""

from __future__ import annotations

import uuid

from pymongo import ReturnDocument

from contracts.errors import ApiError
from gateway.clock import now_iso
from gateway.db import Database, Doc


class ChannelNotFound(ApiError):
    def __init__(self, channel_id: object) -> None:
        super().__init__(404, f"Channel not found: {channel_id}")


def shown(doc: Doc, connected: bool) -> Doc:
    return {
        "id": doc["_id"],
        **{k: v for k, v in doc.items() if k != "_id"},
        "connected": connected,
    }


class ChannelStore:
    def __init__(self, db: Database) -> None:
        self.collection = db.db["channels"]

    async def count(self, user_id: str) -> int:
        answer = await self.collection.database.command(
            "count", self.collection.name, query={"user_id": user_id}
        )
        return int(answer["n"])

    async def create(self, user_id: str, fields: Doc) -> Doc:
        stamp = now_iso()
        doc: Doc = {
            "_id": uuid.uuid4().hex,
            "user_id": user_id,
            **fields,
            "youtube_channel_id": None,
            "total_videos": 0,
            "created_at": stamp,
            "updated_at": stamp,
        }
        await self.collection.insert_one(doc)
        return doc

    async def get(self, user_id: str, channel_id: object) -> Doc:
        doc = (
            await self.collection.find_one({"_id": channel_id, "user_id": user_id})
            if isinstance(channel_id, str)
            else None
        )
        if doc is None:
            raise ChannelNotFound(channel_id)
        return doc

    async def list(self, user_id: str) -> list[Doc]:
        cursor = self.collection.find({"user_id": user_id}, sort=[("created_at", 1)])
        return [doc async for doc in cursor]

    async def update(self, user_id: str, channel_id: str, changes: Doc) -> Doc:
        doc = await self.collection.find_one_and_update(
            {"_id": channel_id, "user_id": user_id},
            {"$set": {**changes, "updated_at": now_iso()}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            raise ChannelNotFound(channel_id)
        return doc

    async def count_video(self, channel_id: str, count: int) -> None:
        await self.collection.update_one({"_id": channel_id}, {"$inc": {"total_videos": count}})

    async def delete(self, user_id: str, channel_id: str) -> None:
        result = await self.collection.delete_one({"_id": channel_id, "user_id": user_id})
        if result.deleted_count != 1:
            raise ChannelNotFound(channel_id)
