"""Uploads and the editor's libraries: the video service's ingest contract (the gateway stages an
upload in storage, the service decides what it is) and the gateway's library answers.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

IngestKind = Literal["media", "audio"]
IngestedType = Literal["image", "gif", "video", "audio"]


class IngestRequest(BaseModel):
    """`POST /ingest`: the staged upload under `key` (always deleted by the service), and the
    library it is meant for: `media` takes images, GIFs and video clips, `audio` audio only."""

    key: str = Field(min_length=1, max_length=512)
    kind: IngestKind
    # What the uploader said the file is: never used to decide its type, only to refuse a
    # disguise (an image named `.mp4`).
    filename: str | None = Field(default=None, max_length=255)
    content_type: str | None = Field(default=None, max_length=255)


class IngestedFile(BaseModel):
    """What the upload turned out to be, stored under a new key (and its thumbnail)."""

    key: str
    type: IngestedType
    content_type: str
    size_bytes: int
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    frames: int | None = None
    thumbnail_key: str | None = None
    # Audio: `{"duration", "peaks": [0..1, ...]}` as JSON, for the editor to draw.
    waveform_key: str | None = None
    # What the thumbnail and waveform add to `size_bytes`.
    extra_bytes: int = 0


class MusicPreview(BaseModel):
    """`POST /music/{mood}/preview`: the mood's loop as an MP3 in storage, rendered once."""

    mood: str
    key: str
    waveform_key: str
    duration: float
    size_bytes: int


class Dimensions(BaseModel):
    width: int
    height: int


class Pagination(BaseModel):
    current_page: int
    total_pages: int
    total_items: int
    items_per_page: int


class MediaItem(BaseModel):
    id: str
    type: Literal["image", "video", "gif"]
    title: str
    url: str
    thumbnail_url: str | None
    source: Literal["stock", "uploaded", "ai"]
    category: str | None
    tags: list[str]
    dimensions: Dimensions | None
    duration: float | None
    is_premium: bool


class AudioItem(BaseModel):
    id: str
    title: str
    artist: str | None
    duration: float | None
    category: str | None
    tags: list[str]
    url: str
    waveform_url: str | None
    thumbnail_url: str | None
    is_premium: bool
    is_favorite: bool


class MediaPageData(BaseModel):
    media: list[MediaItem]
    pagination: Pagination


class MediaPage(BaseModel):
    success: bool = True
    data: MediaPageData


class AudioPageData(BaseModel):
    audio: list[AudioItem]
    pagination: Pagination


class AudioPage(BaseModel):
    success: bool = True
    data: AudioPageData


class MediaUploadData(BaseModel):
    media: MediaItem


class MediaUploaded(BaseModel):
    success: bool = True
    message: str = "Media uploaded successfully"
    data: MediaUploadData


class AudioUploadData(BaseModel):
    audio: AudioItem


class AudioUploaded(BaseModel):
    success: bool = True
    message: str = "Audio uploaded successfully"
    data: AudioUploadData


class FavoriteRequest(BaseModel):
    is_favorite: bool = Field(description="true to add to favorites, false to remove")


class FavoriteAnswer(BaseModel):
    success: bool = True
    message: str = "Audio favorite status updated"
    is_favorite: bool


class LibraryDeleted(BaseModel):
    success: bool = True
    message: str
