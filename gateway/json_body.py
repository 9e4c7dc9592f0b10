"""Reading a JSON object body by hand, for routes that must keep unknown fields exactly as sent."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from contracts.errors import ApiError

# BSON integers are signed 64-bit; orjson reads integers up to 2**64 - 1, which the driver
# cannot encode (an OverflowError deep in the write, so a 500, after other checks passed).
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _oversized_int(body: dict[str, Any]) -> str | None:
    """The dotted path of an integer MongoDB cannot store, if there is one.

    A loop, not recursion: orjson accepts 1024 levels, more than Python's default recursion limit.
    """
    stack: list[tuple[str, Any]] = [(str(key), value) for key, value in body.items()]
    while stack:
        path, value = stack.pop()
        if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
            return path
        if isinstance(value, dict):
            stack.extend((f"{path}.{key}", item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((f"{path}.{index}", item) for index, item in enumerate(value))
    return None


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
    if (path := _oversized_int(body)) is not None:
        message = "Integer out of range: numbers must fit in 64 bits"
        raise ApiError(
            422, f"{path}: {message}", details={"errors": [{"field": path, "message": message}]}
        )
    return body


async def optional_json_object(request: Request) -> dict[str, Any]:
    """Like json_object, but an empty body means "use what the project already holds"."""
    if not (await request.body()).strip():
        return {}
    return await json_object(request)
