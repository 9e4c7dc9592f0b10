"""Deleting an account deletes only the media produced for it that nothing else still uses.

Media URLs are shared with browsers by design, so anyone can paste another user's URLs into a
project of theirs; that must not make the other user's files theirs to delete.
"""

from __future__ import annotations

import respx

from tests.auth.conftest import AuthGateway
from tests.auth.images import BASE, new_project, produce_image


async def exists(gw: AuthGateway, key: str) -> bool:
    return await gw.accounts.storage.stat(key) is not None


async def test_deleting_my_account_does_not_delete_media_i_only_pasted(
    gw: AuthGateway, services: respx.MockRouter
) -> None:
    alice, bob = await gw.register("alice"), await gw.register("bob")
    alices = await new_project(gw, alice)
    alice_url = await produce_image(gw, services, alice, alices, "image/alice1/scene.png")
    alice_url = alice_url.split("?")[0]  # as Bob would paste it: the signature does not matter
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
    served = await gw.http.get(alice_url.removeprefix("http://media.test"), headers=alice.headers)
    assert served.status_code == 200
    assert not await exists(gw, own_url.removeprefix(BASE).split("?")[0])
    project = await gw.http.get(f"/projects/{alices}", headers=alice.headers)
    assert project.json()["images"][0]["url"].split("?")[0] == alice_url


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

    assert await exists(gw, used.removeprefix(BASE).split("?")[0])
    assert not await exists(gw, unused.removeprefix(BASE).split("?")[0])
