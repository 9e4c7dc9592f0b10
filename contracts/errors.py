"""The one error envelope every deployable answers with.

`detail` is always a string because the app renders it into the page; `error` carries the
machine-readable code and the request id. A 5xx never carries an exception's text.
`ApiError` is an envelope on its way out; `runtime.errors` renders it and installs the handlers.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

STATUS_CODES: dict[int, str] = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    416: "RANGE_NOT_SATISFIABLE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}


class ErrorInfo(BaseModel):
    code: str
    message: str
    details: dict[str, Any] | None = None
    timestamp: str
    request_id: str | None = None


class ErrorEnvelope(BaseModel):
    detail: str
    error: ErrorInfo


class ApiError(Exception):
    """An expected failure with a status and a message fit to show a person."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code or STATUS_CODES.get(status, "ERROR")
        self.details = details
        self.headers = headers or {}
