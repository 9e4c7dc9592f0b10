"""`POST /api/v1/media/upload` and `/api/v1/audio/upload`: stage, ingest, count, record.

The gateway only moves bytes: it streams the file to a staging key under the route's size
limit and the user's remaining quota, and the video service decides what the file is
(`POST /ingest`). The quota is taken from the final size in one conditional update, so two
uploads at once cannot both take its last bytes; any later failure gives it back and deletes
the new files, so a refused upload leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from pathlib import PurePath

from fastapi import Request

from contracts.errors import ApiError
from contracts.library import IngestedFile, IngestKind, IngestRequest
from gateway.auth.principal import Principal
from gateway.db import Doc
from gateway.library.multipart import OverLimit, Upload, read_upload
from gateway.state import GatewayState

log = logging.getLogger("gateway.library")
AUDIO_CATEGORIES = ("music", "sound_effects")
MAX_TITLE = 255
MAX_CATEGORY = 100
MAX_TAGS = 20
MAX_TAG = 50


def quota_of(state: GatewayState, principal: Principal) -> int:
    quotas = state.settings.upload_quota_bytes
    return quotas.get(principal.tier, quotas.get("free", 0))


def _fields(upload: Upload, kind: IngestKind) -> tuple[str, str | None, list[str]]:
    """Title, category and tags from the form, checked before anything is stored."""
    fields = upload.fields
    for name, value in fields.items():
        if "\0" in value:
            raise ApiError(422, f"{name}: must not contain NUL characters")
    title = (
        fields.get("title", "").strip()
        or PurePath(upload.filename or "").stem.replace("\0", "")
        or "Untitled"
    )
    if len(title) > MAX_TITLE:
        raise ApiError(422, f"title: at most {MAX_TITLE} characters")
    category = fields.get("category", "").strip() or None
    if kind == "audio":
        category = category or "music"
        if category not in AUDIO_CATEGORIES:
            raise ApiError(422, "category: Input should be 'music' or 'sound_effects'")
    elif category is not None and len(category) > MAX_CATEGORY:
        raise ApiError(422, f"category: at most {MAX_CATEGORY} characters")
    tags = [t.strip() for t in fields.get("tags", "").split(",") if t.strip()]
    if len(tags) > MAX_TAGS or any(len(t) > MAX_TAG for t in tags):
        raise ApiError(
            422, f"tags: at most {MAX_TAGS} tags of {MAX_TAG} characters, comma-separated"
        )
    return title, category, tags


async def _ingest(state: GatewayState, upload: Upload, kind: IngestKind) -> IngestedFile:
    staged = f"staging/{uuid.uuid4().hex}/upload"
    await state.storage.put_file(staged, upload.path, "application/octet-stream")
    body = IngestRequest(
        key=staged, kind=kind, filename=upload.filename, content_type=upload.content_type
    )
    try:
        return await state.services.video.call(
            "POST", "/ingest", IngestedFile, json=body.model_dump()
        )
    finally:
        # The service deletes it too; this covers a service that never got the request.
        await state.storage.delete(staged)


async def _discard(state: GatewayState, keys: list[str]) -> None:
    for key in keys:
        with contextlib.suppress(Exception):
            await state.storage.delete(key)


async def upload(
    request: Request, state: GatewayState, principal: Principal, kind: IngestKind
) -> Doc:
    settings = state.settings
    limit = settings.upload_max_media_bytes if kind == "media" else settings.upload_max_audio_bytes
    quota = quota_of(state, principal)
    remaining = max(quota - await state.library.used_bytes(principal.user_id), 0)
    try:
        async with read_upload(request, min(limit, remaining)) as received:
            title, category, tags = _fields(received, kind)
            ingested = await _ingest(state, received, kind)
    except OverLimit:
        if remaining < limit:
            raise ApiError(
                413, f"file: over your storage quota ({remaining} of {quota} bytes left on "
                f"the {principal.tier} plan)",
            ) from None  # fmt: skip
        raise ApiError(413, f"file: larger than the limit of {limit} bytes") from None
    keys = [k for k in (ingested.key, ingested.thumbnail_key, ingested.waveform_key) if k]
    size = ingested.size_bytes + ingested.extra_bytes
    if not await state.library.reserve(principal.user_id, size, quota):
        await _discard(state, keys)
        raise ApiError(
            413, f"file: over your storage quota ({quota} bytes on the {principal.tier} plan)"
        )
    try:
        await state.media_owners.record(keys, principal.user_id, None)
        return await state.library.add(
            kind,
            principal.user_id,
            source="uploaded",
            title=title,
            key=ingested.key,
            content_type=ingested.content_type,
            size_bytes=size,
            media_type=None if ingested.type == "audio" else ingested.type,
            category=category,
            tags=tags,
            width=ingested.width,
            height=ingested.height,
            duration=ingested.duration,
            thumbnail_key=ingested.thumbnail_key,
            waveform_key=ingested.waveform_key,
        )
    except BaseException:
        await state.library.release(principal.user_id, size)
        await state.media_owners.forget(keys)
        await _discard(state, keys)
        raise
