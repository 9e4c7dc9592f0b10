"""The editor's libraries (seed 002 §3 and §6): uploads, listings with filters, favorites."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from contracts.errors import ApiError
from contracts.library import (
    AudioPage,
    AudioUploaded,
    FavoriteAnswer,
    FavoriteRequest,
    MediaPage,
    MediaUploaded,
)
from gateway.auth.principal import CurrentPrincipal
from gateway.auth.roles import PROJECTS_ANY
from gateway.deps import State
from gateway.library.multipart import MAX_FIELD_BYTES, MAX_PARTS
from gateway.library.shown import audio_item, media_item, pagination
from gateway.library.store import Filters, Source
from gateway.library.uploads import upload
from gateway.settings import GatewaySettings

router = APIRouter(prefix="/api/v1", tags=["libraries"])
MEDIA_UPLOAD = "/api/v1/media/upload"
AUDIO_UPLOAD = "/api/v1/audio/upload"
# The form around the file: its other fields, part headers and boundaries.
FORM_OVERHEAD = MAX_PARTS * (MAX_FIELD_BYTES + 1024)

Page = Annotated[int, Query(ge=1, le=100_000)]
Limit = Annotated[int, Query(ge=1, le=100)]
Text = Annotated[str | None, Query(max_length=200)]


def body_limits(settings: GatewaySettings) -> dict[str, int]:
    """The upload routes' body limits, in place of the app-wide one (the routes then hold each
    file to its own limit exactly)."""
    return {
        MEDIA_UPLOAD: settings.upload_max_media_bytes + FORM_OVERHEAD,
        AUDIO_UPLOAD: settings.upload_max_audio_bytes + FORM_OVERHEAD,
    }


def _form(description: str) -> dict[str, Any]:
    fields = {
        "file": {"type": "string", "format": "binary"},
        "title": {"type": "string", "maxLength": 255},
        "category": {"type": "string", "description": description},
        "tags": {"type": "string", "description": "comma-separated"},
    }
    schema = {"type": "object", "required": ["file"], "properties": fields}
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": schema}},
        }
    }


@router.get("/media/library", response_model=MediaPage)
async def media_library(
    state: State,
    principal: CurrentPrincipal,
    type: Literal["all", "image", "video", "gif"] = "all",
    source: Literal["stock", "ai", "uploaded"] | None = None,
    category: Text = None,
    search: Text = None,
    page: Page = 1,
    limit: Limit = 20,
) -> Any:
    await state.stock.ensure("media")
    filters = Filters(
        "media",
        principal.user_id,
        sources=(source,) if source else None,
        media_type=None if type == "all" else type,
        category=category,
        search=search,
    )
    found = await state.library.list(filters, (page - 1) * limit, limit)
    media = [media_item(doc, state.urls) for doc in found.items]
    return {
        "success": True,
        "data": {"media": media, "pagination": pagination(page, limit, found.total)},
    }


@router.post(
    "/media/upload",
    status_code=201,
    response_model=MediaUploaded,
    responses={415: {"description": "not an accepted image or video"}},
    openapi_extra=_form("a category name"),
)
async def media_upload(request: Request, state: State, principal: CurrentPrincipal) -> Any:
    doc = await upload(request, state, principal, "media")
    return {"success": True, "message": "Media uploaded successfully",
            "data": {"media": media_item(doc, state.urls)}}  # fmt: skip


@router.get("/audio/library", response_model=AudioPage)
async def audio_library(
    state: State,
    principal: CurrentPrincipal,
    type: Literal["stock", "my", "favorites"] | None = None,
    source: Literal["stock", "uploaded", "ai"] | None = None,
    category: Literal["music", "sound_effects"] | None = None,
    mood: Text = None,
    search: Text = None,
    page: Page = 1,
    limit: Limit = 20,
) -> Any:
    await state.stock.ensure("audio")
    sources: tuple[Source, ...] | None = (source,) if source else None
    if type == "stock":
        sources = ("stock",) if source in (None, "stock") else ()
    elif type == "my":
        mine: tuple[Source, ...] = ("uploaded", "ai")
        sources = tuple(s for s in mine if source in (None, s))
    filters = Filters(
        "audio",
        principal.user_id,
        sources=sources,
        category=category,
        tag=mood,
        search=search,
        favorites_only=type == "favorites",
    )
    found = await state.library.list(filters, (page - 1) * limit, limit)
    audio = [audio_item(doc, state.urls, doc["_id"] in found.favorites) for doc in found.items]
    return {
        "success": True,
        "data": {"audio": audio, "pagination": pagination(page, limit, found.total)},
    }


@router.post(
    "/audio/upload",
    status_code=201,
    response_model=AudioUploaded,
    responses={415: {"description": "not an accepted audio file"}},
    openapi_extra=_form("music or sound_effects (default music)"),
)
async def audio_upload(request: Request, state: State, principal: CurrentPrincipal) -> Any:
    doc = await upload(request, state, principal, "audio")
    return {"success": True, "message": "Audio uploaded successfully",
            "data": {"audio": audio_item(doc, state.urls, False)}}  # fmt: skip


@router.post("/audio/{audio_id}/favorite", response_model=FavoriteAnswer)
async def audio_favorite(
    audio_id: str, body: FavoriteRequest, state: State, principal: CurrentPrincipal
) -> FavoriteAnswer:
    entry = await state.library.get(
        audio_id, "audio", principal.user_id, principal.can(PROJECTS_ANY)
    )
    if entry is None:
        raise ApiError(404, f"Audio not found: {audio_id}")
    await state.library.set_favorite(principal.user_id, audio_id, body.is_favorite)
    return FavoriteAnswer(is_favorite=body.is_favorite)
