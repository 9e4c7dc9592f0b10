"""Project writes under pressure: concurrent writers, oversized documents, NUL in text."""

from __future__ import annotations

import asyncio

import pytest

from tests.gateway.conftest import Gateway


async def test_q_finds_every_value_written_by_concurrent_puts(gateway: Gateway) -> None:
    """`q` searches a copy derived from the fields; it must never be derived from a stale read."""
    created = await gateway.http.post("/projects", json={"title": "shared"})
    project = created.json()["id"]
    values = {f"field_{i}": f"needle{i:02d}x" for i in range(50)}

    async def put(name: str, value: str) -> int:
        response = await gateway.http.put(f"/projects/{project}", json={name: value}, timeout=60)
        return response.status_code

    statuses = await asyncio.gather(*(put(k, v) for k, v in values.items()))
    assert statuses == [200] * 50

    stored = (await gateway.http.get(f"/projects/{project}")).json()
    assert {k: stored.get(k) for k in values} == values
    missing = [
        value
        for value in values.values()
        if [p["id"] for p in (await gateway.http.get(f"/projects?q={value}")).json()] != [project]
    ]
    assert missing == []


async def test_unknown_fields_are_capped_per_project(gateway: Gateway) -> None:
    created = await gateway.http.post("/projects", json={"title": "grows"})
    project = created.json()["id"]
    chunk = "x" * 400_000
    for i in range(2):
        response = await gateway.http.put(f"/projects/{project}", json={f"blob{i}": chunk})
        assert response.status_code == 200
    before = (await gateway.http.get(f"/projects/{project}")).json()

    response = await gateway.http.put(f"/projects/{project}", json={"blob2": chunk})
    assert response.status_code == 413
    assert "the limit is 1,000,000" in response.json()["detail"]
    assert (await gateway.http.get(f"/projects/{project}")).json() == before

    big = await gateway.http.post("/projects", json={"a": chunk, "b": chunk, "c": chunk})
    assert big.status_code == 413
    assert "the limit is 1,000,000" in big.json()["detail"]
    assert await gateway.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"title": "a\u0000b"},
        {"description": "ok", "notes": {"deep": ["fine", "bad\u0000"]}},
        {"images": [{"prompt": "\u0000"}]},
    ],
)
async def test_nul_in_any_text_value_is_422_and_nothing_is_stored(
    gateway: Gateway, body: dict[str, object]
) -> None:
    response = await gateway.http.post("/projects", json=body)
    assert response.status_code == 422
    assert response.json()["detail"] == "Text values must not contain NUL characters"
    assert await gateway.count() == 0

    created = (await gateway.http.post("/projects", json={"title": "clean"})).json()
    response = await gateway.http.put(f"/projects/{created['id']}", json=body)
    assert response.status_code == 422
    assert response.json()["detail"] == "Text values must not contain NUL characters"
    assert (await gateway.http.get(f"/projects/{created['id']}")).json() == created
