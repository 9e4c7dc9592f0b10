"""Data API operations outside the upload: channel statistics, editing a video's snippet,
playlists, and the view counts of a user's uploads."""

from __future__ import annotations

from typing import Any

from contracts.errors import ApiError
from gateway.db import Doc
from gateway.youtube.connect import own_channel
from gateway.youtube.hub import YouTube
from gateway.youtube.models import ChannelInfo, PlaylistRequest, VideoChanges
from gateway.youtube.quota import READ_UNITS, WRITE_UNITS

PLAYLIST_URL = "https://www.youtube.com/playlist?list="
# videos.list takes at most this many ids per call.
IDS_PER_CALL = 50


def _count(statistics: Doc, name: str) -> int:
    value: Any = statistics.get(name, 0)
    return int(value) if str(value).isdigit() else 0


async def channel_info(yt: YouTube, key: str) -> ChannelInfo:
    channel = await own_channel(yt, key)
    if channel is None:
        raise ApiError(404, "The connected Google account has no YouTube channel")
    snippet, stats = channel.get("snippet") or {}, channel.get("statistics") or {}
    thumbnails = snippet.get("thumbnails") or {}
    best = thumbnails.get("high") or thumbnails.get("medium") or thumbnails.get("default") or {}
    return ChannelInfo(
        channel_id=str(channel["id"]),
        channel_title=str(snippet.get("title", "")),
        thumbnail_url=best.get("url"),
        subscriber_count=_count(stats, "subscriberCount"),
        video_count=_count(stats, "videoCount"),
        view_count=_count(stats, "viewCount"),
    )


async def update_video(yt: YouTube, key: str, video_id: str, changes: VideoChanges) -> Doc:
    """videos.update replaces the whole snippet: read it, change what was sent, write it."""
    grant = await yt.google.grant(key)
    await yt.quota.spend(READ_UNITS + WRITE_UNITS)
    found = await yt.google.json(
        grant, "GET", "/videos", params={"part": "snippet", "id": video_id}
    )
    items = found.get("items") or []
    if not items:
        raise ApiError(404, f"YouTube video not found: {video_id}")
    snippet: Doc = dict(items[0].get("snippet") or {})
    for name, value in changes.model_dump(exclude_none=True).items():
        snippet[name] = value
    body = {
        "id": video_id,
        "snippet": {
            "title": snippet.get("title", ""),
            "description": snippet.get("description", ""),
            "tags": snippet.get("tags", []),
            "categoryId": snippet.get("categoryId", "22"),
        },
    }
    return await yt.google.json(grant, "PUT", "/videos", params={"part": "snippet"}, json=body)


async def create_playlist(yt: YouTube, key: str, request: PlaylistRequest) -> Doc:
    grant = await yt.google.grant(key)
    await yt.quota.spend(WRITE_UNITS)
    body = {
        "snippet": {"title": request.title, "description": request.description},
        "status": {"privacyStatus": request.privacy},
    }
    return await yt.google.json(
        grant, "POST", "/playlists", params={"part": "snippet,status"}, json=body
    )


async def view_counts(yt: YouTube, key: str, video_ids: list[str]) -> dict[str, Doc]:
    """videos.list statistics for these ids: id -> {title, views}."""
    grant = await yt.google.grant(key)
    found: dict[str, Doc] = {}
    for start in range(0, len(video_ids), IDS_PER_CALL):
        batch = video_ids[start : start + IDS_PER_CALL]
        await yt.quota.spend(READ_UNITS)
        answer = await yt.google.json(
            grant, "GET", "/videos", params={"part": "snippet,statistics", "id": ",".join(batch)}
        )
        for item in answer.get("items") or []:
            found[str(item["id"])] = {
                "title": (item.get("snippet") or {}).get("title", ""),
                "views": _count(item.get("statistics") or {}, "viewCount"),
            }
    return found
