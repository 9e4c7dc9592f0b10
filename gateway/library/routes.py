"""The editor's libraries: uploads, listings with filters, favorites."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from contracts.library import (
    AudioPage,
    AudioUploaded,
    FavoriteAnswer,
    FavoriteRequest,
    LibraryDeleted,
    MediaPage,
    MediaUploaded,
)
from gateway.auth.principal import CurrentPrincipal
from gateway.deps import State
from gateway.library.listing import (
    AudioTypeFilter,
    MediaTypeFilter,
    list_audio,
    list_media,
    set_favorite,
)
from gateway.library.multipart import MAX_FIELD_BYTES, MAX_PARTS
from gateway.library.removal import remove_entry
from gateway.library.shown import audio_uploaded, media_uploaded
from gateway.library.store import Source
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
    type: MediaTypeFilter = "all",
    source: Source | None = None,
    category: Text = None,
    search: Text = None,
    page: Page = 1,
    limit: Limit = 20,
) -> Any:
    return await list_media(state, principal, media_type=type, source=source,
                            category=category, search=search, page=page, limit=limit)  # fmt: skip


@router.post(
    "/media/upload",
    status_code=201,
    response_model=MediaUploaded,
    responses={415: {"description": "not an accepted image or video"}},
    openapi_extra=_form("a category name"),
)
async def media_upload(request: Request, state: State, principal: CurrentPrincipal) -> Any:
    return media_uploaded(await upload(request, state, principal, "media"), state.urls)


@router.get("/audio/library", response_model=AudioPage)
async def audio_library(
    state: State,
    principal: CurrentPrincipal,
    type: AudioTypeFilter | None = None,
    source: Source | None = None,
    category: Literal["music", "sound_effects"] | None = None,
    mood: Text = None,
    search: Text = None,
    page: Page = 1,
    limit: Limit = 20,
) -> Any:
    return await list_audio(state, principal, kind=type, source=source, category=category,
                            mood=mood, search=search, page=page, limit=limit)  # fmt: skip


@router.post(
    "/audio/upload",
    status_code=201,
    response_model=AudioUploaded,
    responses={415: {"description": "not an accepted audio file"}},
    openapi_extra=_form("music or sound_effects (default music)"),
)
async def audio_upload(request: Request, state: State, principal: CurrentPrincipal) -> Any:
    return audio_uploaded(await upload(request, state, principal, "audio"), state.urls)


@router.post("/audio/{audio_id}/favorite", response_model=FavoriteAnswer)
async def audio_favorite(
    audio_id: str, body: FavoriteRequest, state: State, principal: CurrentPrincipal
) -> FavoriteAnswer:
    await set_favorite(state, principal, audio_id, body.is_favorite)
    return FavoriteAnswer(is_favorite=body.is_favorite)


@router.delete("/media/{media_id}", response_model=LibraryDeleted)
async def delete_media(media_id: str, state: State, principal: CurrentPrincipal) -> LibraryDeleted:
    """One's own upload or AI result; its files stay while a project uses them."""
    await remove_entry(state, principal, "media", media_id)
    return LibraryDeleted(message="Media deleted")


@router.delete("/audio/{audio_id}", response_model=LibraryDeleted)
async def delete_audio(audio_id: str, state: State, principal: CurrentPrincipal) -> LibraryDeleted:
    """One's own upload or AI result; its files stay while a project uses them."""
    await remove_entry(state, principal, "audio", audio_id)
    return LibraryDeleted(message="Audio deleted")
