"""The YouTube grants in MongoDB: one per user (the app's connection) or per channel, with the
refresh and access tokens sealed (AES-GCM, the record's id as associated data)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from gateway.clock import now_iso
from gateway.db import Database, Doc
from gateway.youtube.sealing import Sealer

# The user's own connection (the app's calls), as opposed to one of their channels'.
ACCOUNT = "account"


def grant_key(user_id: str, channel_id: str | None = None) -> str:
    return f"{user_id}|{channel_id or ACCOUNT}"


@dataclass
class Grant:
    key: str
    user_id: str
    access_token: str
    refresh_token: str | None
    expires_at: float
    youtube_channel_id: str | None


class TokenStore:
    def __init__(self, db: Database, sealer: Sealer) -> None:
        self.collection = db.db["youtube_tokens"]
        self.sealer = sealer

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("user_id", name="user")

    async def save(
        self,
        key: str,
        user_id: str,
        access_token: str,
        refresh_token: str | None,
        expires_in: float,
        youtube_channel_id: str | None = None,
    ) -> None:
        secret = {"access_token": access_token, "refresh_token": refresh_token}
        await self.collection.update_one(
            {"_id": key},
            {
                "$set": {
                    "user_id": user_id,
                    "sealed": self.sealer.seal(json.dumps(secret).encode(), key),
                    "expires_at": time.time() + expires_in,
                    "youtube_channel_id": youtube_channel_id,
                    "connectedAt": now_iso(),
                }
            },
            upsert=True,
        )

    async def load(self, key: str) -> Grant | None:
        doc = await self.collection.find_one({"_id": key})
        if doc is None:
            return None
        secret = json.loads(self.sealer.open(doc["sealed"], key))
        if self.sealer.stale(doc["sealed"]):
            # Read under a retired key: sealed again under the active one.
            resealed = self.sealer.seal(json.dumps(secret).encode(), key)
            await self.collection.update_one({"_id": key}, {"$set": {"sealed": resealed}})
        return Grant(
            key,
            doc["user_id"],
            secret["access_token"],
            secret.get("refresh_token"),
            float(doc["expires_at"]),
            doc.get("youtube_channel_id"),
        )

    async def refreshed(self, grant: Grant, access_token: str, expires_in: float) -> Grant:
        grant.access_token, grant.expires_at = access_token, time.time() + expires_in
        secret = {"access_token": access_token, "refresh_token": grant.refresh_token}
        sealed = self.sealer.seal(json.dumps(secret).encode(), grant.key)
        await self.collection.update_one(
            {"_id": grant.key}, {"$set": {"sealed": sealed, "expires_at": grant.expires_at}}
        )
        return grant

    async def set_channel(self, key: str, youtube_channel_id: str) -> None:
        await self.collection.update_one(
            {"_id": key}, {"$set": {"youtube_channel_id": youtube_channel_id}}
        )

    async def raw(self, key: str) -> Doc | None:
        return await self.collection.find_one({"_id": key})

    async def delete(self, key: str) -> None:
        await self.collection.delete_one({"_id": key})

    async def delete_user(self, user_id: str) -> None:
        await self.collection.delete_many({"user_id": user_id})
