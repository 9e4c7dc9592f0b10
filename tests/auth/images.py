"""Images "made" by the stand-in image service (the `services` fixture), for media tests."""

from __future__ import annotations

import respx

from tests.auth.conftest import Account, AuthGateway

BASE = "http://media.test/media/"


def image_answer(key: str) -> dict[str, object]:
    return {
        "key": key, "prompt": "a lighthouse", "provider": "local", "model": None,
        "style": "realistic", "width": 64, "height": 36, "content_type": "image/png", "bytes": 8,
    }  # fmt: skip


async def produce_image(
    gw: AuthGateway, services: respx.MockRouter, who: Account, project: str, key: str
) -> str:
    """An image the image service makes for `who`'s project: stored, then linked by the gateway.
    Returns the URL the answer shows (signed when auth is required)."""
    await gw.accounts.storage.put_bytes(key, b"\x89PNG fake")
    services.post("/generate").respond(200, json=image_answer(key))
    r = await gw.http.post(
        f"/images/{project}/0", json={"prompt": "a lighthouse"}, headers=who.headers
    )
    assert r.status_code == 200, r.text
    url = str(r.json()["image_url"])
    assert url.startswith(BASE + key)
    return url


async def new_project(gw: AuthGateway, who: Account, **fields: object) -> str:
    r = await gw.http.post("/projects", json={"title": "t", **fields}, headers=who.headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])
