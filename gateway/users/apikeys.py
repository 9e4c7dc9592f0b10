"""API keys for programmatic access: `sk_<id>_<secret>`, stored as a SHA-256 of the whole key.

A key has high entropy, so a fast hash is enough (unlike a password).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from pymongo import ASCENDING

from contracts.auth import ApiKey, ApiKeyCreated
from contracts.errors import ApiError
from gateway.clock import now_iso
from gateway.db import Database, Doc

PREFIX = "sk_"
MAX_KEYS_PER_USER = 50


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_key(value: str) -> bool:
    return value.startswith(PREFIX)


def key_out(doc: Doc) -> ApiKey:
    return ApiKey(
        id=doc["_id"],
        name=doc["name"],
        prefix=doc["prefix"],
        createdAt=doc["createdAt"],
        expiresAt=doc.get("expiresAt"),
        lastUsedAt=doc.get("lastUsedAt"),
        revoked=bool(doc.get("revoked", False)),
    )


class ApiKeyStore:
    def __init__(self, db: Database) -> None:
        self.keys = db.db["api_keys"]

    async def ensure_indexes(self) -> None:
        await self.keys.create_index([("hash", ASCENDING)], name="hash", unique=True)
        await self.keys.create_index([("owner", ASCENDING)], name="owner")

    async def create(self, owner: str, name: str, expires_in_days: int | None) -> ApiKeyCreated:
        if await self.keys.count_documents({"owner": owner, "revoked": False}) >= MAX_KEYS_PER_USER:
            raise ApiError(409, f"At most {MAX_KEYS_PER_USER} active API keys per user")
        key_id = secrets.token_hex(6)
        key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        expires = None
        if expires_in_days is not None:
            expires = (
                (datetime.now(UTC) + timedelta(days=expires_in_days))
                .isoformat(timespec="milliseconds")
                .replace("+00:00", "Z")
            )
        doc: Doc = {
            "_id": key_id,
            "owner": owner,
            "name": name,
            "prefix": key[: len(PREFIX) + len(key_id)],
            "hash": key_hash(key),
            "createdAt": now_iso(),
            "expiresAt": expires,
            "lastUsedAt": None,
            "revoked": False,
        }
        await self.keys.insert_one(doc)
        return ApiKeyCreated(**key_out(doc).model_dump(), key=key)

    async def list(self, owner: str) -> list[ApiKey]:
        cursor = self.keys.find({"owner": owner}, sort=[("createdAt", ASCENDING)])
        return [key_out(doc) async for doc in cursor]

    async def revoke(self, owner: str, key_id: str) -> str:
        """Revoke one of `owner`'s keys; return its hash so caches can drop it."""
        doc = await self.keys.find_one_and_update(
            {"_id": key_id, "owner": owner}, {"$set": {"revoked": True}}
        )
        if doc is None:
            raise ApiError(404, f"API key not found: {key_id}")
        return str(doc["hash"])

    async def delete_all(self, owner: str) -> None:
        await self.keys.delete_many({"owner": owner})

    async def count(self, owner: str) -> int:
        return await self.keys.count_documents({"owner": owner, "revoked": False})

    async def owner_of(self, key: str) -> str | None:
        """The user id a live key belongs to, or None. Marks the key as used."""
        doc = await self.keys.find_one({"hash": key_hash(key)})
        if doc is None or doc.get("revoked"):
            return None
        stamp = now_iso()
        expires = doc.get("expiresAt")
        if expires is not None and expires <= stamp:
            return None
        await self.keys.update_one({"_id": doc["_id"]}, {"$set": {"lastUsedAt": stamp}})
        return str(doc["owner"])
