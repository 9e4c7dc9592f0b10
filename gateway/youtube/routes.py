"""YouTube over HTTP: the app's seven calls at the root paths it uses on its second base URL
(the gateway also listens on the app's default port for it), the OAuth callback, and the
versioned routes (seed 001's /api/v1/youtube/*, seed 003's /api/v1/videos/{id}/publish).
Uploads run as jobs; the app's upload call and seed 001's wait for theirs."""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse

from contracts.errors import ApiError
from contracts.jobs import Job
from gateway.auth.principal import CurrentPrincipal
from gateway.deps import State
from gateway.jobs import service
from gateway.projects.access import project_ref
from gateway.youtube import connect, videos
from gateway.youtube.models import (
    AppUploadAnswer,
    AuthStatus,
    AuthUrl,
    ChannelInfo,
    Done,
    Playlist,
    PlaylistItem,
    PlaylistItemRequest,
    PlaylistRequest,
    Privacy,
    PublishRequest,
    QuotaUsage,
    SeedUploadAnswer,
    SeedUploadRequest,
    UploadedVideo,
    UploadedVideos,
    VideoChanges,
)
from gateway.youtube.publishing import UploadRequest, start_upload
from gateway.youtube.quota import UPLOAD_UNITS
from gateway.youtube.tokens import grant_key
from gateway.youtube.upload import add_to_playlist, set_thumbnail, upload_answer

log = logging.getLogger("gateway.youtube")
router = APIRouter(tags=["youtube"])
CALLBACK = "/api/v1/youtube/oauth/callback"


# --- the app's calls -----------------------------------------------------------------------


@router.get("/auth/status", response_model=AuthStatus)
async def auth_status(state: State, principal: CurrentPrincipal) -> AuthStatus:
    yt = state.youtube
    raw = await yt.tokens.raw(grant_key(principal.user_id))
    return AuthStatus(
        is_authenticated=raw is not None,
        configured=yt.google.configured,
        youtube_channel_id=raw.get("youtube_channel_id") if raw else None,
    )


@router.get("/auth/url", response_model=AuthUrl)
async def auth_url(state: State, principal: CurrentPrincipal) -> AuthUrl:
    return AuthUrl(auth_url=await connect.authorization_url(state.youtube, principal.user_id))


@router.post("/auth/disconnect", response_model=Done)
async def auth_disconnect(state: State, principal: CurrentPrincipal) -> Done:
    await connect.disconnect(state.youtube, grant_key(principal.user_id))
    return Done(message="Disconnected from YouTube")


@router.get("/channel/info", response_model=ChannelInfo)
async def channel_info(state: State, principal: CurrentPrincipal) -> ChannelInfo:
    return await videos.channel_info(state.youtube, grant_key(principal.user_id))


@router.post("/videos/upload/{project_id}", response_model=AppUploadAnswer)
async def app_upload(
    project_id: str,
    state: State,
    principal: CurrentPrincipal,
    request: Request,
    privacy_status: Privacy = "public",
    publish_at: Annotated[str | None, Query(max_length=40)] = None,
    is_premiere: bool = False,
    timezone: Annotated[str | None, Query(max_length=64)] = None,
) -> AppUploadAnswer:
    options = UploadRequest(
        privacy_status=privacy_status,
        publish_at=publish_at,
        timezone=timezone,
        is_premiere=is_premiere,
    )
    job = await start_upload(state, principal, project_id, options)
    done = await service.wait(
        state, job.id, state.settings.youtube_upload_wait_seconds, request.is_disconnected
    )
    return AppUploadAnswer.model_validate(upload_answer(done.get("result")))


@router.post("/thumbnail/update-by-project/{project_id}", response_model=Done)
async def thumbnail_by_project(project_id: str, state: State, principal: CurrentPrincipal) -> Done:
    ref = await project_ref(project_id, state)
    video_id = ref.field("youtube_video_id")
    key = state.media_key(ref.field("thumbnail_path"))
    if not video_id:
        raise ApiError(409, "The project is not on YouTube yet: upload it first")
    if key is None:
        raise ApiError(409, "The project has no thumbnail stored on this server")
    yt = state.youtube
    await yt.quota.operation(principal.user_id)
    grant = await yt.google.grant(grant_key(principal.user_id))
    await set_thumbnail(state, yt, grant, key, str(video_id), ref.id)
    return Done(message="Thumbnail updated")


@router.patch("/videos/{youtube_video_id}", response_model=Done)
async def update_video(
    youtube_video_id: Annotated[str, Path(max_length=64)],
    body: VideoChanges,
    state: State,
    principal: CurrentPrincipal,
) -> Done:
    yt = state.youtube
    await yt.quota.operation(principal.user_id)
    await videos.update_video(yt, grant_key(principal.user_id), youtube_video_id, body)
    return Done(message="Video updated")


@router.get(CALLBACK, response_class=RedirectResponse, status_code=303)
async def oauth_callback(
    state: State,
    code: Annotated[str | None, Query(max_length=2048)] = None,
    oauth_state: Annotated[str | None, Query(alias="state", max_length=512)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> RedirectResponse:
    """Google sends the browser here; it goes on to the app's settings page either way."""
    outcome: dict[str, str] = {"auth": "error"}
    try:
        flow = await connect.complete(state.youtube, oauth_state, None if error else code)
    except ApiError as exc:
        log.warning("youtube: connection refused: %s", error or exc.detail)
        outcome["reason"] = error or exc.detail
    else:
        outcome["auth"] = "success"
        if flow.get("channel_id"):
            outcome["channel_id"] = str(flow["channel_id"])
    target = f"{state.settings.youtube_app_url.rstrip('/')}/settings?{urlencode(outcome)}"
    return RedirectResponse(target, status_code=303)


# --- versioned -----------------------------------------------------------------------------


@router.post("/api/v1/videos/{project_id}/publish", status_code=202, response_model=Job)
async def publish(
    project_id: str, body: PublishRequest, state: State, principal: CurrentPrincipal
) -> Job:
    options = UploadRequest(**body.model_dump())
    return await start_upload(state, principal, project_id, options)


@router.post("/api/v1/youtube/upload", response_model=SeedUploadAnswer)
async def seed_upload(
    body: SeedUploadRequest, state: State, principal: CurrentPrincipal, request: Request
) -> SeedUploadAnswer:
    options = UploadRequest(
        privacy_status=body.privacy,
        publish_at=body.publishAt,
        title=body.title,
        description=body.description,
        tags=body.tags,
        playlist_id=body.playlistId,
    )
    job = await start_upload(state, principal, body.projectId, options)
    done = await service.wait(
        state, job.id, state.settings.youtube_upload_wait_seconds, request.is_disconnected
    )
    result = done.get("result") or {}
    return SeedUploadAnswer(
        videoId=str(result["youtube_video_id"]),
        url=str(result["youtube_url"]),
        status="scheduled" if result.get("youtube_scheduled_publish_at") else "uploaded",
    )


@router.post("/api/v1/youtube/playlist", status_code=201, response_model=Playlist)
async def create_playlist(
    body: PlaylistRequest, state: State, principal: CurrentPrincipal
) -> Playlist:
    yt = state.youtube
    await yt.quota.operation(principal.user_id)
    made = await videos.create_playlist(yt, grant_key(principal.user_id), body)
    playlist_id = str(made["id"])
    title = str((made.get("snippet") or {}).get("title", body.title))
    return Playlist(playlistId=playlist_id, title=title, url=videos.PLAYLIST_URL + playlist_id)


@router.post(
    "/api/v1/youtube/playlist/{playlist_id}/videos", status_code=201, response_model=PlaylistItem
)
async def add_playlist_video(
    playlist_id: Annotated[str, Path(max_length=64)],
    body: PlaylistItemRequest,
    state: State,
    principal: CurrentPrincipal,
) -> PlaylistItem:
    yt = state.youtube
    await yt.quota.operation(principal.user_id)
    grant = await yt.google.grant(grant_key(principal.user_id))
    item = await add_to_playlist(yt, grant, playlist_id, body.videoId, None)
    return PlaylistItem(
        playlistItemId=str(item["id"]), playlistId=playlist_id, videoId=body.videoId
    )


@router.get("/api/v1/youtube/videos", response_model=UploadedVideos)
async def uploaded_videos(state: State, principal: CurrentPrincipal) -> UploadedVideos:
    """The caller's projects on YouTube, with YouTube's current title and view count."""
    query = {"_owner": principal.user_id, "youtube_video_id": {"$nin": [None, ""]}}
    cursor = state.projects.db.projects.find(query, sort=[("youtube_uploaded_at", -1)], limit=200)
    projects = [doc async for doc in cursor]
    ids = [str(p["youtube_video_id"]) for p in projects]
    counts = (
        await videos.view_counts(state.youtube, grant_key(principal.user_id), ids) if ids else {}
    )
    items = []
    for project in projects:
        video_id = str(project["youtube_video_id"])
        live = counts.get(video_id, {})
        items.append(
            UploadedVideo(
                id=video_id,
                projectId=str(project["_id"]),
                title=str(live.get("title") or project.get("title", "")),
                views=int(live.get("views", 0)),
                uploadedAt=project.get("youtube_uploaded_at"),
                url=str(project.get("youtube_url") or ""),
            )
        )
    return UploadedVideos(videos=items)


@router.get("/api/v1/youtube/quota", response_model=QuotaUsage)
async def quota(state: State, principal: CurrentPrincipal) -> QuotaUsage:
    used = await state.youtube.quota.used_today()
    limit = state.settings.youtube_daily_quota
    return QuotaUsage(
        daily_limit=limit,
        used_today=used,
        remaining=max(limit - used, 0),
        upload_cost=UPLOAD_UNITS,
    )
