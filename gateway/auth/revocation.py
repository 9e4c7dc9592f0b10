"""Revoked sessions, shared by every gateway replica through the database, checked in memory.

Logout revokes one access token (its `jti`) and its refresh family; a replayed refresh token
revokes its family; a password change, role change or deletion cuts off every token a user was
issued before that instant. Each is one document with a TTL (it matters only until the tokens it
names would have expired anyway). Every replica polls for new documents, so a request never waits
on the database to learn whether its token was revoked; the replica that revoked applies it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Literal

from pymongo import ASCENDING

from gateway.auth.tokens import AccessClaims
from gateway.db import Database, Doc

log = logging.getLogger("gateway.auth")
Kind = Literal["token", "family", "user"]
# Replicas' clocks differ a little: re-read a window behind the newest entry seen.
OVERLAP_S = 60.0


class Revocations:
    def __init__(self, db: Database, longest_ttl: int, poll: float) -> None:
        self.collection = db.db["revocations"]
        self.longest_ttl = longest_ttl
        self.poll = poll
        self.tokens: dict[str, float] = {}
        self.families: dict[str, float] = {}
        self.users: dict[str, tuple[int, float]] = {}
        self.seen_until = 0.0
        self.task: asyncio.Task[None] | None = None
        self.stopping = asyncio.Event()

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("expiresAt", name="ttl", expireAfterSeconds=0)
        await self.collection.create_index([("at", ASCENDING)], name="at")

    def _apply(self, doc: Doc) -> None:
        kind, value, until = doc["kind"], doc["value"], float(doc["until"])
        if kind == "token":
            self.tokens[value] = until
        elif kind == "family":
            self.families[value] = until
        else:
            cutoff = int(doc["cutoff_ms"])
            previous = self.users.get(value)
            if previous is None or previous[0] < cutoff:
                self.users[value] = (cutoff, until)
        self.seen_until = max(self.seen_until, float(doc["at"]))

    async def _add(self, kind: Kind, value: str, until: float, cutoff_ms: int = 0) -> None:
        now = time.time()
        doc: Doc = {
            "_id": uuid.uuid4().hex,
            "kind": kind,
            "value": value,
            "until": until,
            "cutoff_ms": cutoff_ms,
            "at": now,
            "expiresAt": datetime.fromtimestamp(until, UTC),
        }
        await self.collection.insert_one(doc)
        self._apply(doc)

    async def revoke_token(self, token_id: str, expires: float) -> None:
        await self._add("token", token_id, expires)

    async def revoke_family(self, family: str) -> None:
        # A family's access tokens live at most longest_ttl after its last refresh.
        await self._add("family", family, time.time() + self.longest_ttl)

    async def cut_off_user(self, user_id: str) -> None:
        now = time.time()
        await self._add("user", user_id, now + self.longest_ttl, cutoff_ms=int(now * 1000))

    def is_revoked(self, claims: AccessClaims) -> bool:
        if claims.token_id in self.tokens:
            return True
        if claims.family is not None and claims.family in self.families:
            return True
        cut = self.users.get(claims.user_id)
        return cut is not None and claims.issued_ms <= cut[0]

    async def sync(self) -> None:
        since = self.seen_until - OVERLAP_S
        async for doc in self.collection.find({"at": {"$gte": since}}):
            self._apply(doc)
        now = time.time()
        self.tokens = {k: v for k, v in self.tokens.items() if v > now}
        self.families = {k: v for k, v in self.families.items() if v > now}
        self.users = {k: v for k, v in self.users.items() if v[1] > now}

    async def _poll(self) -> None:
        while not self.stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), self.poll)
                return
            try:
                await self.sync()
            except Exception:
                # The database may be briefly away; keep the last known list and try again.
                log.warning("could not refresh the revocation list", exc_info=True)

    async def start(self) -> None:
        await self.sync()
        self.task = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        # Let a running read finish rather than cancel it inside the driver: a cancelled
        # operation could leave the client's close waiting on it.
        self.stopping.set()
        if self.task is not None:
            done, _ = await asyncio.wait([self.task], timeout=5)
            if not done:
                self.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self.task
