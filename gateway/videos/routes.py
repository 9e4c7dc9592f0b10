"""Seed 003's `/api/v1/videos`: a video is a project, so these are views over the projects the
caller may read (list, get) or write (patch, delete), through the project store; and
`/videos/{id}/cost`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from contracts.auth import Message
from contracts.project import Project, ProjectFields
from contracts.text import Text
from contracts.videos import VideoCost, VideoPage
from gateway.auth.principal import CurrentPrincipal
from gateway.deps import State, Store
from gateway.json_body import json_object
from gateway.projects.routes import BODY_REQUIRED, PROJECT_BODY
from gateway.videos.cost import video_cost
from gateway.videos.filters import video_query

router = APIRouter(prefix="/api/v1", tags=["videos"])
Filter = Annotated[Text | None, Query(max_length=64)]
Moment = Annotated[Text | None, Query(max_length=40)]


# Documented by the model, sent as stored (as `GET /api/v1/projects` sends them).
@router.get("/videos", response_model=None, responses={200: {"model": VideoPage}})
async def list_videos(
    store: Store,
    principal: CurrentPrincipal,
    channel: Filter = None,
    status: Filter = None,
    created_from: Moment = None,
    created_to: Moment = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Any:
    query = video_query(
        channel=channel,
        status=status,
        created_from=created_from,
        created_to=created_to,
        page=page,
        limit=limit,
    )
    items, total = await store.list(query, principal)
    return {"videos": items, "page": page, "limit": limit, "total": total or 0}


@router.get("/videos/{video_id}", response_model=Project)
async def get_video(video_id: str, store: Store, principal: CurrentPrincipal) -> Any:
    return await store.get(video_id, principal)


@router.patch("/videos/{video_id}", response_model=Project, openapi_extra=BODY_REQUIRED)
async def patch_video(
    video_id: str,
    request: Request,
    store: Store,
    principal: CurrentPrincipal,
    _: ProjectFields = PROJECT_BODY,
) -> Any:
    return await store.update(video_id, await json_object(request), principal)


@router.delete("/videos/{video_id}", response_model=Message)
async def delete_video(video_id: str, store: Store, principal: CurrentPrincipal) -> Message:
    await store.delete(video_id, principal)
    return Message(message="Video deleted successfully")


@router.get("/videos/{video_id}/cost", response_model=VideoCost)
async def cost(video_id: str, state: State, principal: CurrentPrincipal) -> VideoCost:
    await state.projects.get(video_id, principal)  # as visible as the video
    return await video_cost(state, video_id)
