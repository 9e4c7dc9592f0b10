"""With auth required: each user's library is their own, its media URLs are signed, and deleting
an account deletes its uploads and library entries (and nobody else's)."""

from __future__ import annotations

from pathlib import Path

from tests.auth.conftest import Account
from tests.library import files
from tests.library.conftest import Factory, Library

BASE = "http://media.test"


async def upload(lib: Library, who: Account, route: str, data: bytes, name: str) -> dict[str, str]:
    r = await lib.upload(route, data, name, headers=who.headers)
    assert r.status_code == 201, r.text
    item: dict[str, str] = r.json()["data"]["media" if route == "media" else "audio"]
    return item


async def register(lib: Library, name: str) -> Account:
    r = await lib.http.post(
        "/api/v1/auth/register",
        json={"email": f"{name}@example.com", "password": "Correct-Horse-42", "name": name},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    return Account(body["user"]["id"], f"{name}@example.com", body["access_token"], "")


async def test_another_users_upload_answers_404_and_is_not_listed(
    make_library: Factory, tmp_path: Path
) -> None:
    async with make_library(auth=True) as lib:
        alice, bob = await register(lib, "alice"), await register(lib, "bob")
        picture = await upload(lib, alice, "media", files.png(), "a.png")
        sound = await upload(lib, alice, "audio", files.mp3(tmp_path), "a.mp3")

        r = await lib.http.post(f"/api/v1/audio/{sound['id']}/favorite",
                                json={"is_favorite": True}, headers=bob.headers)  # fmt: skip
        assert r.status_code == 404
        assert r.json()["detail"] == f"Audio not found: {sound['id']}"
        assert await lib.count("library_favorites") == 0
        r = await lib.http.delete(f"/api/v1/media/{picture['id']}", headers=bob.headers)
        assert (r.status_code, r.json()["detail"]) == (404, f"Media not found: {picture['id']}")
        r = await lib.http.get("/api/v1/media/library", headers=bob.headers)
        assert r.json()["data"]["media"] == []
        r = await lib.http.get("/api/v1/audio/library?type=my", headers=bob.headers)
        assert r.json()["data"]["audio"] == []
        r = await lib.http.get("/api/v1/media/library", headers=alice.headers)
        assert [m["id"] for m in r.json()["data"]["media"]] == [picture["id"]]

        r = await lib.http.get("/api/v1/media/library")
        assert r.status_code == 401
        r = await lib.upload("media", files.png(), "x.png")
        assert r.status_code == 401
        assert len(lib.files("uploads")) == 4  # Alice's picture and thumbnail, sound and waveform

        # Signed like a private project's media: the plain URL alone is refused.
        signed = picture["url"].removeprefix(BASE)
        assert "sig=" in signed
        assert (await lib.http.get(signed)).status_code == 200
        assert (await lib.http.get(signed.split("?")[0])).status_code == 403


async def test_deleting_an_account_deletes_its_uploads_and_library(
    make_library: Factory, tmp_path: Path
) -> None:
    async with make_library(auth=True) as lib:
        alice, bob = await register(lib, "alice"), await register(lib, "bob")
        await upload(lib, alice, "media", files.png(), "a.png")
        sound = await upload(lib, alice, "audio", files.mp3(tmp_path), "a.mp3")
        r = await lib.http.post(f"/api/v1/audio/{sound['id']}/favorite",
                                json={"is_favorite": True}, headers=alice.headers)  # fmt: skip
        assert r.status_code == 200
        kept = await upload(lib, bob, "media", files.png((32, 32), "green"), "b.png")
        bobs_files = {kept["url"], kept["thumbnail_url"]}
        bobs_keys = sorted(u.removeprefix(BASE + "/media/").split("?")[0] for u in bobs_files)

        r = await lib.http.delete("/api/v1/users/me", headers=alice.headers)
        assert r.status_code == 200, r.text
        assert r.json()["message"] == "Account deleted with 0 projects and 4 media files"

        assert lib.files() == bobs_keys
        assert await lib.count("library") == 1
        assert await lib.count("library_favorites") == 0
        assert await lib.state.library.used_bytes(alice.id) == 0
        r = await lib.http.get("/api/v1/media/library", headers=bob.headers)
        assert [m["id"] for m in r.json()["data"]["media"]] == [kept["id"]]
