"""Library entries as the editor receives them, with absolute media URLs,
signed where the gateway signs media URLs (auth required), as a private project's are."""

from __future__ import annotations

from math import ceil
from typing import Any

from contracts.library import Pagination
from gateway.db import Doc
from gateway.media_urls import MediaUrls


def _url(urls: MediaUrls, key: str | None) -> str | None:
    return urls.url(key) if key else None


def media_item(doc: Doc, urls: MediaUrls) -> dict[str, Any]:
    width, height = doc.get("width"), doc.get("height")
    item = {
        "id": doc["_id"],
        "type": doc["type"],
        "title": doc["title"],
        "url": urls.url(doc["key"]),
        "thumbnail_url": _url(urls, doc.get("thumbnail_key")),
        "source": doc["source"],
        "category": doc.get("category"),
        "tags": doc.get("tags", []),
        "dimensions": {"width": width, "height": height} if width and height else None,
        "duration": doc.get("duration"),
        "is_premium": bool(doc.get("is_premium")),
    }
    signed: dict[str, Any] = urls.signed(item)
    return signed


def audio_item(doc: Doc, urls: MediaUrls, favorite: bool) -> dict[str, Any]:
    item = {
        "id": doc["_id"],
        "title": doc["title"],
        "artist": doc.get("artist"),
        "duration": doc.get("duration"),
        "category": doc.get("category"),
        "tags": doc.get("tags", []),
        "url": urls.url(doc["key"]),
        "waveform_url": _url(urls, doc.get("waveform_key")),
        "thumbnail_url": _url(urls, doc.get("thumbnail_key")),
        "is_premium": bool(doc.get("is_premium")),
        "is_favorite": favorite,
    }
    signed: dict[str, Any] = urls.signed(item)
    return signed


def pagination(page: int, limit: int, total: int) -> Pagination:
    return Pagination(
        current_page=page,
        total_pages=ceil(total / limit) if total else 0,
        total_items=total,
        items_per_page=limit,
    )


def media_uploaded(doc: Doc, urls: MediaUrls) -> dict[str, Any]:
    return {"success": True, "message": "Media uploaded successfully",
            "data": {"media": media_item(doc, urls)}}  # fmt: skip


def audio_uploaded(doc: Doc, urls: MediaUrls) -> dict[str, Any]:
    return {"success": True, "message": "Audio uploaded successfully",
            "data": {"audio": audio_item(doc, urls, favorite=False)}}  # fmt: skip
