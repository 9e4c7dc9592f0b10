"""The credit ledger: append-only entries (grant, purchase, deduction, refund), each under a
unique idempotency key; a user's balance is derived from it.

Correctness without multi-document transactions comes from numbering: a user's entries carry
consecutive sequence numbers, unique per user (an index), and each entry stores the balance
after it, computed from the entry before. An entry is therefore committed the moment it is
inserted, and two writers can never both append entry n+1: the loser's insert fails on the
index and it starts again from the new balance. A debit is appended only if the balance it
follows covers it, so the chain never goes below zero however many requests race.

The user document caches the chain's head (`credits`, `credits_seq`), moved forward by a
conditional update `{credits_seq: n} -> n+1`. A writer that dies between inserting its entry
and moving the head leaves the head one behind; every read and write first catches the head up
from the ledger (the repair path), so the cache always comes to agree with the ledger.
`recompute` sums the ledger itself, for checks.

A user's starting balance (set when the account is made) becomes the first entry on first use.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass
from typing import Any, Literal

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from contracts.errors import ApiError
from gateway.clock import now_iso
from gateway.db import Database, Doc

EntryType = Literal["grant", "purchase", "deduction", "refund"]
# Optimistic appends under contention: each lost race costs one more try.
MAX_TRIES = 200
BACKOFF_MAX = 0.02


class InsufficientCredits(ApiError):
    def __init__(self, balance: int, needed: int) -> None:
        super().__init__(
            402,
            f"Not enough credits: this needs {needed}, the balance is {balance}",
            details={"balance": balance, "needed": needed},
        )


@dataclass(frozen=True)
class Head:
    balance: int
    seq: int


class CreditLedger:
    def __init__(self, db: Database) -> None:
        self.entries = db.db["credit_ledger"]
        self.users = db.db["users"]

    async def ensure_indexes(self) -> None:
        await self.entries.create_index(
            [("user_id", ASCENDING), ("seq", ASCENDING)], name="user_seq", unique=True
        )

    async def _user(self, user_id: str) -> Doc:
        doc = await self.users.find_one(
            {"_id": user_id}, {"credits": 1, "credits_seq": 1, "tier": 1}
        )
        if doc is None:
            raise ApiError(404, f"User not found: {user_id}")
        return doc

    async def _head(self, user_id: str) -> tuple[Head, Doc]:
        """The caught-up head of a user's chain (opening it, repairing a lagging cache)."""
        for _ in range(MAX_TRIES):
            user = await self._user(user_id)
            seq = user.get("credits_seq")
            if seq is None:
                await self._open(user)
                continue
            ahead = await self.entries.find_one({"user_id": user_id, "seq": seq + 1})
            if ahead is not None:
                await self._advance(user_id, seq, ahead)
                continue
            return Head(int(user.get("credits", 0)), int(seq)), user
        raise _busy()

    async def _open(self, user: Doc) -> None:
        starting = int(user.get("credits", 0))
        entry = _entry(
            f"open:{user['_id']}", user["_id"], 1, "grant", starting, starting, "Starting credits"
        )
        with contextlib.suppress(DuplicateKeyError):  # opened by a concurrent request
            await self.entries.insert_one(entry)
        await self.users.update_one(
            {"_id": user["_id"], "credits_seq": {"$exists": False}},
            {"$set": {"credits": starting, "credits_seq": 1}},
        )

    async def _advance(self, user_id: str, seq: int, entry: Doc) -> None:
        await self.users.update_one(
            {"_id": user_id, "credits_seq": seq},
            {"$set": {"credits": entry["balance"], "credits_seq": entry["seq"]}},
        )

    async def post(
        self,
        user_id: str,
        key: str,
        kind: EntryType,
        amount: int,
        description: str,
        **details: Any,
    ) -> tuple[Doc, bool]:
        """Append one entry, once per key: (the entry, whether this call appended it).

        A debit the balance does not cover raises InsufficientCredits and appends nothing."""
        for _ in range(MAX_TRIES):
            existing = await self.entries.find_one({"_id": key})
            if existing is not None:
                if existing["user_id"] != user_id:
                    raise ApiError(409, "This idempotency key was used for another user")
                return existing, False
            head, _ = await self._head(user_id)
            balance = head.balance + amount
            if amount < 0 and balance < 0:
                raise InsufficientCredits(head.balance, -amount)
            entry = _entry(key, user_id, head.seq + 1, kind, amount, balance, description)
            entry.update(details)
            try:
                await self.entries.insert_one(entry)
            except DuplicateKeyError:
                # Another entry took this place in the chain (or this key was just used):
                # the next round sees which.
                await asyncio.sleep(random.uniform(0, BACKOFF_MAX))  # noqa: S311 (jitter)
                continue
            await self._advance(user_id, head.seq, entry)
            return entry, True
        raise _busy()

    async def balance(self, user_id: str) -> tuple[int, str]:
        """The balance and the user's tier."""
        head, user = await self._head(user_id)
        return head.balance, str(user.get("tier", "free"))

    async def history(self, user_id: str, limit: int) -> list[Doc]:
        cursor = self.entries.find({"user_id": user_id}, sort=[("seq", DESCENDING)]).limit(limit)
        return [doc async for doc in cursor]

    async def entry(self, key: str) -> Doc | None:
        return await self.entries.find_one({"_id": key})

    async def recompute(self, user_id: str) -> int:
        """The balance as the sum of every entry (the cache must always come to equal it)."""
        total = 0
        async for doc in self.entries.find({"user_id": user_id}, {"amount": 1}):
            total += int(doc["amount"])
        return total


def _entry(
    key: str,
    user_id: str,
    seq: int,
    kind: EntryType,
    amount: int,
    balance: int,
    description: str,
) -> Doc:
    return {
        "_id": key,
        "user_id": user_id,
        "seq": seq,
        "type": kind,
        "amount": amount,
        "balance": balance,
        "description": description,
        "createdAt": now_iso(),
    }


def _busy() -> ApiError:
    return ApiError(503, "Credits are busy; try again shortly", headers={"Retry-After": "1"})
