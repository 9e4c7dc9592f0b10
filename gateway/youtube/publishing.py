"""Starting an upload: every check a person can fix is made before anything is queued, so a
refused request leaves no job and the project as it was; the job itself is gateway/youtube/
upload.py's stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from contracts.errors import ApiError
from contracts.jobs import Job
from gateway.auth.principal import Principal
from gateway.db import Doc
from gateway.jobs import service
from gateway.projects.access import project_ref
from gateway.state import GatewayState
from gateway.youtube.quota import UPLOAD_UNITS
from gateway.youtube.tokens import grant_key
from gateway.youtube.upload import parse_publish_at

Privacy = Literal["public", "private", "unlisted"]
READY = ("video_ready", "video_subtitled", "scheduled_for_publish")


@dataclass
class UploadRequest:
    privacy_status: Privacy = "public"
    publish_at: str | None = None  # as sent: local time, or with a zone
    timezone: str | None = None
    is_premiere: bool = False
    title: str | None = None
    description: str | None = None
    tags: list[str] | None = None
    playlist_id: str | None = None
    channel_id: str | None = None


def check_ready(project: Doc) -> None:
    if project.get("youtube_video_id"):
        raise ApiError(
            409,
            f"The project is already on YouTube as {project['youtube_video_id']} "
            f"({project.get('youtube_url')}); change it with PATCH /videos/"
            f"{project['youtube_video_id']}",
        )
    status = project.get("status")
    if status not in READY or not project.get("video_url"):
        raise ApiError(
            409,
            f"The project is not ready to upload (status {status!r}"
            + ("" if project.get("video_url") else ", no video_url")
            + "): render its video first; uploading needs status video_ready, "
            "video_subtitled or scheduled_for_publish with a video_url",
        )


async def start_upload(
    state: GatewayState, principal: Principal, project_id: str, request: UploadRequest
) -> Job:
    yt = state.youtube
    yt.google.require()
    ref = await project_ref(project_id, state)
    if ref.project is None:
        raise ApiError(422, "project_id: save the project before uploading it")
    check_ready(ref.project)
    publish_at = parse_publish_at(
        request.publish_at, request.timezone, state.settings.youtube_default_timezone
    )
    key = grant_key(principal.user_id, request.channel_id)
    if await yt.tokens.raw(key) is None:
        raise ApiError(
            409,
            "Not connected to YouTube: connect first (GET /auth/url, or POST "
            "/api/v1/channels/{id}/connect for a channel)",
        )
    if state.media_key(ref.project.get("video_url")) is None:
        raise ApiError(409, "The project's video_url is not a video stored on this server")
    await yt.quota.check(UPLOAD_UNITS)
    await yt.quota.operation(principal.user_id)
    params: Doc = {
        "youtube": {
            "grant": key,
            "privacy_status": request.privacy_status,
            "publish_at": publish_at,
            "is_premiere": request.is_premiere,
            "title": request.title,
            "description": request.description,
            "tags": request.tags,
            "playlist_id": request.playlist_id,
        }
    }
    return await service.submit(
        state,
        project_id=ref.id,
        kind="publish",
        stages=["publish"],
        params=params,
        principal=principal,
        project_changes={},
    )
