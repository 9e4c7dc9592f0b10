"""Fixed-window counters in the database, so every gateway replica counts against one limit.

One document per (subject, window): `$inc` on an upsert, with a TTL index dropping old windows.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from contracts.errors import ApiError
from gateway.db import Database


@dataclass(frozen=True)
class Window:
    count: int
    limit: int
    retry_after: int

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


def too_many(detail: str, window: Window) -> ApiError:
    return ApiError(
        429,
        detail,
        details={"retryAfter": window.retry_after, "limit": window.limit},
        headers={
            "Retry-After": str(window.retry_after),
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": "0",
        },
    )


class Counters:
    def __init__(self, db: Database, name: str) -> None:
        self.collection = db.db[name]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("expiresAt", name="ttl", expireAfterSeconds=0)

    def _slot(self, subject: str, period: int) -> tuple[str, float]:
        start = math.floor(time.time() / period) * period
        return f"{subject}|{period}|{int(start)}", start + period

    async def hit(self, subject: str, limit: int, period: int, count: int = 1) -> Window:
        """Count `count` uses (a batch is several) in the current window."""
        key, end = self._slot(subject, period)
        try:
            doc = await self.collection.find_one_and_update(
                {"_id": key},
                {"$inc": {"n": count}, "$set": {"expiresAt": datetime.fromtimestamp(end, UTC)}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            # Two first hits raced on the upsert; the loser's increment goes to the winner's doc.
            doc = await self.collection.find_one_and_update(
                {"_id": key}, {"$inc": {"n": count}}, return_document=ReturnDocument.AFTER
            )
        count = int(doc["n"]) if doc else 1
        return Window(count, limit, max(math.ceil(end - time.time()), 1))

    async def peek(self, subject: str, period: int) -> int:
        key, _ = self._slot(subject, period)
        doc = await self.collection.find_one({"_id": key})
        return int(doc["n"]) if doc else 0
