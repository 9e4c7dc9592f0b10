"""Who is asking, decided once per request before any route runs (pure ASGI: the hot path).

Safe by default: with auth required every route needs credentials except the few listed public
ones, so a route added later is protected without doing anything. In local mode an anonymous
request that reached the gateway over loopback acts as the built-in local user (no database
round trip, no rate-limit write), which keeps the unmodified app working.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import re
from dataclasses import dataclass

from pymongo.errors import ConnectionFailure
from starlette.types import ASGIApp, Receive, Scope, Send

from contracts.errors import ApiError
from gateway.auth.principal import LOCAL, Principal, principal_var
from gateway.auth.service import Accounts
from gateway.db_errors import unavailable
from gateway.security.counters import too_many
from gateway.users.apikeys import looks_like_key
from runtime.errors import error_response

log = logging.getLogger("gateway.auth")

PUBLIC_PATHS = frozenset(
    {
        "/health",
        "/health/live",
        "/health/ready",
        "/metrics",
        "/openapi.json",
        "/docs",
        "/docs/oauth2-redirect",
        "/redoc",
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/password-reset",
        "/api/v1/auth/password-reset/confirm",
        "/api/v1/auth/verify-email",
        "/api/v1/users/register",
        "/api/v1/users/login",
        "/api/v1/plans",
        # Stripe calls it without credentials; the event's signature is checked instead.
        "/api/v1/webhooks/stripe/payment",
        # Google's redirect carries no credentials; its signed state names the user.
        "/api/v1/youtube/oauth/callback",
    }
)
# Probes: they answer (saying the database is down) even when the rate counters cannot be kept.
HEALTH_PATHS = frozenset({"/health", "/health/live", "/health/ready"})
# Media URLs are used verbatim as <img>/<video> src, which sends no credentials; their keys are
# unguessable names the services made.
# Webhooks from other systems carry their own signatures (gateway/webhooks/inbound.py).
PUBLIC_PREFIXES = ("/media/", "/api/v1/webhooks/n8n/", "/api/v1/webhooks/youtube/")
# Starting a video render: the expensive call seed 003 limits per hour.
VIDEO_ROUTE = re.compile(
    r"^(/video/[^/]+|/projects/[^/]+/generate-video|/api/v1/videos/generate"
    r"|/api/v1/ai/video-generate|/api/v1/(videos|projects)/[^/]+/(render|regenerate|retry))/?$"
)
MINUTE = 60
HOUR = 3600


def _unauthorized(detail: str) -> ApiError:
    return ApiError(401, detail, headers={"WWW-Authenticate": "Bearer"})


@functools.lru_cache(maxsize=256)
def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a caller presented: the headers' values, or a Socket.IO `auth` payload's."""

    authorization: str | None = None
    api_key: str | None = None
    proxied: str | None = None


class Authenticator:
    """Who credentials name, by the same rules for every way in (HTTP requests, Socket.IO)."""

    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts
        settings = accounts.settings
        self.required = settings.auth_required
        self.allow_remote = settings.auth_allow_remote_anonymous
        self.proxy_header = (
            settings.auth_proxy_header.lower().encode() if settings.auth_proxy_header else None
        )
        self.proxy_networks = [
            ipaddress.ip_network(n, strict=False) for n in settings.auth_proxy_trusted
        ]
        self.warned_remote = False

    def _trusted_peer(self, scope: Scope) -> bool:
        client = scope.get("client")
        if not client or not self.proxy_networks:
            return False
        try:
            address = ipaddress.ip_address(client[0])
        except ValueError:
            return False
        return any(address in network for network in self.proxy_networks)

    def _local_allowed(self, scope: Scope) -> bool:
        if self.required:
            return False
        server = scope.get("server")
        # No server address means a Unix socket: only processes on this machine can reach it.
        if server is None or is_loopback(str(server[0])) or self.allow_remote:
            return True
        if not self.warned_remote:
            self.warned_remote = True
            log.warning(
                "anonymous request on non-loopback address %s refused: local mode serves "
                "anonymous requests over loopback only (set AUTH_REQUIRED=true)",
                server[0],
            )
        return False

    def credentials(self, scope: Scope) -> Credentials:
        authorization = api_key = proxied = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"x-api-key":
                api_key = value.decode("latin-1").strip()
            elif name == self.proxy_header:
                proxied = value.decode("latin-1").strip()
        return Credentials(authorization, api_key, proxied)

    async def resolve(self, scope: Scope, presented: Credentials | None = None) -> Principal | None:
        """The principal of the credentials presented (by default the scope's headers); None
        for an anonymous caller who may not act as the local user; ApiError 401 for bad ones."""
        creds = presented or self.credentials(scope)
        if creds.api_key:
            return await self.accounts.principal_from_key(creds.api_key)
        if creds.authorization is not None:
            scheme, _, credential = creds.authorization.strip().partition(" ")
            credential = credential.strip()
            if scheme.lower() != "bearer" or not credential:
                raise _unauthorized("Authorization must be 'Bearer <token or API key>'")
            if looks_like_key(credential):
                return await self.accounts.principal_from_key(credential)
            return self.accounts.principal_from_token(credential)
        if creds.proxied and self._trusted_peer(scope):
            if "@" not in creds.proxied or len(creds.proxied) > 320:
                raise _unauthorized("The authenticating proxy sent an invalid user email")
            return await self.accounts.principal_from_proxy(creds.proxied)
        return LOCAL if self._local_allowed(scope) else None


class AuthMiddleware:
    def __init__(self, app: ASGIApp, *, accounts: Accounts) -> None:
        self.app = app
        self.accounts = accounts
        self.authenticator = Authenticator(accounts)
        self.required = accounts.settings.auth_required

    async def _limit(self, scope: Scope, principal: Principal | None) -> None:
        settings = self.accounts.settings
        if not settings.rate_limit_enabled or (principal is not None and principal.is_local):
            return
        if principal is None:
            if not self.required:
                return
            client = scope.get("client")
            subject, tier = f"ip:{client[0] if client else '-'}", "free"
        else:
            subject, tier = principal.user_id, principal.tier
        per_minute = settings.rate_limit_per_minute
        limit = per_minute.get(tier, per_minute.get("free", 100))
        window = await self.accounts.rate.hit(f"req:{subject}", limit, MINUTE)
        if window.exceeded:
            raise too_many(f"Rate limit exceeded: {limit} requests per minute", window)
        if scope["method"] == "POST" and VIDEO_ROUTE.match(scope["path"]):
            per_hour = settings.rate_limit_video_per_hour
            limit = per_hour.get(tier, per_hour.get("free", 10))
            window = await self.accounts.rate.hit(f"video:{subject}", limit, HOUR)
            if window.exceeded:
                raise too_many(f"Video generation limit reached: {limit} per hour", window)

    @staticmethod
    async def _refuse(exc: ApiError, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            exc.status, exc.detail, code=exc.code, details=exc.details, headers=exc.headers
        )
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        try:
            principal = await self.authenticator.resolve(scope)
            if (
                principal is None
                and path not in PUBLIC_PATHS
                and not path.startswith(PUBLIC_PREFIXES)
            ):
                if self.required:
                    raise _unauthorized("Authentication required")
                raise _unauthorized(
                    "Authentication required: anonymous access is served on loopback only"
                )
            try:
                await self._limit(scope, principal)
            except ConnectionFailure:
                if path not in HEALTH_PATHS:
                    raise
        except ConnectionFailure as exc:
            # Out here the app's exception handlers do not apply: answer the same 503 they do.
            await self._refuse(unavailable(exc), scope, receive, send)
            return
        except ApiError as exc:
            await self._refuse(exc, scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        token = principal_var.set(principal)
        try:
            await self.app(scope, receive, send)
        finally:
            principal_var.reset(token)
