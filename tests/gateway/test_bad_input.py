"""Every bad input is a 4xx with a string detail, and nothing is stored or changed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gateway.conftest import Gateway


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (b"{bad json", 400, "Malformed JSON body"),
        (b"", 400, "empty"),
        (b"[1, 2]", 422, "valid dictionary"),
        (b'{"fps": 25}', 422, "fps"),
        (b'{"fps": "abc"}', 422, "fps"),
        (b'{"audio_speed": 2.0}', 422, "audio_speed"),
        (b'{"language": "xx"}', 422, "language"),
        (b'{"images": "nope"}', 422, "images"),
        (b'{"nb_section": 0}', 422, "nb_section"),
        (b'{"$set": {"a": 1}}', 422, "Invalid field name"),
        (b'{"meta": {"a.b": 1}}', 422, "Invalid field name"),
        (b'{"_seq": 1}', 422, "reserved"),
    ],
)
async def test_bad_bodies_on_create(
    gateway: Gateway, body: bytes, status: int, fragment: str
) -> None:
    response = await gateway.http.post(
        "/projects", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == status
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert fragment in detail
    assert await gateway.count() == 0


async def test_a_bad_update_changes_nothing(gateway: Gateway) -> None:
    created = (await gateway.http.post("/projects", json={"title": "keep", "fps": 30})).json()
    response = await gateway.http.put(
        f"/projects/{created['id']}", json={"title": "changed", "fps": 31}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "fps: Input should be 24, 30 or 60"
    assert (await gateway.http.get(f"/projects/{created['id']}")).json() == created


async def test_a_body_over_the_limit_is_413_and_not_stored(gateway: Gateway) -> None:
    big = {"title": "x", "description": "a" * (gateway.settings.max_body_bytes + 10)}
    response = await gateway.http.post("/projects", json=big)
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
    assert await gateway.count() == 0


async def test_a_chunked_body_over_the_limit_is_413(gateway: Gateway) -> None:
    async def chunks() -> Any:
        yield b'{"title": "'
        for _ in range(gateway.settings.max_body_bytes // 65536 + 2):
            yield b"a" * 65536
        yield b'"}'

    response = await gateway.http.post(
        "/projects", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["detail"] == "Request body exceeds the limit of 2000000 bytes"
    assert await gateway.count() == 0


async def test_the_envelope_carries_the_request_id(gateway: Gateway) -> None:
    response = await gateway.http.get("/projects/none", headers={"X-Request-ID": "req-42"})
    assert response.headers["x-request-id"] == "req-42"
    error = response.json()["error"]
    assert error["request_id"] == "req-42"
    assert error["message"] == response.json()["detail"]
    assert error["timestamp"].endswith("Z")


async def test_an_unsafe_request_id_is_replaced(gateway: Gateway) -> None:
    response = await gateway.http.get("/projects", headers={"X-Request-ID": "bad id\twith tab"})
    assert response.headers["x-request-id"] != "bad id\twith tab"
    assert len(response.headers["x-request-id"]) == 32


async def test_unknown_route_and_method_use_the_envelope(gateway: Gateway) -> None:
    missing = await gateway.http.get("/nowhere")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Not found"
    wrong = await gateway.http.request("TRACE", "/projects")
    assert wrong.status_code == 405
    assert isinstance(wrong.json()["detail"], str)


async def test_cors_preflight_answers_the_app_origin(gateway: Gateway) -> None:
    response = await gateway.http.options(
        "/projects/abc",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type,x-custom",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"
    for method in ("GET", "HEAD", "PUT", "PATCH", "POST", "DELETE"):
        assert method in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"] == "content-type,x-custom"


async def test_cors_refuses_an_unknown_origin(gateway: Gateway) -> None:
    response = await gateway.http.options(
        "/projects",
        headers={"Origin": "http://evil.test", "Access-Control-Request-Method": "DELETE"},
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
