"""Rendering the error envelope (contracts.errors) and the handlers that answer with it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from contracts.errors import STATUS_CODES, ApiError
from runtime.request_id import current_request_id


def envelope_bytes(
    status: int, detail: str, code: str | None = None, details: dict[str, Any] | None = None
) -> bytes:
    body = {
        "detail": detail,
        "error": {
            "code": code or STATUS_CODES.get(status, "ERROR"),
            "message": detail,
            "details": details,
            "timestamp": datetime.now(UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "request_id": current_request_id(),
        },
    }
    if status == 429 and details and "retryAfter" in details:
        body["retryAfter"] = details["retryAfter"]
    return orjson.dumps(body)


def error_response(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        envelope_bytes(status, detail, code, details),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "body"


def validation_message(errors: Sequence[Mapping[str, Any]]) -> tuple[str, list[dict[str, str]]]:
    """One readable sentence for the first problem, and a JSON-safe list of all of them."""
    clean = [{"field": _loc(e.get("loc", ())), "message": str(e.get("msg", ""))} for e in errors]
    if any(e.get("type") == "json_invalid" for e in errors):
        return "Malformed JSON body", clean
    if not clean:
        return "Invalid request", clean
    first = clean[0]
    message = f"{first['field']}: {first['message']}"
    if len(clean) > 1:
        message += f" (and {len(clean) - 1} more)"
    return message, clean


async def _api_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(
        exc.status, exc.detail, code=exc.code, details=exc.details, headers=exc.headers
    )


async def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else "Request failed"
    if exc.status_code == 404 and detail == "Not Found":
        detail = "Not found"
    return error_response(exc.status_code, detail, headers=dict(exc.headers or {}))


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    message, errors = validation_message(exc.errors())
    # A body that is not JSON at all is a syntax error (400), not a semantic one (422).
    status = 400 if any(e.get("type") == "json_invalid" for e in exc.errors()) else 422
    return error_response(status, message, details={"errors": errors})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
