"""Deleting an account deletes only the media produced for it that nothing else still uses.

Media URLs are shared with browsers by design, so anyone can paste another user's URLs into a
project of theirs; that must not make the other user's files theirs to delete.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import respx
from respx.patterns import M

from tests.auth.conftest import Account, AuthGateway

SERVICES = "http://127.0.0.1:9"  # where the test gateway looks for every service
BASE = "http://media.test/media/"


@pytest.fixture(autouse=True)
def services() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=SERVICES, assert_all_called=False) as mock:
        mock.route(~M(port=9)).pass_through()
        yield mock


def image_answer(key: str) -> dict[str, object]:
    return {
        "key": key, "prompt": "a lighthouse", "provider": "local", "model": None,
        "style": "realistic", "width": 64, "height": 36, "content_type": "image/png", "bytes": 8,
    }  # fmt: skip


async def produce_image(
    gw: AuthGateway, services: respx.MockRouter, who: Account, project: str, key: str
) -> str:
    """An image the image service makes for `who`'s project: stored, then linked by the gateway."""
    await gw.accounts.storage.put_bytes(key, b"\x89PNG fake")
    services.post("/generate").respond(200, json=image_answer(key))
    r = await gw.http.post(
        f"/images/{project}/0", json={"prompt": "a lighthouse"}, headers=who.headers
    )
    assert r.status_code == 200, r.text
    url = r.json()["image_url"]
    assert url == BASE + key
    return str(url)


async def new_project(gw: AuthGateway, who: Account, **fields: object) -> str:
    r = await gw.http.post("/projects", json={"title": "t", **fields}, headers=who.headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def exists(gw: AuthGateway, key: str) -> bool:
    return await gw.accounts.storage.stat(key) is not None


async def test_deleting_my_account_does_not_delete_media_i_only_pasted(
    gw: AuthGateway, services: respx.MockRouter
) -> None:
    alice, bob = await gw.register("alice"), await gw.register("bob")
    alices = await new_project(gw, alice)
    alice_url = await produce_image(gw, services, alice, alices, "image/alice1/scene.png")
    bobs = await new_project(
        gw,
        bob,
        images=[{"prompt": "stolen", "url": alice_url}],
        video_url=alice_url,
        video_key="image/alice1/scene.png",
        audio_path="/media/image/alice1/scene.png",
    )
    own_url = await produce_image(gw, services, bob, bobs, "image/bob1/scene.png")

    r = await gw.http.delete("/api/v1/users/me", headers=bob.headers)
    assert r.status_code == 200, r.text
    assert r.json()["message"] == "Account deleted with 1 projects and 1 media files"

    assert await exists(gw, "image/alice1/scene.png")
    served = await gw.http.get(alice_url.removeprefix("http://media.test"))
    assert served.status_code == 200
    assert not await exists(gw, own_url.removeprefix(BASE))
    project = await gw.http.get(f"/projects/{alices}", headers=alice.headers)
    assert project.json()["images"][0]["url"] == alice_url


async def test_my_media_that_another_project_still_uses_is_kept(
    gw: AuthGateway, services: respx.MockRouter
) -> None:
    alice, carol = await gw.register("alice"), await gw.register("carol")
    alices = await new_project(gw, alice)
    used = await produce_image(gw, services, alice, alices, "image/used/scene.png")
    unused = await produce_image(gw, services, alice, alices, "image/unused/scene.png")
    await new_project(gw, carol, thumbnail_path=used)

    r = await gw.http.delete("/api/v1/users/me", headers=alice.headers)
    assert r.status_code == 200, r.text

    assert await exists(gw, used.removeprefix(BASE))
    assert not await exists(gw, unused.removeprefix(BASE))
