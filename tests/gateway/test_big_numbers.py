"""Numbers MongoDB cannot hold: a clear 4xx naming the field or parameter, never a 500."""

from __future__ import annotations

import pytest

from tests.gateway.conftest import Gateway

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"title": "x", "big": 9223372036854775808}', "big"),
        (b'{"title": "x", "meta": {"n": [1, 18446744073709551615]}}', "meta.n.1"),
    ],
)
@pytest.mark.parametrize("path", ["/projects", "/api/v1/projects"])
async def test_an_integer_beyond_64_bits_is_422_and_nothing_is_stored(
    gateway: Gateway, path: str, body: bytes, field: str
) -> None:
    response = await gateway.http.post(
        path, content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert (
        response.json()["detail"] == f"{field}: Integer out of range: numbers must fit in 64 bits"
    )
    assert await gateway.count() == 0


async def test_an_update_with_an_integer_beyond_64_bits_changes_nothing(gateway: Gateway) -> None:
    created = (await gateway.http.post("/projects", json={"title": "keep"})).json()
    for method in ("PUT", "PATCH"):
        response = await gateway.http.request(
            method,
            f"/projects/{created['id']}",
            content=b'{"title": "changed", "big": 9223372036854775808}',
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 422, response.text
        assert response.json()["detail"].startswith("big: ")
    assert (await gateway.http.get(f"/projects/{created['id']}")).json() == created


async def test_the_largest_64_bit_integer_is_stored(gateway: Gateway) -> None:
    body = {"title": "edge", "big": 2**63 - 1, "small": -(2**63)}
    created = (await gateway.http.post("/projects", json=body)).json()
    stored = (await gateway.http.get(f"/projects/{created['id']}")).json()
    assert (stored["big"], stored["small"]) == (2**63 - 1, -(2**63))


PAGING = [("/projects", name) for name in ("_page", "_start", "_end", "_limit", "page", "limit")]
# The versioned list always pages, so `_start` and `_end` play no part there.
PAGING += [("/api/v1/projects", name) for name in ("_page", "_limit", "page", "limit")]


@pytest.mark.parametrize(("path", "name"), PAGING)
async def test_a_huge_paging_value_is_400(gateway: Gateway, path: str, name: str) -> None:
    await gateway.http.post("/projects", json={"title": "one"})
    response = await gateway.http.get(path, params={name: HUGE})
    assert response.status_code == 400, response.text
    # The guide's `page` and `limit` are JSON Server's `_page` and `_limit`.
    expected = "_" + name.lstrip("_")
    assert response.json()["detail"] == f"{expected} must be at most 1,000,000,000"


@pytest.mark.parametrize(("param", "expected"), [("fps", []), ("fps_ne", ["one"])])
async def test_a_filter_value_beyond_64_bits_compares_as_text(
    gateway: Gateway, param: str, expected: list[str]
) -> None:
    """As JSON Server compares: no stored number equals it, so only the string could."""
    await gateway.http.post("/projects", json={"title": "one", "fps": 30})
    response = await gateway.http.get("/projects", params={param: HUGE})
    assert response.status_code == 200, response.text
    assert [p["title"] for p in response.json()] == expected
