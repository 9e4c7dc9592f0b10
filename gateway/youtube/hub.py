"""What a gateway process holds for YouTube: the sealer, the grants, Google's client, the quota."""

from __future__ import annotations

from gateway.db import Database
from gateway.security.counters import Counters
from gateway.settings import GatewaySettings
from gateway.youtube.google import Google
from gateway.youtube.quota import Quota
from gateway.youtube.sealing import Sealer
from gateway.youtube.tokens import TokenStore


class YouTube:
    def __init__(self, settings: GatewaySettings, db: Database) -> None:
        self.settings = settings
        self.sealer = Sealer(settings.youtube_token_keys, settings.youtube_token_active_kid)
        self.tokens = TokenStore(db, self.sealer)
        self.google = Google(settings, self.tokens)
        self.quota = Quota(db, settings.youtube_daily_quota, settings.youtube_operations_per_hour)
        self.states = db.db["youtube_oauth_states"]
        self.channels = db.db["channels"]
        # Videos a channel generated today, for its daily limit.
        self.channel_videos = Counters(db, "channel_videos")

    async def ensure_indexes(self) -> None:
        await self.tokens.ensure_indexes()
        await self.quota.ensure_indexes()
        await self.states.create_index("expiresAt", name="ttl", expireAfterSeconds=0)
        await self.channels.create_index("user_id", name="user")
        await self.channel_videos.ensure_indexes()

    async def aclose(self) -> None:
        await self.google.aclose()
