"""The YouTube routes' bodies and answers (the app's calls, seed 001's and seed 003's)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.text import Text

Privacy = Literal["public", "private", "unlisted"]
Tag = Annotated[Text, Field(max_length=100)]


class AuthStatus(BaseModel):
    is_authenticated: bool
    configured: bool
    youtube_channel_id: str | None = None


class AuthUrl(BaseModel):
    auth_url: str


class Done(BaseModel):
    message: str


class ChannelInfo(BaseModel):
    channel_id: str
    channel_title: str
    thumbnail_url: str | None
    subscriber_count: int
    video_count: int
    view_count: int


class AppUploadAnswer(BaseModel):
    youtube_video_id: str | None
    youtube_url: str | None
    uploaded_at: str | None
    scheduled_publish_at: str | None
    is_premiere: bool


class VideoChanges(BaseModel):
    """The app's PATCH of a video it uploaded."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[Text, Field(min_length=1, max_length=100)] | None = None
    description: Annotated[Text, Field(max_length=5000)] | None = None
    tags: Annotated[list[Tag], Field(max_length=50)] | None = None


class PublishRequest(BaseModel):
    """`POST /api/v1/videos/{id}/publish` (seed 003)."""

    model_config = ConfigDict(extra="forbid")

    privacy_status: Privacy = "public"
    # An ISO time with a zone, or local time read in `timezone` (default YOUTUBE_DEFAULT_TIMEZONE).
    publish_at: Annotated[str, Field(max_length=40)] | None = None
    timezone: Annotated[str, Field(max_length=64)] | None = None
    is_premiere: bool = False
    title: Annotated[Text, Field(min_length=1, max_length=100)] | None = None
    description: Annotated[Text, Field(max_length=5000)] | None = None
    tags: Annotated[list[Tag], Field(max_length=50)] | None = None
    playlist_id: Annotated[str, Field(max_length=64)] | None = None
    channel_id: Annotated[str, Field(max_length=64)] | None = None


class SeedUploadRequest(BaseModel):
    """Seed 001's `POST /api/v1/youtube/upload`."""

    model_config = ConfigDict(extra="forbid")

    projectId: Annotated[str, Field(min_length=1, max_length=64)]
    title: Annotated[Text, Field(min_length=1, max_length=100)] | None = None
    description: Annotated[Text, Field(max_length=5000)] | None = None
    tags: Annotated[list[Tag], Field(max_length=50)] | None = None
    privacy: Privacy = "public"
    publishAt: Annotated[str, Field(max_length=40)] | None = None
    playlistId: Annotated[str, Field(max_length=64)] | None = None


class SeedUploadAnswer(BaseModel):
    videoId: str
    url: str
    status: Literal["uploaded", "scheduled"]


class PlaylistRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[Text, Field(min_length=1, max_length=150)]
    description: Annotated[Text, Field(max_length=5000)] = ""
    privacy: Privacy = "public"


class Playlist(BaseModel):
    playlistId: str
    title: str
    url: str


class PlaylistItemRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    videoId: Annotated[str, Field(min_length=1, max_length=64)]


class PlaylistItem(BaseModel):
    playlistItemId: str
    playlistId: str
    videoId: str


class UploadedVideo(BaseModel):
    id: str
    projectId: str
    title: str
    views: int
    uploadedAt: str | None
    url: str


class UploadedVideos(BaseModel):
    videos: list[UploadedVideo]


class QuotaUsage(BaseModel):
    daily_limit: int
    used_today: int
    remaining: int
    upload_cost: int
