"""The two library listings and the favorite toggle: query values into store filters, entries
into the answers the editor reads (stock entries rendered first if missing)."""

from __future__ import annotations

from typing import Any, Literal

from contracts.errors import ApiError
from gateway.auth.principal import Principal
from gateway.auth.roles import PROJECTS_ANY
from gateway.library.shown import audio_item, media_item, pagination
from gateway.library.store import Filters, Source
from gateway.state import GatewayState

MediaTypeFilter = Literal["all", "image", "video", "gif"]
AudioTypeFilter = Literal["stock", "my", "favorites"]
MINE: tuple[Source, ...] = ("uploaded", "ai")


def _text(name: str, value: str | None) -> str | None:
    if value is not None and "\0" in value:
        raise ApiError(422, f"{name}: must not contain NUL characters")
    return value


async def list_media(
    state: GatewayState,
    principal: Principal,
    *,
    media_type: MediaTypeFilter,
    source: Source | None,
    category: str | None,
    search: str | None,
    page: int,
    limit: int,
) -> dict[str, Any]:
    filters = Filters(
        "media",
        principal.user_id,
        sources=(source,) if source else None,
        media_type=None if media_type == "all" else media_type,
        category=_text("category", category),
        search=_text("search", search),
    )
    await state.stock.ensure("media")
    found = await state.library.list(filters, (page - 1) * limit, limit)
    media = [media_item(doc, state.urls) for doc in found.items]
    return {
        "success": True,
        "data": {"media": media, "pagination": pagination(page, limit, found.total)},
    }


def _audio_sources(
    kind: AudioTypeFilter | None, source: Source | None
) -> tuple[Source, ...] | None:
    """`type` (stock, my: uploaded or AI, favorites) and `source` together."""
    if kind == "stock":
        return ("stock",) if source in (None, "stock") else ()
    if kind == "my":
        return tuple(s for s in MINE if source in (None, s))
    return (source,) if source else None


async def list_audio(
    state: GatewayState,
    principal: Principal,
    *,
    kind: AudioTypeFilter | None,
    source: Source | None,
    category: str | None,
    mood: str | None,
    search: str | None,
    page: int,
    limit: int,
) -> dict[str, Any]:
    filters = Filters(
        "audio",
        principal.user_id,
        sources=_audio_sources(kind, source),
        category=category,
        tag=_text("mood", mood),
        search=_text("search", search),
        favorites_only=kind == "favorites",
    )
    await state.stock.ensure("audio")
    found = await state.library.list(filters, (page - 1) * limit, limit)
    audio = [audio_item(doc, state.urls, doc["_id"] in found.favorites) for doc in found.items]
    return {
        "success": True,
        "data": {"audio": audio, "pagination": pagination(page, limit, found.total)},
    }


async def set_favorite(
    state: GatewayState, principal: Principal, audio_id: str, favorite: bool
) -> None:
    """Another user's entry answers 404, as a missing one does."""
    entry = await state.library.get(
        audio_id, "audio", principal.user_id, principal.can(PROJECTS_ANY)
    )
    if entry is None:
        raise ApiError(404, f"Audio not found: {audio_id}")
    await state.library.set_favorite(principal.user_id, audio_id, favorite)
