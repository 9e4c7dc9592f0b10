"""Seed 002's avatar library: the image service's presenters, each pose a transparent PNG the
timeline's avatar layer swaps while the voiceover speaks (mouth open on words, a blink now and
then). Only the built-in (stock) presenters exist: `my` and `generated` are empty for now."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from contracts.avatars import Avatar, AvatarsResponse, Pose
from contracts.library import Pagination
from gateway.deps import State
from gateway.library.shown import pagination
from gateway.state import GatewayState

router = APIRouter(tags=["avatars"])


class Variation(BaseModel):
    id: str
    name: str
    thumbnail_url: str


class AvatarEntry(BaseModel):
    id: str
    name: str
    gender: str
    style: str
    thumbnail_url: str
    preview_url: str
    # No preview clip is rendered: the talking animation is drawn in the video itself.
    video_url: str | None
    is_premium: bool
    width: int
    height: int
    poses: dict[Pose, str]
    variations: list[Variation]


class AvatarPageData(BaseModel):
    avatars: list[AvatarEntry]
    pagination: Pagination


class AvatarPage(BaseModel):
    success: bool
    data: AvatarPageData


def _entry(state: GatewayState, avatar: Avatar, everyone: list[Avatar]) -> dict[str, object]:
    url = state.media_url
    entry = AvatarEntry(
        id=avatar.id,
        name=avatar.name,
        gender=avatar.gender,
        style=avatar.style,
        thumbnail_url=url(avatar.thumbnail_key),
        preview_url=url(avatar.poses["closed"]),
        video_url=None,
        is_premium=False,
        width=avatar.width,
        height=avatar.height,
        poses={pose: url(key) for pose, key in avatar.poses.items()},
        variations=[
            Variation(id=other.id, name=other.name, thumbnail_url=url(other.thumbnail_key))
            for other in everyone
            if other.person == avatar.person and other.id != avatar.id
        ],
    )
    signed: dict[str, object] = state.urls.signed(entry.model_dump())
    return signed


@router.get("/api/v1/avatars", response_model=AvatarPage)
async def avatars(
    state: State,
    gender: Literal["male", "female", "all"] = "all",
    category: Literal["stock", "my", "generated"] | None = None,
    search: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> AvatarPage:
    answer = await state.services.image.call("POST", "/avatars", AvatarsResponse)
    everyone = answer.avatars
    chosen = [] if category in ("my", "generated") else everyone
    if gender != "all":
        chosen = [a for a in chosen if a.gender == gender]
    if search:
        needle = search.lower()
        chosen = [a for a in chosen if needle in f"{a.id} {a.name} {a.style}".lower()]
    shown = [_entry(state, a, everyone) for a in chosen[(page - 1) * limit : page * limit]]
    return AvatarPage.model_validate(
        {
            "success": True,
            "data": {"avatars": shown, "pagination": pagination(page, limit, len(chosen))},
        }
    )
