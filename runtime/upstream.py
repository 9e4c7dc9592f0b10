"""Calling an upstream over HTTP: the wait it asks for, and one client for cloud providers.

`ProviderHttp` bounds timeouts and answer sizes and retries only where a retry can help:
connect errors, 429 and 5xx (honouring Retry-After, capped); anything else is answered at once.
What reaches our caller is 502 (a bad answer), 503 (unavailable, or still rate-limited after the
last attempt) or 504 (too slow), naming the provider and its status.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import orjson
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from contracts.errors import ApiError

log = logging.getLogger("runtime.upstream")


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Seconds the upstream asks us to wait before trying again, never negative.

    OpenAI's `retry-after-ms` wins (it is the more precise); else `Retry-After`, as seconds or
    as an HTTP date. None when neither is there or readable.
    """
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        # An HTTP date is always GMT, even written with "-0000" (which parses as naive).
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class _Retryable(Exception):
    def __init__(self, status: int | None, retry_after: float | None) -> None:
        super().__init__(f"status {status}")
        self.status = status  # None: the connection was never made
        self.retry_after = retry_after


@dataclass(frozen=True)
class Answer:
    status: int
    headers: httpx.Headers
    content: bytes


class ProviderHttp:
    """Requests to one provider; every failure becomes an ApiError fit for our caller."""

    def __init__(
        self,
        label: str,
        client: httpx.AsyncClient,
        *,
        timeout_seconds: float,
        attempts: int,
        max_backoff_seconds: float,
        backoff_seconds: float = 0.5,
        connect_timeout_seconds: float | None = None,
        max_bytes: int | None = None,
    ) -> None:
        """`label` names the provider in errors; `connect_timeout_seconds` defaults to
        `timeout_seconds`; `max_bytes` None accepts an answer of any size."""
        self.label = label
        self.client = client
        connect = timeout_seconds if connect_timeout_seconds is None else connect_timeout_seconds
        self.timeout = httpx.Timeout(timeout_seconds, connect=connect)
        self.timeout_seconds = timeout_seconds
        self.attempts = attempts
        self.backoff = backoff_seconds
        self.max_backoff = max_backoff_seconds
        self.max_bytes = max_bytes

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_backoff)
        return float(min(self.backoff * 2 ** (state.attempt_number - 1), self.max_backoff))

    async def request(self, method: str, url: str, **kwargs: Any) -> Answer:
        """Send with retries; `kwargs` go to httpx (headers, json, data, files, auth)."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._send(method, url, kwargs)
        except _Retryable as exc:
            raise self._exhausted(exc) from None
        raise AssertionError("unreachable: tenacity either returns or re-raises")

    async def _send(self, method: str, url: str, kwargs: dict[str, Any]) -> Answer:
        try:
            request = self.client.build_request(method, url, timeout=self.timeout, **kwargs)
            response = await self.client.send(request, stream=True)
            try:
                content = await self._read(response)
            finally:
                await response.aclose()
        except (httpx.ConnectTimeout, httpx.ConnectError):
            raise _Retryable(None, None) from None
        except httpx.TimeoutException:
            raise ApiError(
                504, f"{self.label} did not answer within {self.timeout_seconds:g} s"
            ) from None
        except httpx.TransportError as exc:
            log.warning("%s transport error: %s", self.label, type(exc).__name__)
            raise ApiError(502, f"{self.label} dropped the connection") from None
        status = response.status_code
        if status == 429 or status >= 500:
            log.warning("%s answered HTTP %d", self.label, status)
            raise _Retryable(status, retry_after_seconds(response.headers))
        if status >= 400:
            # The provider's own message helps the operator (bad key, unknown voice, refused
            # prompt); it stays in the log because it may echo what we sent.
            text = content[:500].decode(errors="replace")
            log.error("%s refused: HTTP %d %s", self.label, status, text)
            raise ApiError(
                502,
                f"{self.label} refused the request (HTTP {status})",
                details={"provider_status": status},
            )
        return Answer(status, response.headers, content)

    async def _read(self, response: httpx.Response) -> bytes:
        limit = self.max_bytes
        declared = response.headers.get("content-length", "")
        if limit is not None and declared.isdigit() and int(declared) > limit:
            raise ApiError(502, f"{self.label} sent an answer over {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if limit is not None and size > limit:
                raise ApiError(502, f"{self.label} sent an answer over {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

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

    def json(self, answer: Answer) -> dict[str, Any]:
        """The answer's JSON object, or a 502 saying the provider's answer was malformed."""
        try:
            payload = orjson.loads(answer.content)
        except orjson.JSONDecodeError:
            raise ApiError(502, f"{self.label} sent malformed JSON") from None
        if not isinstance(payload, dict):
            raise ApiError(502, f"{self.label} sent JSON of an unexpected shape")
        return payload
