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
        raw_id = None
        length: int | None = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                raw_id = value.decode("latin-1")
            elif name == b"content-length":
                length = int(value) if value.isdigit() else None
        request_id = incoming_request_id(raw_id)
        token = set_request_id(request_id)
        started = time.perf_counter()
        status_holder = [500]
        response_started = False
        id_header = (REQUEST_ID_HEADER.encode(), request_id.encode())

        limit = self.body_limits.get(scope["path"], self.max_body_bytes)
        too_large = f"Request body exceeds the limit of {limit} bytes"
        exceeded = False

        async def send_with_id(message: Message) -> None:
            nonlocal response_started
            if exceeded and not response_started:
                # The app may have turned our BodyTooLarge into its own error (FastAPI answers
                # 400 for any failure while reading a body): the caller gets the real reason.
                await send_error(413, too_large)
                return
            if exceeded and message["type"] == "http.response.body":
                return
            if message["type"] == "http.response.start":
                response_started = True
                status_holder[0] = message["status"]
                message["headers"] = [*message.get("headers", []), id_header]
            await send(message)

        async def send_error(status: int, detail: str) -> None:
            nonlocal response_started
            response_started = True
            status_holder[0] = status
            body = envelope_bytes(status, detail)
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                id_header,
            ]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        received = 0

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        try:
            if length is not None and length > limit:
                await send_error(413, too_large)
                return
            await self.app(scope, limited_receive, send_with_id)
        except BodyTooLarge:
            if not response_started:
                await send_error(413, too_large)
        except Exception:
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if not response_started:
                await send_error(500, "Internal server error")
        finally:
            seconds = time.perf_counter() - started
            log.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status_holder[0],
                extra={"status": status_holder[0], "duration_ms": round(seconds * 1000, 2)},
            )
            if self.on_done is not None:
                self.on_done(scope, status_holder[0], seconds)
            reset_request_id(token)
