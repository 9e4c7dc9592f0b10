"""The gateway's service clients against mocked upstreams: retries, timeouts, error mapping."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
import respx

from contracts.errors import ApiError
from gateway.clients import ServiceClient

BASE = "http://audio.test"


@pytest.fixture
async def client() -> AsyncIterator[ServiceClient]:
    service = ServiceClient("audio", BASE, connect_timeout=0.5, read_timeout=0.5, retries=3)
    yield service
    await service.aclose()


@respx.mock
async def test_success_returns_json(client: ServiceClient) -> None:
    route = respx.post(f"{BASE}/generate").respond(200, json={"audio_key": "a/b.mp3"})
    assert await client.request("POST", "/generate", json={"text": "hi"}) == {
        "audio_key": "a/b.mp3"
    }
    sent = route.calls.last.request
    assert "x-request-id" not in sent.headers  # no request in flight, nothing to forward
    assert sent.content == b'{"text":"hi"}'


@respx.mock
async def test_503_then_success_is_retried(client: ServiceClient) -> None:
    route = respx.post(f"{BASE}/generate")
    route.side_effect = [httpx.Response(503), httpx.Response(200, json={"ok": True})]
    assert await client.request("POST", "/generate") == {"ok": True}
    assert route.call_count == 2


@respx.mock
async def test_429_honours_retry_after(client: ServiceClient) -> None:
    route = respx.post(f"{BASE}/generate")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.Response(200, json={"ok": True}),
    ]
    started = time.monotonic()
    assert await client.request("POST", "/generate") == {"ok": True}
    assert time.monotonic() - started >= 0.95


@respx.mock
async def test_busy_after_every_retry_is_503_with_retry_after(client: ServiceClient) -> None:
    route = respx.post(f"{BASE}/generate").respond(429, headers={"Retry-After": "0"})
    with pytest.raises(ApiError) as error:
        await client.request("POST", "/generate")
    assert error.value.status == 503
    assert error.value.detail == "The audio service is busy"
    assert "Retry-After" in error.value.headers
    assert route.call_count == 3


@respx.mock
async def test_500_is_502_naming_the_service_and_not_retried(client: ServiceClient) -> None:
    route = respx.post(f"{BASE}/generate").respond(500, text="Traceback: secret internals")
    with pytest.raises(ApiError) as error:
        await client.request("POST", "/generate")
    assert error.value.status == 502
    assert error.value.detail == "The audio service failed (status 500)"
    assert route.call_count == 1


@respx.mock
@pytest.mark.parametrize("status", [502, 504])
async def test_a_services_gateway_error_is_not_retried(client: ServiceClient, status: int) -> None:
    # The service already retried its own provider, and its work may have been done.
    route = respx.post(f"{BASE}/generate").respond(status)
    with pytest.raises(ApiError) as error:
        await client.request("POST", "/generate")
    assert error.value.status == 502
    assert route.call_count == 1


@respx.mock
async def test_a_connect_timeout_is_retried_then_504(client: ServiceClient) -> None:
    route = respx.post(f"{BASE}/generate").mock(side_effect=httpx.ConnectTimeout("no answer"))
    with pytest.raises(ApiError) as error:
        await client.request("POST", "/generate")
    assert error.value.status == 504
    assert route.call_count == 3


@respx.mock
async def test_timeout_is_504(client: ServiceClient) -> None:
    respx.post(f"{BASE}/generate").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(ApiError) as error:
        await client.request("POST", "/generate")
    assert error.value.status == 504
    assert error.value.detail == "The audio service timed out"


@respx.mock
async def test_connection_refused_is_retried_then_503(client: ServiceClient) -> None:
    route = respx.post(f"{BASE}/generate").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(ApiError) as error:
        await client.request("POST", "/generate")
    assert error.value.status == 503
    assert error.value.detail == "The audio service is unavailable"
    assert route.call_count == 3


@respx.mock
async def test_the_services_own_validation_error_passes_through(client: ServiceClient) -> None:
    respx.post(f"{BASE}/generate").respond(
        422, json={"detail": "voice_id must be one of: alloy, echo"}
    )
    with pytest.raises(ApiError) as error:
        await client.request("POST", "/generate")
    assert error.value.status == 422
    assert error.value.detail == "voice_id must be one of: alloy, echo"


@respx.mock
async def test_invalid_json_from_the_service_is_502(client: ServiceClient) -> None:
    respx.post(f"{BASE}/generate").respond(200, text="<html>oops</html>")
    with pytest.raises(ApiError) as error:
        await client.request("POST", "/generate")
    assert error.value.status == 502
    assert "invalid JSON" in error.value.detail


async def test_a_real_unreachable_port_fails_within_bounded_time() -> None:
    service = ServiceClient(
        "video", "http://127.0.0.1:9", connect_timeout=0.5, read_timeout=0.5, retries=2
    )
    started = time.monotonic()
    with pytest.raises(ApiError) as error:
        await service.request("POST", "/render")
    await service.aclose()
    assert error.value.status == 503
    assert time.monotonic() - started < 5
