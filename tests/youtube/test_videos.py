"""After the upload: editing the video (the app's PATCH), its thumbnail, playlists, the list
of uploads with view counts, and seed 001's upload route on the same job."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from gateway.app import build_app
from tests.gateway.conftest import Gateway
from tests.support import serve
from tests.youtube.conftest import connect, ready_project, state_of, youtube_settings
from tests.youtube.google import VIDEO_ID, FakeGoogle


async def test_the_app_edits_a_video_keeping_what_it_did_not_send(
    yt: Gateway, google: FakeGoogle
) -> None:
    await connect(yt, google)
    answer = await yt.http.patch(
        f"/videos/{VIDEO_ID}", json={"title": "A better title", "tags": ["stoa", "dawn"]}
    )
    assert answer.status_code == 200, answer.text
    assert google.updates == [
        {
            "id": VIDEO_ID,
            "snippet": {
                "title": "A better title",
                "description": "",
                "tags": ["stoa", "dawn"],
                "categoryId": "27",  # YouTube's, read first: an update replaces the snippet
            },
        }
    ]
    missing = await yt.http.patch("/videos/nope", json={"title": "x"})
    assert missing.status_code == 404
    assert missing.json()["detail"] == "YouTube video not found: nope"
    bad = await yt.http.patch(f"/videos/{VIDEO_ID}", json={"title": ""})
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("title:")
    assert len(google.updates) == 1


async def test_the_thumbnail_of_an_uploaded_project_is_set_on_youtube(
    yt: Gateway, google: FakeGoogle
) -> None:
    await connect(yt, google)
    waiting = await ready_project(yt)
    refused = await yt.http.post(f"/thumbnail/update-by-project/{waiting['id']}")
    assert refused.status_code == 409
    assert refused.json()["detail"] == "The project is not on YouTube yet: upload it first"
    uploaded = await ready_project(
        yt, status="uploaded_to_youtube", youtube_video_id=VIDEO_ID, youtube_url="u"
    )
    answer = await yt.http.post(f"/thumbnail/update-by-project/{uploaded['id']}")
    assert answer.status_code == 200, answer.text
    assert google.thumbnails == [VIDEO_ID]


async def test_playlists_are_created_and_filled(yt: Gateway, google: FakeGoogle) -> None:
    await connect(yt, google)
    made = await yt.http.post(
        "/api/v1/youtube/playlist",
        json={"title": "My AI Films", "description": "Collection", "privacy": "public"},
    )
    assert made.status_code == 201, made.text
    assert made.json() == {
        "playlistId": "PLtest123",
        "title": "My AI Films",
        "url": "https://www.youtube.com/playlist?list=PLtest123",
    }
    added = await yt.http.post(
        "/api/v1/youtube/playlist/PLtest123/videos", json={"videoId": VIDEO_ID}
    )
    assert added.status_code == 201
    assert added.json() == {
        "playlistItemId": "item-1",
        "playlistId": "PLtest123",
        "videoId": VIDEO_ID,
    }
    assert google.playlist_items[0]["snippet"]["resourceId"] == {
        "kind": "youtube#video",
        "videoId": VIDEO_ID,
    }
    bad = await yt.http.post("/api/v1/youtube/playlist", json={"title": "", "privacy": "public"})
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("title:")


@pytest.mark.usefixtures("worker")
async def test_seed_001_upload_adds_to_a_playlist_and_lists_with_view_counts(
    yt: Gateway, google: FakeGoogle
) -> None:
    await connect(yt, google)
    made = await ready_project(yt)
    # Not on YouTube: not listed.
    assert (await yt.http.post("/projects", json={"title": "draft"})).status_code == 201
    answer = await yt.http.post(
        "/api/v1/youtube/upload",
        json={
            "projectId": made["id"],
            "title": "My AI Generated Film",
            "description": "Created with AI Film Studio",
            "tags": ["AI", "Film"],
            "privacy": "unlisted",
            "playlistId": "PLtest123",
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "videoId": VIDEO_ID,
        "url": f"https://www.youtube.com/watch?v={VIDEO_ID}",
        "status": "uploaded",
    }
    [session] = google.sessions.values()
    assert session.metadata["snippet"]["title"] == "My AI Generated Film"
    assert session.metadata["snippet"]["tags"] == ["AI", "Film"]
    assert session.metadata["status"]["privacyStatus"] == "unlisted"
    assert google.playlist_items[0]["snippet"]["playlistId"] == "PLtest123"
    listed = await yt.http.get("/api/v1/youtube/videos")
    assert listed.status_code == 200
    [video] = listed.json()["videos"]
    assert (video["id"], video["projectId"], video["views"]) == (VIDEO_ID, made["id"], 1250)
    assert video["title"] == f"Live title {VIDEO_ID}"  # YouTube's current title
    usage = await state_of(yt).youtube.quota.project_units(made["id"])
    assert usage == 1600 + 50 + 50  # the upload, its thumbnail, the playlist item


async def test_youtube_operations_are_limited_per_hour(
    mongo_url: str, tmp_path: Path, google: FakeGoogle
) -> None:
    settings = youtube_settings(mongo_url, tmp_path / "media", youtube_operations_per_hour=2)
    async with serve(build_app(settings)) as url, httpx.AsyncClient(base_url=url) as http:
        gateway = Gateway(url, http, settings, None)  # type: ignore[arg-type]
        await connect(gateway, google)
        for _ in range(2):
            ok = await http.patch(f"/videos/{VIDEO_ID}", json={"title": "t"})
            assert ok.status_code == 200, ok.text
        over = await http.patch(f"/videos/{VIDEO_ID}", json={"title": "t"})
        assert over.status_code == 429
        assert over.json()["detail"] == "YouTube operation limit reached: 2 per hour"
        assert 0 < int(over.headers["Retry-After"]) <= 3600
        assert len(google.updates) == 2
