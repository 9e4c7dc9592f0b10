"""Calling an upstream over HTTP: the one retry policy, the wait an upstream asks for, and one
client for cloud providers.

`RetryPolicy` is the retry loop of every caller (the gateway's service clients, the services'
cloud providers, the script service's LLM writer). It retries only what can pass: a connection
that was never made, 429 and 503 (the upstream did not take the request; its Retry-After is
honoured, capped), and 502/504 only where the call is safe to repeat. Never a 4xx (the same
request is refused the same way), nor a 500 (a fault upstream answers the same next time).

`ProviderHttp` bounds timeouts and answer sizes on top of it. What reaches its caller is 502 (a
bad answer), 503 (unavailable, or still rate-limited after the last attempt) or 504 (too slow),
naming the provider and its status.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
import orjson
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from contracts.errors import ApiError

log = logging.getLogger("runtime.upstream")

T = TypeVar("T")
# The connection was never made, so the upstream cannot have acted on the request.
CONNECTION_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout)
# The upstream did not take the request (rate limited, or down for a while).
NOT_TAKEN = frozenset({429, 503})
# A proxy's or the upstream's own gateway failed: the work may have been done, so only a call
# that can be repeated without harm is tried again.
GATEWAY_ERRORS = frozenset({502, 504})


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


class UpstreamStatus(Exception):
    """An upstream answered with an error status. Raised from inside `RetryPolicy.run`, it is
    retried when the policy says it can pass, else (or after the last attempt) it propagates."""

    def __init__(self, status: int, headers: httpx.Headers) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after_seconds(headers)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently one caller tries an upstream again (bounded attempts, a
    doubling backoff, the upstream's Retry-After honoured up to a cap)."""

    attempts: int
    backoff_seconds: float  # the first wait, doubled after every attempt
    max_backoff_seconds: float
    max_retry_after_seconds: float
    # True when the call has no effect a repeat could double (an idempotent read, a generation
    # that only computes an answer): 502 and 504 are then retried too.
    repeatable: bool = False
    # A Retry-After beyond the cap: by default the cap is waited and the call tried again (the
    # upstream may free up sooner, as a busy render slot does); True gives up at once, so the
    # caller can pass the wait on instead of holding its own caller for nothing.
    give_up_beyond_cap: bool = False

    def retries_status(self, status: int) -> bool:
        return status in NOT_TAKEN or (self.repeatable and status in GATEWAY_ERRORS)

    def _can_pass(self, exc: BaseException) -> bool:
        if isinstance(exc, UpstreamStatus):
            return self.retries_status(exc.status)
        return isinstance(exc, CONNECTION_ERRORS)

    def _stop(self, state: RetryCallState) -> bool:
        if state.attempt_number >= self.attempts:
            return True
        exc = state.outcome.exception() if state.outcome else None
        return (
            self.give_up_beyond_cap
            and isinstance(exc, UpstreamStatus)
            and (exc.retry_after or 0) > self.max_retry_after_seconds
        )

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, UpstreamStatus) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_retry_after_seconds)
        backoff = self.backoff_seconds * 2 ** (state.attempt_number - 1)
        return float(min(backoff, self.max_backoff_seconds))

    async def run(self, send: Callable[[], Awaitable[T]]) -> T:
        """`send` once, and again while its failure can pass; the last failure propagates."""
        retrying = AsyncRetrying(
            stop=self._stop,
            wait=self._wait,
            retry=retry_if_exception(self._can_pass),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await send()
        raise AssertionError("unreachable: tenacity either returns or re-raises")


@dataclass(frozen=True)
class Answer:
    status: int
    headers: httpx.Headers
    content: bytes


class ProviderHttp:
    """Requests to one provider; every failure becomes an ApiError fit for our caller.

    Every call a provider gets only computes an answer (speech, a picture, a download), so a
    repeat costs money, never correctness: 502 and 504 are retried too.
    """

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
        `timeout_seconds`; `max_bytes` None accepts an answer of any size; `max_backoff_seconds`
        caps both the backoff and the Retry-After honoured."""
        self.label = label
        self.client = client
        connect = timeout_seconds if connect_timeout_seconds is None else connect_timeout_seconds
        self.timeout = httpx.Timeout(timeout_seconds, connect=connect)
        self.timeout_seconds = timeout_seconds
        self.retry = RetryPolicy(
            attempts=attempts,
            backoff_seconds=backoff_seconds,
            max_backoff_seconds=max_backoff_seconds,
            max_retry_after_seconds=max_backoff_seconds,
            repeatable=True,
        )
        self.max_bytes = max_bytes

    async def request(self, method: str, url: str, **kwargs: Any) -> Answer:
        """Send with retries; `kwargs` go to httpx (headers, json, data, files, auth)."""
        try:
            return await self.retry.run(lambda: self._send(method, url, kwargs))
        except CONNECTION_ERRORS:
            raise self._failed(None) from None
        except UpstreamStatus as exc:
            raise self._failed(exc.status) from None
        except httpx.TimeoutException:
            raise ApiError(
                504, f"{self.label} did not answer within {self.timeout_seconds:g} s"
            ) from None
        except httpx.TransportError as exc:
            log.warning("%s transport error: %s", self.label, type(exc).__name__)
            raise ApiError(502, f"{self.label} dropped the connection") from None

    async def _send(self, method: str, url: str, kwargs: dict[str, Any]) -> Answer:
        request = self.client.build_request(method, url, timeout=self.timeout, **kwargs)
        response = await self.client.send(request, stream=True)
        try:
            content = await self._read(response)
        finally:
            await response.aclose()
        status = response.status_code
        if status == 429 or status >= 500:
            log.warning("%s answered HTTP %d", self.label, status)
            raise UpstreamStatus(status, response.headers)
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

    def _failed(self, status: int | None) -> ApiError:
        """`status` None: the connection was never made."""
        attempts = self.retry.attempts
        retried = status is None or self.retry.retries_status(status)
        tries = f" after {attempts} attempt{'s' if attempts > 1 else ''}" if retried else ""
        details = {"provider_status": status, "attempts": attempts if retried else 1}
        if status is None:
            return ApiError(503, f"{self.label} is unreachable{tries}", details=details)
        if status == 429:
            return ApiError(
                503, f"{self.label} is rate limiting (HTTP 429){tries}", details=details
            )
        if status == 503:
            return ApiError(503, f"{self.label} is unavailable (HTTP 503){tries}", details=details)
        if status == 504:
            return ApiError(504, f"{self.label} timed out (HTTP 504){tries}", details=details)
        return ApiError(502, f"{self.label} failed (HTTP {status}){tries}", details=details)

    def json(self, answer: Answer) -> dict[str, Any]:
        """The answer's JSON object, or a 502 saying the provider's answer was malformed."""
        try:
            payload = orjson.loads(answer.content)
        except orjson.JSONDecodeError:
            raise ApiError(502, f"{self.label} sent malformed JSON") from None
        if not isinstance(payload, dict):
            raise ApiError(502, f"{self.label} sent JSON of an unexpected shape")
        return payload
