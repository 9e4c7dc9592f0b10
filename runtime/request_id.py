"""The id of the request being served, for the error envelope, log lines and upstream calls.

A module of its own so that the request middleware (which sets it) and the error envelope and
logs (which read it) both import it without importing each other.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
REQUEST_ID_HEADER = "x-request-id"


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str) -> Token[str | None]:
    """Bind the id for the rest of this request; hand the token to `reset_request_id`."""
    return _request_id.set(value)


def reset_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)


def incoming_request_id(value: str | None) -> str:
    """Keep a caller's id when it is safe to log and forward; otherwise make one."""
    if value and _SAFE_ID.match(value):
        return value
    return uuid.uuid4().hex
