"""`GET /media/{key}`: stored files with byte ranges (206), ETag and the right content type.

Audio and video players in the browser seek with Range requests, so a single byte range is
honoured exactly; a multi-range request is answered with the whole file, which RFC 9110 allows.
"""

from __future__ import annotations

import re
from email.utils import formatdate

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from contracts.errors import ApiError
from contracts.media_keys import validate_key
from gateway.auth.principal import request_principal
from gateway.deps import State
from runtime.errors import error_response
from runtime.storage import StoredObject

router = APIRouter(tags=["media"])
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """(start, end) inclusive for one satisfiable range; None to serve the whole file."""
    match = _RANGE.match(header.strip())
    if not match:
        return None  # multiple ranges or another unit: the whole file
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        length = int(last)
        if length == 0:
            raise ApiError(416, "Requested range not satisfiable")
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise ApiError(416, "Requested range not satisfiable")
    return start, end


def _headers(obj: StoredObject, private: bool) -> dict[str, str]:
    return {
        "Accept-Ranges": "bytes",
        "ETag": f'"{obj.etag}"',
        "Last-Modified": formatdate(obj.modified, usegmt=True),
        # Shared caches must not keep what only a signed URL or credentials may fetch.
        "Cache-Control": f"{'private' if private else 'public'}, max-age=3600",
    }


@router.get("/media/{key:path}", response_class=Response, operation_id="get_media")
@router.head("/media/{key:path}", response_class=Response, operation_id="head_media")
async def get_media(key: str, request: Request, state: State) -> Response:
    validate_key(key)
    signer = state.urls.signer
    # Auth required: a private project's media needs the signed URL the project showed, or
    # credentials (API clients) of someone who may read a project that refers to it.
    if (
        signer is not None
        and not signer.valid(key, request.query_params)
        and not await state.projects.media_readable(key, request_principal())
    ):
        raise ApiError(403, "This media link is invalid or expired; load the project again")
    obj = await state.storage.stat(key)
    if obj is None:
        raise ApiError(404, f"Media not found: {key}")
    headers = _headers(obj, private=signer is not None)
    if request.headers.get("if-none-match", "").strip() == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    start, end, status = 0, obj.size - 1, 200
    if (range_header := request.headers.get("range")) and obj.size > 0:
        try:
            span = parse_range(range_header, obj.size)
        except ApiError as exc:
            return error_response(
                exc.status, exc.detail, headers={"Content-Range": f"bytes */{obj.size}"}
            )
        if span is not None:
            start, end = span
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{obj.size}"
    headers["Content-Length"] = str(end - start + 1 if obj.size else 0)
    if request.method == "HEAD" or obj.size == 0:
        return Response(status_code=status, headers=headers, media_type=obj.content_type)
    return StreamingResponse(
        state.storage.iter_range(key, start, end),
        status_code=status,
        headers=headers,
        media_type=obj.content_type,
    )
