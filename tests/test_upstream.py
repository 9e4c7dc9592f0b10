"""runtime.upstream: the Retry-After every client honours, and the cloud-provider client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from contracts.errors import ApiError
from runtime.upstream import ProviderHttp, retry_after_seconds


def http_date(seconds_from_now: float) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds_from_now), usegmt=True)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"Retry-After": "-3"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": ""}, None),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),
        ({"retry-after-ms": "abc", "Retry-After": "9"}, 9.0),
        ({"Retry-After": http_date(-60)}, 0.0),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 -0000"}, 0.0),
    ],
)
def test_retry_after_seconds(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(httpx.Headers(headers)) == expected


def test_retry_after_as_a_future_http_date() -> None:
    after = retry_after_seconds(httpx.Headers({"Retry-After": http_date(30)}))
    assert after is not None
    assert 28 <= after <= 30


def provider(
    answers: list[httpx.Response], max_bytes: int | None = None
) -> tuple[ProviderHttp, list[int]]:
    """A ProviderHttp whose transport plays `answers` in turn; the list counts the calls."""
    calls: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return answers[min(len(calls), len(answers)) - 1]

    client = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    http = ProviderHttp(
        "Acme",
        client,
        timeout_seconds=2.0,
        attempts=3,
        max_backoff_seconds=0.01,
        max_bytes=max_bytes,
    )
    return http, calls


async def test_429_then_success_is_answered() -> None:
    http, calls = provider(
        [httpx.Response(429, headers={"retry-after-ms": "1"}), httpx.Response(200, json={"a": 1})]
    )
    answer = await http.request("POST", "https://acme.test/v1", json={})
    assert http.json(answer) == {"a": 1}
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("status", "ours", "says"),
    [
        (429, 503, "Acme is rate limiting (HTTP 429) after 3 attempts"),
        (503, 503, "Acme is unavailable (HTTP 503) after 3 attempts"),
        (504, 504, "Acme timed out (HTTP 504) after 3 attempts"),
        (502, 502, "Acme failed (HTTP 502) after 3 attempts"),
    ],
)
async def test_retried_statuses_exhausted(status: int, ours: int, says: str) -> None:
    http, calls = provider([httpx.Response(status)])
    with pytest.raises(ApiError) as caught:
        await http.request("GET", "https://acme.test/v1")
    assert (caught.value.status, caught.value.detail) == (ours, says)
    assert len(calls) == 3


async def test_a_500_is_not_retried() -> None:
    # A fault upstream answers the same the next time: only what can pass is tried again.
    http, calls = provider([httpx.Response(500)])
    with pytest.raises(ApiError) as caught:
        await http.request("GET", "https://acme.test/v1")
    assert (caught.value.status, caught.value.detail) == (502, "Acme failed (HTTP 500)")
    assert len(calls) == 1


async def test_a_refusal_is_not_retried() -> None:
    http, calls = provider([httpx.Response(401, text="bad key")])
    with pytest.raises(ApiError) as caught:
        await http.request("GET", "https://acme.test/v1")
    assert (caught.value.status, caught.value.detail) == (
        502,
        "Acme refused the request (HTTP 401)",
    )
    assert len(calls) == 1


async def test_an_answer_over_the_size_limit_is_a_502() -> None:
    http, _ = provider([httpx.Response(200, content=b"x" * 100)], max_bytes=10)
    with pytest.raises(ApiError) as caught:
        await http.request("GET", "https://acme.test/v1")
    assert (caught.value.status, caught.value.detail) == (502, "Acme sent an answer over 10 bytes")
