"""The upload job's stage: the project's MP4 from storage to YouTube with the resumable protocol.

The session URI is stored on the job as soon as YouTube gives it, and every acknowledged byte
moves the job's offset; a dropped connection, or a worker that died and a new execution that
took the job over, asks the session how far it got (`Content-Range: bytes */N`) and goes on
from there. Once YouTube has answered with the video its id is stored on the job too, so a
redelivered job never uploads it twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from contracts.errors import ApiError
from gateway.clock import now_iso
from gateway.db import Doc
from gateway.projects.access import ProjectRef
from gateway.state import GatewayState
from gateway.youtube.google import api_error
from gateway.youtube.hub import YouTube
from gateway.youtube.quota import UPLOAD_UNITS, WRITE_UNITS
from gateway.youtube.tokens import Grant

log = logging.getLogger("gateway.youtube")
# Dropped connections or 5xx in a row before the stage gives up (the job may retry it).
MAX_INTERRUPTIONS = 5
BACKOFF = 1.0
WATCH_URL = "https://www.youtube.com/watch?v="
_RANGE = re.compile(r"bytes=0-(\d+)")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A scheduled slot closer than this is skipped for the next one: YouTube needs the video first.
SCHEDULE_LEAD = timedelta(minutes=15)


def metadata(ref: ProjectRef, params: Doc, publish_at: str | None) -> Doc:
    title = params.get("title") or ref.field("title") or "Untitled"
    description = (
        params.get("description") or ref.field("video_description") or ref.field("description")
    )
    tags = params.get("tags")
    if tags is None:
        tags = ref.field("tags") or [
            t.strip() for t in str(ref.field("keywords") or "").split(",") if t.strip()
        ]
    status: Doc = {"privacyStatus": params["privacy_status"], "selfDeclaredMadeForKids": False}
    if publish_at:
        # YouTube publishes a scheduled video by itself; it must be private until then.
        status = {**status, "privacyStatus": "private", "publishAt": publish_at}
    return {
        "snippet": {
            # YouTube refuses angle brackets and titles over 100 characters.
            "title": re.sub(r"[<>]", "", str(title))[:100] or "Untitled",
            "description": re.sub(r"[<>]", "", str(description or ""))[:5000],
            "tags": [str(t)[:100] for t in tags][:50],
            "categoryId": "22",
        },
        "status": status,
    }


def next_slot(schedule: Doc, now: datetime) -> str | None:
    """The next time a channel's `publish_schedule` allows ({days, times, timezone}), as UTC."""
    times = schedule.get("times") or []
    if not times:
        return None
    zone = zoneinfo.ZoneInfo(schedule.get("timezone") or "UTC")
    days = schedule.get("days") or list(WEEKDAYS)
    local = now.astimezone(zone)
    for offset in range(8):
        day = (local + timedelta(days=offset)).date()
        if WEEKDAYS[day.weekday()] not in days:
            continue
        for hhmm in sorted(times):
            hour, minute = (int(part) for part in hhmm.split(":"))
            slot = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
            if slot >= now + SCHEDULE_LEAD:
                return iso_utc(slot)
    return None


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


async def publish(state: GatewayState, doc: Doc, lease: str, ref: ProjectRef) -> Doc:
    """The stage: upload (or resume, or skip if done), then the thumbnail and playlist."""
    yt = state.youtube
    params: Doc = doc["_params"]["youtube"]
    job = await state.jobs.doc(doc["_id"])
    progress: Doc = job.get("_youtube") or await _earlier(state, job)
    publish_at = progress.get("publish_at") or params.get("publish_at")
    if publish_at is None and params.get("schedule"):
        publish_at = next_slot(params["schedule"], datetime.now(UTC))
        await state.jobs.report(doc["_id"], lease, **{"_youtube.publish_at": publish_at})
    video = progress.get("video")
    grant = await yt.google.grant(params["grant"])
    if video is None:
        video = await _upload(state, yt, grant, doc, lease, ref, params, publish_at, progress)
        await state.jobs.report(doc["_id"], lease, **{"_youtube.video": video})
    video_id = str(video["id"])
    await _thumbnail(state, yt, grant, ref, video_id)
    if params.get("playlist_id"):
        # The video is up: a playlist YouTube refuses must not fail (and re-run) the upload.
        try:
            await add_to_playlist(yt, grant, params["playlist_id"], video_id, ref.id)
        except ApiError as exc:
            log.warning("youtube: adding %s to playlist failed: %s", video_id, exc.detail)
    return {
        "youtube_video_id": video_id,
        "youtube_url": WATCH_URL + video_id,
        "youtube_uploaded_at": now_iso(),
        "youtube_scheduled_publish_at": publish_at,
        "youtube_is_premiere": bool(params.get("is_premiere")),
        "youtube_privacy_status": "private" if publish_at else params["privacy_status"],
        "status": "scheduled_for_publish" if publish_at else "uploaded_to_youtube",
        "youtube_error": None,
    }


async def _earlier(state: GatewayState, job: Doc) -> Doc:
    """What an earlier upload job of the project got to (a retry after a failure, e.g. a grant
    revoked mid-upload): its session is resumed and its video reused, never uploaded again."""
    found = await state.jobs.collection.find_one(
        {
            "project_id": job["project_id"],
            "_id": {"$ne": job["_id"]},
            "_youtube.session": {"$exists": True},
        },
        sort=[("_created", -1)],
    )
    progress: Doc = (found or {}).get("_youtube") or {}
    return progress


async def _upload(
    state: GatewayState,
    yt: YouTube,
    grant: Grant,
    doc: Doc,
    lease: str,
    ref: ProjectRef,
    params: Doc,
    publish_at: str | None,
    progress: Doc,
) -> Doc:
    key = state.media_key(ref.field("video_url"))
    stored = await state.storage.stat(key) if key else None
    if key is None or stored is None:
        raise ApiError(409, "The project's video is not in this server's storage")
    size = stored.size
    if not progress.get("charged"):
        await yt.quota.spend(UPLOAD_UNITS, ref.id)
        await state.jobs.report(doc["_id"], lease, **{"_youtube.charged": True})
    session = progress.get("session")
    offset = 0
    if session:
        found = await _status(yt, grant, session, size)
        if isinstance(found, dict):
            return found
        if found is None:
            session = None  # expired (YouTube keeps a session about a week): start again
        else:
            offset = found
            log.info(
                "youtube: job %s resumes its upload at byte %d of %d", doc["_id"], offset, size
            )
    if not session:
        session = await _begin(yt, grant, metadata(ref, params, publish_at), size)
        await state.jobs.report(doc["_id"], lease, **{"_youtube.session": session})
    return await _send(state, yt, grant, doc, lease, key, session, offset, size)


async def _send(
    state: GatewayState,
    yt: YouTube,
    grant: Grant,
    doc: Doc,
    lease: str,
    key: str,
    session: str,
    offset: int,
    size: int,
) -> Doc:
    """Send the video from `offset` in chunks until YouTube answers with the video."""
    interruptions = 0
    chunk = state.settings.youtube_chunk_bytes
    while True:
        end = min(offset + chunk, size) - 1
        data = b"".join([part async for part in state.storage.iter_range(key, offset, end)])
        headers = {"Content-Range": f"bytes {offset}-{end}/{size}", "Content-Type": "video/mp4"}
        response = await _put_chunk(yt, grant, session, headers, data)
        if response is not None and response.status_code in (200, 201):
            answer: Doc = response.json()
            return answer
        if response is not None and response.status_code == 308:
            offset = _acknowledged(response)
            interruptions = 0
            percent = round(100 * offset / size, 1)
            await state.jobs.report(
                doc["_id"], lease, percent=percent, **{"_youtube.offset": offset}
            )
            continue
        if response is not None and response.status_code < 500:
            raise api_error(response)
        # Dropped, timed out or a 5xx: ask the session where it stands and go on from there.
        interruptions += 1
        if interruptions > MAX_INTERRUPTIONS:
            raise ApiError(503, "YouTube keeps dropping the upload; it will resume later")
        await asyncio.sleep(BACKOFF * interruptions)
        found = await _status(yt, grant, session, size)
        if isinstance(found, dict):
            return found
        if found is None:
            raise ApiError(502, "YouTube lost the upload session; try the upload again")
        offset = found


async def _put_chunk(
    yt: YouTube, grant: Grant, session: str, headers: dict[str, str], data: bytes
) -> httpx.Response | None:
    """YouTube's answer to one chunk, or None if the call was dropped or timed out."""
    try:
        return await yt.google.call(grant, "PUT", session, headers=headers, content=data)
    except ApiError as exc:
        if exc.status not in (503, 504):
            raise
        return None


def _acknowledged(response: httpx.Response) -> int:
    """The next byte to send after a 308: one past the Range YouTube has (0 without one)."""
    match = _RANGE.fullmatch(response.headers.get("Range", ""))
    return int(match.group(1)) + 1 if match else 0


async def _begin(yt: YouTube, grant: Grant, body: Doc, size: int) -> str:
    url = f"{yt.settings.youtube_upload_base_url}/videos"
    response = await yt.google.call(
        grant,
        "POST",
        url,
        params={"uploadType": "resumable", "part": "snippet,status"},
        headers={
            "X-Upload-Content-Length": str(size),
            "X-Upload-Content-Type": "video/mp4",
        },
        json=body,
    )
    if response.status_code != 200 or not response.headers.get("Location"):
        error = api_error(response)
        if error.code == "QUOTA_EXCEEDED":
            await yt.quota.exhausted()
        raise error
    return response.headers["Location"]


async def _status(yt: YouTube, grant: Grant, session: str, size: int) -> int | Doc | None:
    """Where a session stands: the next byte to send, the video if it is complete, or None
    if YouTube no longer knows the session."""
    headers = {"Content-Range": f"bytes */{size}"}
    response = await yt.google.call(grant, "PUT", session, headers=headers, content=b"")
    if response.status_code in (200, 201):
        video: Doc = response.json()
        return video
    if response.status_code == 308:
        return _acknowledged(response)
    if response.status_code in (404, 410):
        return None
    raise api_error(response)


async def _thumbnail(
    state: GatewayState, yt: YouTube, grant: Grant, ref: ProjectRef, video_id: str
) -> None:
    """Best effort, as in the app: a missing or refused thumbnail leaves YouTube's own."""
    key = state.media_key(ref.field("thumbnail_path"))
    if key is None:
        return
    with contextlib.suppress(ApiError):
        await set_thumbnail(state, yt, grant, key, video_id, ref.id)


async def set_thumbnail(
    state: GatewayState, yt: YouTube, grant: Grant, key: str, video_id: str, project_id: str
) -> None:
    data = await state.storage.get_bytes(key)
    content_type = "image/png" if key.endswith(".png") else "image/jpeg"
    await yt.quota.spend(WRITE_UNITS, project_id)
    url = f"{yt.settings.youtube_upload_base_url}/thumbnails/set"
    response = await yt.google.call(
        grant,
        "POST",
        url,
        params={"videoId": video_id, "uploadType": "media"},
        headers={"Content-Type": content_type},
        content=data,
    )
    if response.status_code >= 300:
        raise api_error(response)


async def add_to_playlist(
    yt: YouTube, grant: Grant, playlist_id: str, video_id: str, project_id: str | None
) -> Doc:
    await yt.quota.spend(WRITE_UNITS, project_id)
    body = {
        "snippet": {
            "playlistId": playlist_id,
            "resourceId": {"kind": "youtube#video", "videoId": video_id},
        }
    }
    return await yt.google.json(
        grant, "POST", "/playlistItems", params={"part": "snippet"}, json=body
    )


def parse_publish_at(value: str | None, timezone: str | None, default_zone: str) -> str | None:
    """The app's `publish_at` (local `YYYY-MM-DDTHH:MM`, no zone) as UTC; 422 if in the past."""
    if value is None or not value.strip():
        return None
    try:
        zone = zoneinfo.ZoneInfo(timezone or default_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ApiError(422, f"timezone: unknown time zone {timezone!r}") from None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        # Near the ends of the calendar a zone's offset leaves datetime's range.
        utc = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ApiError(
            422, "publish_at: give a local time as YYYY-MM-DDTHH:MM (e.g. 2030-01-02T10:00)"
        ) from None
    if utc <= datetime.now(UTC) + timedelta(minutes=1):
        raise ApiError(422, "publish_at: must be in the future")
    return iso_utc(utc)


def upload_answer(result: Any) -> Doc:
    """The app's answer to its upload call, from the job's result."""
    result = result or {}
    return {
        "youtube_video_id": result.get("youtube_video_id"),
        "youtube_url": result.get("youtube_url"),
        "uploaded_at": result.get("youtube_uploaded_at"),
        "scheduled_publish_at": result.get("youtube_scheduled_publish_at"),
        "is_premiere": bool(result.get("youtube_is_premiere")),
    }
