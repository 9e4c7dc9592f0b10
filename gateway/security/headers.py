"""Security headers on every response, as a pure ASGI middleware (it sits on the hot path)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BASE: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
# JSON and media need no scripts, styles or frames; the interactive docs load Swagger's assets.
STRICT_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
DOCS_PREFIXES = ("/docs", "/redoc")
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
NO_STORE = (b"cache-control", b"no-store")
# Answers carrying tokens or account data must not be cached by browsers or proxies.
PRIVATE_PREFIXES = ("/api/v1/auth", "/api/v1/users", "/api/v1/api-keys")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        extra = list(BASE)
        if not path.startswith(DOCS_PREFIXES):
            extra.append(STRICT_CSP)
        if scope.get("scheme") == "https":
            extra.append(HSTS)
        if path.startswith(PRIVATE_PREFIXES):
            extra.append(NO_STORE)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
