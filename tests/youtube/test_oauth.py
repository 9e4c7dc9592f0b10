"""Connecting to YouTube: the OAuth 2.0 web flow with PKCE and a signed single-use state, the
tokens encrypted at rest, disconnecting (revoked at Google, deleted here)."""

from __future__ import annotations

from pathlib import Path

import httpx

from gateway.app import build_app
from tests.gateway.conftest import Gateway
from tests.support import serve
from tests.youtube.conftest import APP, TOKEN_KEY, connect, state_of, youtube_settings
from tests.youtube.google import AUTH, FakeGoogle, challenge_of, query_of


async def test_the_app_connects_and_its_tokens_are_stored_encrypted(
    yt: Gateway, google: FakeGoogle
) -> None:
    status = await yt.http.get("/auth/status")
    assert status.json() == {
        "is_authenticated": False,
        "configured": True,
        "youtube_channel_id": None,
    }

    url = (await yt.http.get("/auth/url")).json()["auth_url"]
    assert url.startswith(AUTH + "?")
    query = query_of(url)
    assert query["client_id"] == "client-id.apps.googleusercontent.com"
    assert query["redirect_uri"] == yt.settings.youtube_redirect_uri
    assert (query["response_type"], query["access_type"]) == ("code", "offline")
    assert query["code_challenge_method"] == "S256"
    assert "youtube.upload" in query["scope"]

    back = await yt.http.get(
        "/api/v1/youtube/oauth/callback", params={"code": google.code, "state": query["state"]}
    )
    assert back.status_code == 303
    assert back.headers["location"] == f"{APP}/settings?auth=success"
    exchange = google.token_forms[-1]
    assert exchange["grant_type"] == "authorization_code"
    # PKCE: the verifier sent to the token endpoint hashes to the challenge the browser carried.
    assert challenge_of(exchange["code_verifier"]) == query["code_challenge"]

    status = await yt.http.get("/auth/status")
    assert status.json() == {
        "is_authenticated": True,
        "configured": True,
        "youtube_channel_id": "UC_test_channel",
    }
    stored = await state_of(yt).youtube.tokens.collection.find_one({})
    assert stored is not None
    text = repr(stored)
    assert google.refresh not in text
    assert google.access not in text
    assert stored["sealed"]["kid"] == "y1"

    info = await yt.http.get("/channel/info")
    assert info.status_code == 200
    assert info.json() == {
        "channel_id": "UC_test_channel",
        "channel_title": "Stoic Mornings",
        "thumbnail_url": "https://yt3.example/avatar.jpg",
        "subscriber_count": 1200,
        "video_count": 14,
        "view_count": 98765,
    }


async def test_a_state_is_single_use_and_a_forged_one_connects_nobody(
    yt: Gateway, google: FakeGoogle
) -> None:
    state = query_of((await yt.http.get("/auth/url")).json()["auth_url"])["state"]
    nonce = state.split(".")[0]
    forged = f"{nonce}.y1.AAAA"
    refused = await yt.http.get(
        "/api/v1/youtube/oauth/callback", params={"code": google.code, "state": forged}
    )
    assert refused.status_code == 303
    assert refused.headers["location"].startswith(f"{APP}/settings?auth=error")
    assert "not+a+state+this+server+issued" in refused.headers["location"]
    first = await yt.http.get(
        "/api/v1/youtube/oauth/callback", params={"code": google.code, "state": state}
    )
    assert first.headers["location"] == f"{APP}/settings?auth=success"
    again = await yt.http.get(
        "/api/v1/youtube/oauth/callback", params={"code": google.code, "state": state}
    )
    assert again.headers["location"].startswith(f"{APP}/settings?auth=error")
    assert "already+used" in again.headers["location"]
    # Only one code exchange happened: the forged and the reused state never reached Google.
    assert [f["grant_type"] for f in google.token_forms] == ["authorization_code"]


async def test_a_declined_consent_ends_on_the_error_page_and_stores_nothing(
    yt: Gateway, google: FakeGoogle
) -> None:
    state = query_of((await yt.http.get("/auth/url")).json()["auth_url"])["state"]
    back = await yt.http.get(
        "/api/v1/youtube/oauth/callback", params={"error": "access_denied", "state": state}
    )
    assert back.headers["location"] == f"{APP}/settings?auth=error&reason=access_denied"
    assert (await yt.http.get("/auth/status")).json()["is_authenticated"] is False
    assert google.token_forms == []


async def test_disconnect_revokes_the_grant_and_deletes_the_tokens(
    yt: Gateway, google: FakeGoogle
) -> None:
    await connect(yt, google)
    answer = await yt.http.post("/auth/disconnect")
    assert answer.status_code == 200
    assert google.revoke_forms == [{"token": google.refresh}]
    assert (await yt.http.get("/auth/status")).json()["is_authenticated"] is False
    assert await state_of(yt).youtube.tokens.collection.count_documents({}) == 0
    info = await yt.http.get("/channel/info")
    assert info.status_code == 409
    assert info.json()["detail"].startswith("Not connected to YouTube")


async def test_token_keys_rotate_without_disconnecting_anyone(
    yt: Gateway, google: FakeGoogle, tmp_path: Path
) -> None:
    await connect(yt, google)
    new_key = "n" * 40
    rotated = youtube_settings(
        yt.settings.mongodb_url,
        tmp_path / "media",
        mongodb_db=yt.settings.mongodb_db,
        youtube_token_keys={"y2": new_key, "y1": TOKEN_KEY},
        youtube_token_active_kid="y2",
    )
    async with serve(build_app(rotated)) as url, httpx.AsyncClient(base_url=url) as http:
        info = await http.get("/channel/info")
        assert info.status_code == 200, info.text
        stored = await state_of(yt).youtube.tokens.collection.find_one({})
        assert stored is not None
        assert stored["sealed"]["kid"] == "y2"
    # The old key can now be dropped.
    only_new = youtube_settings(
        yt.settings.mongodb_url,
        tmp_path / "media",
        mongodb_db=yt.settings.mongodb_db,
        youtube_token_keys={"y2": new_key},
    )
    async with serve(build_app(only_new)) as url, httpx.AsyncClient(base_url=url) as http:
        assert (await http.get("/channel/info")).status_code == 200


async def test_without_credentials_configured_the_auth_url_says_what_to_set(
    mongo_url: str, tmp_path: Path
) -> None:
    settings = youtube_settings(mongo_url, tmp_path / "media", youtube_client_id=None)
    async with serve(build_app(settings)) as url, httpx.AsyncClient(base_url=url) as http:
        assert (await http.get("/auth/status")).json()["configured"] is False
        answer = await http.get("/auth/url")
        assert answer.status_code == 409
        assert answer.json()["detail"] == (
            "YouTube is not configured on this server: set YOUTUBE_CLIENT_ID, "
            "YOUTUBE_CLIENT_SECRET and YOUTUBE_TOKEN_KEYS"
        )
