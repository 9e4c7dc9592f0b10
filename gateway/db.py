"""The MongoDB connection (PyMongo's native async client) and the indexes the queries rely on."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

Doc = dict[str, Any]


class Database:
    def __init__(self, url: str, name: str, timeout: float) -> None:
        self.client: AsyncMongoClient[Doc] = AsyncMongoClient(
            url,
            serverSelectionTimeoutMS=round(timeout * 1000),
            connectTimeoutMS=round(timeout * 1000),
            socketTimeoutMS=30000,
            maxPoolSize=100,
            appname="ai-studio-gateway",
        )
        self.db: AsyncDatabase[Doc] = self.client[name]

    @property
    def projects(self) -> AsyncCollection[Doc]:
        return self.db["projects"]

    @property
    def counters(self) -> AsyncCollection[Doc]:
        return self.db["counters"]

    async def ensure_indexes(self) -> None:
        # _seq keeps JSON Server's insertion order; the others serve the common filters.
        await self.projects.create_index([("_seq", ASCENDING)], name="seq", unique=True)
        await self.projects.create_index([("status", ASCENDING)], name="status")
        await self.projects.create_index([("updatedAt", ASCENDING)], name="updated")
        # Ownership filters of non-admin lists (gateway/projects/store.py `visible_to`).
        await self.projects.create_index([("_owner", ASCENDING)], name="owner")
        await self.projects.create_index([("_members.user", ASCENDING)], name="members")
        # Whether a media file is still referenced anywhere (account deletion).
        await self.projects.create_index([("_media", ASCENDING)], name="media")

    async def ping(self) -> None:
        await self.client.admin.command("ping")

    async def close(self) -> None:
        await self.client.close()
