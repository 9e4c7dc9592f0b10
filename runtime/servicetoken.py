"""The shared secret between the gateway and the services (README "Trust between deployables").

The gateway sends `Authorization: Bearer <first token>` on every service call; a service with
tokens configured answers 401 to any request without one of them, except its health probe.
Several tokens are accepted so the secret rotates without downtime: add the new one first
everywhere (the gateway then sends it, the services accept both), then drop the old one.

`Authorization: Bearer` rather than a custom header: it is the standard place for a credential,
so proxies, tracing and log scrubbers already treat it as secret, and a 401 can say
`WWW-Authenticate: Bearer`. The gateway never forwards its callers' headers to a service, so a
user's own token cannot reach a service in its place.

Pure ASGI rather than BaseHTTPMiddleware because it sits on every request of the hot path.
"""

from __future__ import annotations

import hmac
import json
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode
from starlette.types import ASGIApp, Receive, Scope, Send

from runtime.errors import envelope_bytes

# As long as a JWT signing key: a service token opens every service, so it must not be guessable.
MIN_TOKEN_CHARS = 32
# Probes carry no credentials (kubelet, Docker healthcheck, the gateway's readiness check).
OPEN_PATHS = frozenset({"/health"})
_CHALLENGE = (b"www-authenticate", b'Bearer realm="service"')


class ServiceTokenSettings(BaseSettings):
    """`SERVICE_TOKENS`, inherited by every deployable's settings object (same name everywhere)."""

    # Comma list or JSON list; every token is accepted, the first is the one the gateway sends.
    # Empty: the services answer anyone (local runs; `studio up` always sets one).
    service_tokens: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list, repr=False)

    @field_validator("service_tokens", mode="before")
    @classmethod
    def _token_list(cls, value: object) -> object:
        # Named apart from the subclasses' own validators, which would otherwise replace it.
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("service_tokens")
    @classmethod
    def _tokens_long_enough(cls, tokens: list[SecretStr]) -> list[SecretStr]:
        if any(len(token.get_secret_value()) < MIN_TOKEN_CHARS for token in tokens):
            raise ValueError(f"every service token must be at least {MIN_TOKEN_CHARS} characters")
        return tokens

    def service_token_values(self) -> list[str]:
        return [token.get_secret_value() for token in self.service_tokens]


def bearer_header(token: str) -> dict[str, str]:
    """The header the gateway sends on every call to a service."""
    return {"authorization": f"Bearer {token}"}


class ServiceTokenMiddleware:
    """Answers 401 in the error envelope unless the request presents an accepted token."""

    def __init__(self, app: ASGIApp, *, tokens: list[str]) -> None:
        self.app = app
        self.accepted = [b"Bearer " + token.encode() for token in tokens]

    def _accepts(self, presented: bytes) -> bool:
        # Every accepted token is compared, in constant time, so timing tells nothing of which
        # one came close.
        matches = [hmac.compare_digest(presented, accepted) for accepted in self.accepted]
        return any(matches)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        presented = next((v for k, v in scope["headers"] if k == b"authorization"), None)
        if presented is not None and self._accepts(presented):
            await self.app(scope, receive, send)
            return
        detail = "Missing service token" if presented is None else "Invalid service token"
        body = envelope_bytes(401, detail)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            _CHALLENGE,
        ]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": body})
