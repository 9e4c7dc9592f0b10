"""Reading a JSON object body by hand, for routes that must keep unknown fields exactly as sent."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from contracts.errors import ApiError


async def json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        raise ApiError(400, "Request body is empty; send a JSON object")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiError(400, "Malformed JSON body") from None
    if not isinstance(body, dict):
        raise ApiError(422, "Request body must be a JSON object")
    return body


async def optional_json_object(request: Request) -> dict[str, Any]:
    """Like json_object, but an empty body means "use what the project already holds"."""
    if not (await request.body()).strip():
        return {}
    return await json_object(request)
