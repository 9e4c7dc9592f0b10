"""Database failures answered as what they mean to the caller, never as a 500: the database is
unreachable or did not answer in time (503, try again), or a number in the request is too
large for it to store (400)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from pymongo.errors import ConnectionFailure
from starlette.responses import Response

from contracts.errors import ApiError
from runtime.errors import error_response

log = logging.getLogger("gateway.db")
RETRY_AFTER_SECONDS = 5
# What BSON encoding says of an int beyond 64 bits; other OverflowErrors stay internal errors.
_BSON_OVERFLOW = "MongoDB can only handle up to 8-byte ints"


def unavailable(exc: ConnectionFailure) -> ApiError:
    # The class is enough for an operator; the driver's text lists hosts and topology.
    log.warning("database unavailable: %s", type(exc).__name__)
    return ApiError(
        503,
        "The database is unavailable; try again shortly",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _respond(error: ApiError) -> Response:
    return error_response(
        error.status, error.detail, code=error.code, details=error.details, headers=error.headers
    )


async def _unavailable(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConnectionFailure)
    return _respond(unavailable(exc))


async def _overflow(_: Request, exc: Exception) -> Response:
    # Bodies are checked when read (gateway/json_body.py); what is left is a query value.
    if str(exc) != _BSON_OVERFLOW:
        raise exc
    return _respond(
        ApiError(400, "A number in the request is out of range: integers must fit in 64 bits")
    )


def install_db_error_handlers(app: FastAPI) -> None:
    # ConnectionFailure is every "could not reach it in time" of the driver: server selection
    # timed out, a network timeout, a dropped connection (AutoReconnect), a full pool.
    app.add_exception_handler(ConnectionFailure, _unavailable)
    app.add_exception_handler(OverflowError, _overflow)
