"""Calling a cloud TTS provider: bounded timeouts, retries only where a retry can help.

Connect errors, 429 and 5xx are retried (honouring Retry-After, capped); anything else is
answered at once. What reaches our caller is 502 (a bad answer), 503 (unavailable, or still
rate-limited after the last attempt) or 504 (too slow), naming the provider and its status.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
)

from contracts.errors import ApiError

log = logging.getLogger("services.audio.cloud")

_SENTENCE_BREAK = re.compile(r"(?<=[.!?\u2026])\s+")


class _Retryable(Exception):
    def __init__(self, status: int | None, retry_after: float | None) -> None:
        super().__init__(f"status {status}")
        self.status = status
        self.retry_after = retry_after


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


class ProviderHttp:
    """POSTs to one provider; every failure becomes an ApiError fit for our caller."""

    def __init__(
        self,
        label: str,
        client: httpx.AsyncClient,
        *,
        timeout_seconds: float,
        attempts: int,
        max_backoff_seconds: float,
    ) -> None:
        self.label = label
        self.client = client
        self.timeout = timeout_seconds
        self.attempts = attempts
        self.max_backoff = max_backoff_seconds

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_backoff)
        return float(min(0.5 * 2 ** (state.attempt_number - 1), self.max_backoff))

    async def post(
        self, url: str, *, headers: dict[str, str], json: dict[str, Any]
    ) -> httpx.Response:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._send(url, headers, json)
        except _Retryable as exc:
            raise self._exhausted(exc) from None
        raise AssertionError("unreachable: tenacity either returns or re-raises")

    async def _send(
        self, url: str, headers: dict[str, str], body: dict[str, Any]
    ) -> httpx.Response:
        try:
            response = await self.client.post(
                url, headers=headers, json=body, timeout=httpx.Timeout(self.timeout)
            )
        except httpx.ConnectTimeout:
            raise _Retryable(None, None) from None
        except httpx.TimeoutException:
            raise ApiError(504, f"{self.label} did not answer within {self.timeout:g} s") from None
        except httpx.ConnectError:
            raise _Retryable(None, None) from None
        except httpx.TransportError as exc:
            log.warning("%s transport error: %s", self.label, type(exc).__name__)
            raise ApiError(502, f"{self.label} dropped the connection") from None
        status = response.status_code
        if status == 429 or status >= 500:
            log.warning("%s answered HTTP %d", self.label, status)
            raise _Retryable(status, _retry_after(response))
        if status >= 400:
            # The provider's own message helps the operator (bad key, unknown voice); it stays
            # in the log because it may echo what we sent.
            log.error("%s refused: HTTP %d %s", self.label, status, response.text[:500])
            raise ApiError(
                502,
                f"{self.label} refused the request (HTTP {status})",
                details={"provider_status": status},
            )
        return response

    def _exhausted(self, exc: _Retryable) -> ApiError:
        tries = f"after {self.attempts} attempt{'s' if self.attempts > 1 else ''}"
        details = {"provider_status": exc.status, "attempts": self.attempts}
        if exc.status is None:
            return ApiError(503, f"{self.label} is unreachable {tries}", details=details)
        if exc.status == 429:
            return ApiError(
                503, f"{self.label} is rate limiting (HTTP 429) {tries}", details=details
            )
        if exc.status == 503:
            return ApiError(503, f"{self.label} is unavailable (HTTP 503) {tries}", details=details)
        if exc.status == 504:
            return ApiError(504, f"{self.label} timed out (HTTP 504) {tries}", details=details)
        return ApiError(502, f"{self.label} failed (HTTP {exc.status}) {tries}", details=details)


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut between sentences, else between words."""
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_BREAK.split(text.strip()):
        for part in _fit(sentence, limit):
            joined = f"{current} {part}" if current else part
            if len(joined) <= limit:
                current = joined
            else:
                pieces.append(current)
                current = part
    if current:
        pieces.append(current)
    return pieces


def _fit(sentence: str, limit: int) -> list[str]:
    if len(sentence) <= limit:
        return [sentence]
    parts: list[str] = []
    current = ""
    for word in sentence.split():
        while len(word) > limit:
            # One "word" longer than the limit (a pasted URL): cut it; nothing better exists.
            if current:
                parts.append(current)
                current = ""
            parts.append(word[:limit])
            word = word[limit:]
        joined = f"{current} {word}" if current else word
        if len(joined) <= limit:
            current = joined
        else:
            parts.append(current)
            current = word
    if current:
        parts.append(current)
    return parts
