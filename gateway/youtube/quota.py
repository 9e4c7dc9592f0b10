"""YouTube API units: the API project's daily allocation, counted before each call so a call
that would run it out is refused here (429) instead of failing at Google; units per studio
project; and the hourly limit on a user's YouTube operations."""

from __future__ import annotations

from gateway.db import Database
from gateway.security.counters import Counters, Window, too_many
from gateway.youtube.google import QUOTA_EXCEEDED

DAY = 24 * 3600
HOUR = 3600
# The Data API's documented costs.
UPLOAD_UNITS = 1600
WRITE_UNITS = 50  # thumbnails.set, videos.update, playlists.insert, playlistItems.insert
READ_UNITS = 1  # channels.list, videos.list, playlistItems.list


class Quota:
    def __init__(self, db: Database, daily_limit: int, per_hour: int) -> None:
        self.daily = Counters(db, "youtube_quota")
        self.hourly = Counters(db, "youtube_operations")
        self.usage = db.db["youtube_usage"]
        self.limit = daily_limit
        self.per_hour = per_hour

    async def ensure_indexes(self) -> None:
        await self.daily.ensure_indexes()
        await self.hourly.ensure_indexes()

    async def spend(self, units: int, project_id: str | None = None) -> None:
        window = await self.daily.hit("units", self.limit, DAY, count=units)
        if window.exceeded:
            await self.daily.hit("units", self.limit, DAY, count=-units)
            used = window.count - units
            refusal = too_many(
                f"YouTube's daily API quota would run out: {used} of {self.limit} units used "
                f"today and this needs {units}",
                Window(window.count, self.limit, window.retry_after),
            )
            refusal.code = QUOTA_EXCEEDED
            raise refusal
        if project_id is not None:
            await self.usage.update_one(
                {"_id": project_id}, {"$inc": {"units": units}}, upsert=True
            )

    async def check(self, units: int) -> None:
        """Refuse now what would run the quota out, without spending anything."""
        used = await self.used_today()
        if used + units > self.limit:
            await self.spend(units)  # raises the 429, with the window's Retry-After

    async def exhausted(self) -> None:
        """Google said the quota is spent: count the day as used up, so calls stop early."""
        used = await self.daily.peek("units", DAY)
        if used < self.limit:
            await self.daily.hit("units", self.limit, DAY, count=self.limit - used)

    async def used_today(self) -> int:
        return await self.daily.peek("units", DAY)

    async def project_units(self, project_id: str) -> int:
        doc = await self.usage.find_one({"_id": project_id})
        return int(doc["units"]) if doc else 0

    async def operation(self, user_id: str) -> None:
        window = await self.hourly.hit(f"ops:{user_id}", self.per_hour, HOUR)
        if window.exceeded:
            raise too_many(f"YouTube operation limit reached: {self.per_hour} per hour", window)
