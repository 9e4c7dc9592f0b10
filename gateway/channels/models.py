"""A channel as the API takes and shows it."""

from __future__ import annotations

import re
import zoneinfo
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.project import ImageStyle, Language, Resolution, VoiceId
from contracts.script import ScriptStyle
from contracts.text import Text
from contracts.video import Aspect, Template

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Privacy = Literal["public", "private", "unlisted"]
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
EVERY_DAY: list[Weekday] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class PublishSchedule(BaseModel):
    """When a channel's generated videos go public: the next of these slots after the render."""

    model_config = ConfigDict(extra="forbid")

    days: list[Weekday] = Field(
        default_factory=lambda: list(EVERY_DAY),
        min_length=1,
        max_length=7,
    )
    times: list[Annotated[str, Field(max_length=5)]] = Field(min_length=1, max_length=24)
    timezone: Annotated[str, Field(max_length=64)] = "UTC"

    @field_validator("times")
    @classmethod
    def _clock_times(cls, value: list[str]) -> list[str]:
        for item in value:
            if not _HHMM.match(item):
                raise ValueError(f"{item!r} is not a time of day as HH:MM (e.g. 18:30)")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Paris)") from None
        return value


class ChannelFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    niche: Annotated[Text, Field(max_length=100)] = ""
    description: Annotated[Text, Field(max_length=5000)] = ""
    is_active: bool = True
    language: Language = "en"
    voice: VoiceId = "alloy"
    style: ScriptStyle = "educational"
    image_style: ImageStyle = "realistic"
    template: Template = "ken_burns"
    aspect: Aspect = "16:9"
    resolution: Resolution = "720p"
    auto_publish: bool = False
    privacy_status: Privacy = "public"
    publish_schedule: PublishSchedule | None = None


class ChannelCreate(ChannelFields):
    name: Annotated[Text, Field(min_length=1, max_length=100)]


class ChannelUpdate(BaseModel):
    """PATCH: only what is sent changes."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text, Field(min_length=1, max_length=100)] | None = None
    niche: Annotated[Text, Field(max_length=100)] | None = None
    description: Annotated[Text, Field(max_length=5000)] | None = None
    is_active: bool | None = None
    language: Language | None = None
    voice: VoiceId | None = None
    style: ScriptStyle | None = None
    image_style: ImageStyle | None = None
    template: Template | None = None
    aspect: Aspect | None = None
    resolution: Resolution | None = None
    auto_publish: bool | None = None
    privacy_status: Privacy | None = None
    publish_schedule: PublishSchedule | None = None


class Channel(ChannelCreate):
    model_config = ConfigDict(extra="ignore")

    id: str
    user_id: str
    youtube_channel_id: str | None = None
    connected: bool = False
    total_videos: int = 0
    created_at: str
    updated_at: str


class ConnectUrl(BaseModel):
    auth_url: str


class ChannelStats(BaseModel):
    channel_id: str
    connected: bool
    youtube_channel_id: str | None
    total_videos: int
    published_videos: int
    videos_today: int
    daily_video_limit: int
    subscriber_count: int | None
    view_count: int | None
    video_count: int | None
