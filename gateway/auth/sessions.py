"""Refresh tokens (rotated, in families) and single-use tokens for password reset and email
verification. All are opaque random strings; only their SHA-256 is stored, so a database dump
holds nothing a client could present.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pymongo import ASCENDING

from gateway.db import Database, Doc

OneTimeKind = Literal["reset", "verify"]


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _expiry(ttl: int) -> tuple[float, datetime]:
    until = time.time() + ttl
    return until, datetime.fromtimestamp(until, UTC)


@dataclass(frozen=True)
class RefreshOutcome:
    """What presenting a refresh token found: a live one (now used), a replay, or nothing."""

    status: Literal["ok", "replayed", "revoked", "expired", "unknown"]
    user_id: str | None = None
    family: str | None = None


class Sessions:
    def __init__(self, db: Database) -> None:
        self.refresh = db.db["refresh_tokens"]
        self.one_time = db.db["one_time_tokens"]

    async def ensure_indexes(self) -> None:
        for collection in (self.refresh, self.one_time):
            await collection.create_index("expiresAt", name="ttl", expireAfterSeconds=0)
            await collection.create_index([("user", ASCENDING)], name="user")
        await self.refresh.create_index([("family", ASCENDING)], name="family")

    async def issue_refresh(self, user_id: str, family: str | None, ttl: int) -> tuple[str, str]:
        """A new refresh token, in `family` (a rotation) or in a new one (a login)."""
        family = family or uuid.uuid4().hex
        token = secrets.token_urlsafe(32)
        until, expires_at = _expiry(ttl)
        await self.refresh.insert_one(
            {
                "_id": digest(token),
                "user": user_id,
                "family": family,
                "used": False,
                "until": until,
                "expiresAt": expires_at,
            }
        )
        return token, family

    async def use_refresh(self, token: str) -> RefreshOutcome:
        key = digest(token)
        # Atomic check-and-set: of two concurrent uses of one token, exactly one wins.
        doc = await self.refresh.find_one_and_update(
            {"_id": key, "used": False}, {"$set": {"used": True}}
        )
        if doc is None:
            seen = await self.refresh.find_one({"_id": key})
            if seen is None:
                return RefreshOutcome("unknown")
            if seen.get("revoked"):
                return RefreshOutcome("revoked", seen["user"], seen["family"])
            return RefreshOutcome("replayed", seen["user"], seen["family"])
        if float(doc["until"]) < time.time():
            return RefreshOutcome("expired", doc["user"], doc["family"])
        return RefreshOutcome("ok", doc["user"], doc["family"])

    async def find_refresh(self, token: str) -> Doc | None:
        return await self.refresh.find_one({"_id": digest(token)})

    async def end_family(self, family: str) -> None:
        await self.refresh.update_many(
            {"family": family}, {"$set": {"used": True, "revoked": True}}
        )

    async def end_user(self, user_id: str) -> None:
        """Close every refresh session of a user (their access tokens are cut off separately)."""
        await self.refresh.update_many({"user": user_id}, {"$set": {"used": True, "revoked": True}})

    async def issue_one_time(self, kind: OneTimeKind, user_id: str, ttl: int) -> str:
        token = secrets.token_urlsafe(32)
        until, expires_at = _expiry(ttl)
        await self.one_time.insert_one(
            {
                "_id": digest(token),
                "kind": kind,
                "user": user_id,
                "used": False,
                "until": until,
                "expiresAt": expires_at,
            }
        )
        return token

    async def use_one_time(self, kind: OneTimeKind, token: str) -> str | None:
        """The user id a live token names, consuming it; None if unknown, used or expired."""
        doc = await self.one_time.find_one_and_update(
            {"_id": digest(token), "kind": kind, "used": False}, {"$set": {"used": True}}
        )
        if doc is None or float(doc["until"]) < time.time():
            return None
        return str(doc["user"])

    async def delete_user(self, user_id: str) -> None:
        await self.refresh.delete_many({"user": user_id})
        await self.one_time.delete_many({"user": user_id})
