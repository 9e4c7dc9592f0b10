"""Google's HTTP contracts: the OAuth 2.0 endpoints (web flow with PKCE) and the YouTube Data
API, with a grant's access token refreshed when it expires or a call answers 401.

Google's failures become clear answers: a revoked grant 403 (connect again), a spent quota
429, a missing video 404, Google unreachable 503, slow 504, broken 502.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import httpx

from contracts.errors import ApiError
from gateway.settings import GatewaySettings
from gateway.youtube.tokens import Grant, TokenStore

log = logging.getLogger("gateway.youtube")
SCOPES = (
    "https://www.googleapis.com/auth/youtube.upload",
    "https://www.googleapis.com/auth/youtube",
)
# An access token this close to expiry is refreshed before use.
EXPIRY_MARGIN = 60.0
# A spent quota is not a busy service: a job that meets it fails rather than waits for a day.
QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
REVOKED = "YouTube access was revoked or has expired; connect the account to YouTube again"


class GrantRevoked(ApiError):
    def __init__(self) -> None:
        super().__init__(403, REVOKED)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _reason(response: httpx.Response) -> tuple[str, str]:
    """(reason, message) of a Google error answer."""
    try:
        body = response.json()
    except ValueError:
        return "", response.text[:200]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        errors = error.get("errors") or [{}]
        return str(errors[0].get("reason", "")), str(error.get("message", ""))
    if isinstance(error, str):
        return error, str(body.get("error_description", ""))
    return "", ""


def api_error(response: httpx.Response) -> ApiError:
    reason, message = _reason(response)
    if reason in ("quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded"):
        return ApiError(
            429,
            "YouTube's API quota for today is used up; try again after it resets",
            code=QUOTA_EXCEEDED,
            headers={"Retry-After": "3600"},
        )
    if response.status_code == 401:
        return GrantRevoked()
    if response.status_code == 404:
        return ApiError(404, f"YouTube says not found: {message or reason}")
    if response.status_code in (400, 403):
        return ApiError(422, f"YouTube refused the request: {message or reason}")
    return ApiError(502, f"YouTube failed (status {response.status_code})")


class Google:
    def __init__(self, settings: GatewaySettings, tokens: TokenStore) -> None:
        self.settings = settings
        self.tokens = tokens
        timeout = httpx.Timeout(settings.youtube_timeout_seconds, connect=5.0)
        self.http = httpx.AsyncClient(timeout=timeout)

    @property
    def configured(self) -> bool:
        s = self.settings
        return bool(s.youtube_client_id and s.youtube_client_secret and self.tokens.sealer.active)

    def require(self) -> None:
        if not self.configured:
            # 409, not 503: nothing will pass by retrying until the operator configures it.
            raise ApiError(
                409,
                "YouTube is not configured on this server: set YOUTUBE_CLIENT_ID, "
                "YOUTUBE_CLIENT_SECRET and YOUTUBE_TOKEN_KEYS",
            )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def send(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self.http.send(request)
        except httpx.TimeoutException:
            raise ApiError(504, "YouTube did not answer in time") from None
        except httpx.TransportError:
            raise ApiError(
                503, "YouTube is unreachable; try again shortly", headers={"Retry-After": "30"}
            ) from None

    # --- OAuth 2.0 ---------------------------------------------------------------------------

    def auth_url(self, state: str, challenge: str) -> str:
        query = {
            "client_id": self.settings.youtube_client_id,
            "redirect_uri": self.settings.youtube_redirect_uri,
            "response_type": "code",
            "scope": " ".join(SCOPES),
            "access_type": "offline",
            "prompt": "consent",
            "include_granted_scopes": "true",
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.settings.youtube_auth_endpoint}?{urlencode(query)}"

    async def _token(self, form: dict[str, str]) -> dict[str, Any]:
        form = {
            **form,
            "client_id": self.settings.youtube_client_id or "",
            "client_secret": self.settings.youtube_client_secret or "",
        }
        request = self.http.build_request("POST", self.settings.youtube_token_endpoint, data=form)
        response = await self.send(request)
        if response.status_code == 200:
            body: dict[str, Any] = response.json()
            return body
        reason, _ = _reason(response)
        if reason in ("invalid_grant", "unauthorized_client"):
            raise GrantRevoked()
        raise ApiError(502, f"Google's token endpoint failed (status {response.status_code})")

    async def exchange(self, code: str, verifier: str) -> dict[str, Any]:
        return await self._token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "code_verifier": verifier,
                "redirect_uri": self.settings.youtube_redirect_uri,
            }
        )

    async def refresh(self, grant: Grant) -> Grant:
        if not grant.refresh_token:
            raise GrantRevoked()
        try:
            answer = await self._token(
                {"grant_type": "refresh_token", "refresh_token": grant.refresh_token}
            )
        except GrantRevoked:
            # The user revoked the app at Google (or the token expired): the grant is useless.
            await self.tokens.delete(grant.key)
            raise
        return await self.tokens.refreshed(
            grant, str(answer["access_token"]), float(answer.get("expires_in", 3600))
        )

    async def revoke(self, grant: Grant) -> None:
        token = grant.refresh_token or grant.access_token
        request = self.http.build_request(
            "POST", self.settings.youtube_revoke_endpoint, data={"token": token}
        )
        response = await self.send(request)
        # 400 invalid_token: already revoked at Google, which is what was asked.
        if response.status_code not in (200, 400):
            raise ApiError(502, f"Google's revoke endpoint failed (status {response.status_code})")

    # --- the Data API ------------------------------------------------------------------------

    async def grant(self, key: str) -> Grant:
        grant = await self.tokens.load(key)
        if grant is None:
            raise ApiError(
                409, "Not connected to YouTube: connect first (GET /auth/url, then sign in)"
            )
        if grant.expires_at - EXPIRY_MARGIN < time.time():
            grant = await self.refresh(grant)
        return grant

    async def call(
        self,
        grant: Grant,
        method: str,
        url: str,
        headers: dict[str, str] | None = None,
        **options: Any,
    ) -> httpx.Response:
        """One authorised call; a 401 refreshes the access token (in `grant`) and tries once
        more, so a token revoked meanwhile ends as GrantRevoked."""

        def build() -> httpx.Request:
            auth = {**(headers or {}), "Authorization": f"Bearer {grant.access_token}"}
            return self.http.build_request(method, url, headers=auth, **options)

        response = await self.send(build())
        if response.status_code == 401:
            log.info("youtube: access token refused, refreshing")
            await self.refresh(grant)
            response = await self.send(build())
        return response

    async def json(self, grant: Grant, method: str, path: str, **options: Any) -> dict[str, Any]:
        url = f"{self.settings.youtube_api_base_url}{path}"
        response = await self.call(grant, method, url, **options)
        if response.status_code >= 300:
            raise api_error(response)
        if not response.content:
            return {}
        body: dict[str, Any] = response.json()
        return body
