"""Per-request context as a pure ASGI middleware: request id, body size limit, last-resort 500.

Pure ASGI rather than BaseHTTPMiddleware because it sits on every request of the hot path.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.errors import envelope_bytes
from runtime.request_id import (
    REQUEST_ID_HEADER,
    incoming_request_id,
    reset_request_id,
    set_request_id,
)

log = logging.getLogger("access")


class BodyTooLarge(Exception):
    pass


# Called once per request with its scope, status and seconds (metrics hook in the gateway).
RequestDone = Callable[[Scope, int, float], None]


def _request_headers(scope: Scope) -> tuple[str | None, int | None]:
    """The request's X-Request-ID as sent, and its declared Content-Length."""
    raw_id = None
    length: int | None = None
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            raw_id = value.decode("latin-1")
        elif name == b"content-length":
            length = int(value) if value.isdigit() else None
    return raw_id, length


class _Exchange:
    """One request as the middleware sees it: the body read within the limit, the answer sent
    with the request id, and the status it ended with."""

    def __init__(self, receive: Receive, send: Send, request_id: str, limit: int) -> None:
        self._receive = receive
        self._send = send
        self.id_header = (REQUEST_ID_HEADER.encode(), request_id.encode())
        self.limit = limit
        self.too_large = f"Request body exceeds the limit of {limit} bytes"
        self.status = 500
        self.started = False
        self.exceeded = False
        self.received = 0

    async def send(self, message: Message) -> None:
        if self.exceeded and not self.started:
            # The app may have turned our BodyTooLarge into its own error (FastAPI answers
            # 400 for any failure while reading a body): the caller gets the real reason.
            await self.error(413, self.too_large)
            return
        if self.exceeded and message["type"] == "http.response.body":
            return
        if message["type"] == "http.response.start":
            self.started = True
            self.status = message["status"]
            message["headers"] = [*message.get("headers", []), self.id_header]
        await self._send(message)

    async def error(self, status: int, detail: str) -> None:
        self.started = True
        self.status = status
        body = envelope_bytes(status, detail)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            self.id_header,
        ]
        await self._send({"type": "http.response.start", "status": status, "headers": headers})
        await self._send({"type": "http.response.body", "body": body})

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.exceeded = True
                raise BodyTooLarge
        return message


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        on_done: RequestDone | None = None,
        body_limits: Mapping[str, int] | None = None,
    ) -> None:
        """`body_limits`: paths (uploads) whose bodies may be larger, with their own limit."""
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.on_done = on_done
        self.body_limits = dict(body_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_id, length = _request_headers(scope)
        request_id = incoming_request_id(raw_id)
        token = set_request_id(request_id)
        started = time.perf_counter()
        limit = self.body_limits.get(scope["path"], self.max_body_bytes)
        exchange = _Exchange(receive, send, request_id, limit)
        try:
            if length is not None and length > limit:
                await exchange.error(413, exchange.too_large)
                return
            await self.app(scope, exchange.receive, exchange.send)
        except BodyTooLarge:
            if not exchange.started:
                await exchange.error(413, exchange.too_large)
        except Exception:
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if not exchange.started:
                await exchange.error(500, "Internal server error")
        finally:
            seconds = time.perf_counter() - started
            log.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                exchange.status,
                extra={"status": exchange.status, "duration_ms": round(seconds * 1000, 2)},
            )
            if self.on_done is not None:
                self.on_done(scope, exchange.status, seconds)
            reset_request_id(token)
