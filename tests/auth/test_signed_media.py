"""With auth required, a private project's media is reachable only through the expiring, signed
URLs the project shows (or with credentials that may read the project); a public one's is plain."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import respx
from pymongo import AsyncMongoClient

from gateway.state import GatewayState
from tests.auth.conftest import AuthGateway
from tests.auth.images import BASE, new_project, produce_image

KEY = "image/private1/scene.png"


def path_of(url: str) -> str:
    return url.removeprefix("http://media.test")


async def test_private_media_needs_a_valid_signature(
    gw: AuthGateway, services: respx.MockRouter
) -> None:
    alice, bob = await gw.register("alice"), await gw.register("bob")
    project = await new_project(gw, alice)
    answered = await produce_image(gw, services, alice, project, KEY)
    shown = (await gw.http.get(f"/projects/{project}", headers=alice.headers)).json()
    signed = shown["images"][0]["url"]
    assert set(parse_qs(urlsplit(signed).query)) == {"exp", "kid", "sig"}
    assert answered.split("?")[0] == signed.split("?")[0] == BASE + KEY

    # Anyone holding the signed URL (an <img> sends no credentials) gets the file.
    served = await gw.http.get(path_of(signed))
    assert served.status_code == 200
    assert served.content == b"\x89PNG fake"
    assert served.headers["cache-control"].startswith("private")
    # Without it, or with a tampered one, nobody does; Bob's credentials do not help either.
    for attempt, headers in (
        (BASE + KEY, {}),
        (signed.replace("sig=", "sig=0"), {}),
        (signed.replace(KEY, "image/private1/other.png"), {}),
        (BASE + KEY, bob.headers),
    ):
        refused = await gw.http.get(path_of(attempt), headers=headers)
        assert refused.status_code == 403, attempt
        assert refused.json()["detail"].startswith("This media link is invalid or expired")
    # The owner's credentials (an API client) are enough.
    assert (await gw.http.get(path_of(BASE + KEY), headers=alice.headers)).status_code == 200


async def test_an_expired_signature_is_refused(gw: AuthGateway, services: respx.MockRouter) -> None:
    alice = await gw.register("alice")
    project = await new_project(gw, alice)
    await produce_image(gw, services, alice, project, KEY)
    state: GatewayState = gw.app.state.gateway
    signer = state.urls.signer
    assert signer is not None
    stale = signer.query(KEY, now=time.time() - 2 * signer.ttl)
    refused = await gw.http.get(f"/media/{KEY}?{stale}")
    assert refused.status_code == 403
    assert (
        refused.json()["detail"] == "This media link is invalid or expired; load the project again"
    )


async def test_signed_urls_sent_back_are_stored_plain(
    gw: AuthGateway, services: respx.MockRouter
) -> None:
    alice = await gw.register("alice")
    project = await new_project(gw, alice)
    await produce_image(gw, services, alice, project, KEY)
    shown = (await gw.http.get(f"/projects/{project}", headers=alice.headers)).json()
    # The app sends back what it was given: signed URLs.
    r = await gw.http.put(
        f"/projects/{project}",
        json={"images": shown["images"], "thumbnail_path": shown["images"][0]["url"]},
        headers=alice.headers,
    )
    assert r.status_code == 200
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(gw.settings.mongodb_url)
    try:
        stored = await client[gw.settings.mongodb_db].projects.find_one({"_id": project})
    finally:
        await client.close()
    assert stored is not None
    assert stored["thumbnail_path"] == BASE + KEY
    assert stored["images"] == [{"prompt": "a lighthouse", "url": BASE + KEY}]


async def test_a_public_projects_media_is_plain_and_open(
    gw: AuthGateway, services: respx.MockRouter
) -> None:
    alice = await gw.register("alice")
    project = await new_project(gw, alice)
    await produce_image(gw, services, alice, project, KEY)
    r = await gw.http.put(
        f"/projects/{project}", json={"visibility": "public"}, headers=alice.headers
    )
    assert r.status_code == 200
    assert r.json()["images"][0]["url"] == BASE + KEY
    assert (await gw.http.get(path_of(BASE + KEY))).status_code == 200
    bad = await gw.http.put(
        f"/projects/{project}", json={"visibility": "everyone"}, headers=alice.headers
    )
    assert bad.status_code == 422
    assert bad.json()["detail"] == "visibility: Input should be 'private' or 'public'"
