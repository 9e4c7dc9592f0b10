"""Storage keys, the only way media is named on the wire (`audio/ab12/narration.mp3`).

A key is a plain relative path of safe segments, never a file-system path a caller chose:
`validate_key` refuses anything that could escape the storage root. Request models apply it, and
so does every storage backend before it touches a file or an object.
"""

from __future__ import annotations

import re

from contracts.errors import ApiError

_KEY_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
MAX_KEY_LENGTH = 512


def validate_key(key: str) -> str:
    """Return the key if it is a plain relative path of safe segments, else a 400."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ApiError(400, "Invalid media key: empty or too long")
    if key.startswith("/") or "\\" in key:
        raise ApiError(400, "Invalid media key: absolute paths are not allowed")
    for segment in key.split("/"):
        if segment in ("", ".", "..") or not _KEY_SEGMENT.match(segment):
            raise ApiError(400, f"Invalid media key: bad segment {segment[:40]!r}")
    return key


def validate_field_key(key: str, field: str) -> str:
    """validate_key, its 400 naming the request field that held the key."""
    try:
        return validate_key(key)
    except ApiError as exc:
        raise ApiError(400, f"{field}: {exc.detail}") from None
