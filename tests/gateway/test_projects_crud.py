"""The app's project calls, exactly as the app makes them."""

from __future__ import annotations

import re
from typing import Any

from tests.gateway.conftest import Gateway

APP_DEFAULTS: dict[str, Any] = {
    "title": "Stoic mornings",
    "description": "Five habits",
    "language": "fr",
    "status": "draft",
    "script_text": "",
    "voice_id": "alloy",
    "type_video": "",
    "audio_speed": 1.0,
    "audio_pitch": 1.0,
    "audio_path": None,
    "subtitle_path": None,
    "image_style": "realistic",
    "images": [],
    "resolution": "1080p",
    "fps": 30,
    "video_template_path": "",
    "background_music": "",
    "video_url": None,
    "keywords": "",
    "video_description": "",
    "video_inspirations": [],
    "duration": 0,
    "nb_section": 1,
}


async def test_fresh_database_lists_an_empty_array(gateway: Gateway) -> None:
    response = await gateway.http.get("/projects")
    assert response.status_code == 200
    assert response.json() == []


async def test_create_returns_the_full_project_with_a_new_short_id(gateway: Gateway) -> None:
    response = await gateway.http.post("/projects", json=APP_DEFAULTS)
    assert response.status_code == 201
    project = response.json()
    assert re.fullmatch(r"[A-Za-z0-9_-]{7}", project["id"])
    assert response.headers["location"].endswith(f"/projects/{project['id']}")
    for key, value in APP_DEFAULTS.items():
        assert project[key] == value, key
    assert project["createdAt"] == project["updatedAt"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", project["updatedAt"])
    fetched = await gateway.http.get(f"/projects/{project['id']}")
    assert fetched.json() == project


async def test_a_client_id_is_kept_and_a_duplicate_is_a_conflict(gateway: Gateway) -> None:
    first = await gateway.http.post("/projects", json={"id": "my-proj", "title": "a"})
    assert first.status_code == 201
    assert first.json()["id"] == "my-proj"
    second = await gateway.http.post("/projects", json={"id": "my-proj", "title": "b"})
    assert second.status_code == 409
    assert "my-proj" in second.json()["detail"]
    assert (await gateway.http.get("/projects/my-proj")).json()["title"] == "a"


async def test_ids_the_app_reserves_or_unsafe_ids_are_refused(gateway: Gateway) -> None:
    for bad in ("temp", "new", "a/b", "", "x" * 65, 12):
        response = await gateway.http.post("/projects", json={"id": bad, "title": "t"})
        assert response.status_code == 422, bad
        assert isinstance(response.json()["detail"], str)
    assert await gateway.count() == 0


async def test_put_merges_and_returns_the_whole_project(gateway: Gateway) -> None:
    created = (await gateway.http.post("/projects", json=APP_DEFAULTS)).json()
    response = await gateway.http.put(
        f"/projects/{created['id']}",
        json={"title": "Renamed", "images": [{"prompt": "a calm sea", "url": None}]},
    )
    assert response.status_code == 200
    project = response.json()
    assert project["title"] == "Renamed"
    assert project["images"] == [{"prompt": "a calm sea", "url": None}]
    assert project["description"] == "Five habits"
    assert project["language"] == "fr"
    assert project["createdAt"] == created["createdAt"]
    assert project["updatedAt"] > created["updatedAt"]


async def test_the_server_owns_id_and_timestamps(gateway: Gateway) -> None:
    created = (await gateway.http.post("/projects", json={"title": "t"})).json()
    sent = {**created, "id": "other", "createdAt": "1999", "updatedAt": "1999", "title": "u"}
    project = (await gateway.http.put(f"/projects/{created['id']}", json=sent)).json()
    assert project["id"] == created["id"]
    assert project["createdAt"] == created["createdAt"]
    assert project["updatedAt"] != "1999"
    refused = await gateway.http.get("/projects/other")
    assert (refused.status_code, refused.json()["detail"]) == (404, "Project not found: other")


async def test_patch_changes_only_what_was_sent(gateway: Gateway) -> None:
    created = (await gateway.http.post("/projects", json=APP_DEFAULTS)).json()
    project = (await gateway.http.patch(f"/projects/{created['id']}", json={"fps": 60})).json()
    assert project["fps"] == 60
    assert project["title"] == APP_DEFAULTS["title"]


async def test_unknown_fields_are_kept_and_older_names_are_understood(gateway: Gateway) -> None:
    body = {
        "title": "legacy",
        "use_case": "explanation",
        "video_template_id": "ken_burns",
        "background_music": "none",
        "thumbnail": "http://x/t.jpg",
        "custom": {"nested": [1, 2]},
    }
    project = (await gateway.http.post("/projects", json=body)).json()
    assert project["use_case"] == "explanation"
    assert project["custom"] == {"nested": [1, 2]}
    assert project["video_template_path"] == "ken_burns"
    # The app's own sample data says "none": JSON Server returned it unchanged.
    assert project["background_music"] == "none"
    assert project["thumbnail_path"] == "http://x/t.jpg"


async def test_a_cleared_duration_and_numeric_strings_are_accepted(gateway: Gateway) -> None:
    project = (
        await gateway.http.post("/projects", json={"title": "t", "duration": "", "fps": "24"})
    ).json()
    assert project["duration"] == 0
    assert project["fps"] == 24


async def test_delete_answers_204_then_the_project_is_gone(gateway: Gateway) -> None:
    created = (await gateway.http.post("/projects", json={"title": "t"})).json()
    response = await gateway.http.delete(f"/projects/{created['id']}")
    assert response.status_code == 204
    assert response.content == b""
    missing = await gateway.http.get(f"/projects/{created['id']}")
    assert missing.status_code == 404
    refused = await gateway.http.delete(f"/projects/{created['id']}")
    assert (refused.status_code, refused.json()["detail"]) == (
        404,
        f"Project not found: {created['id']}",
    )


async def test_unknown_ids_are_404_with_a_string_detail(gateway: Gateway) -> None:
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        kwargs: dict[str, Any] = {} if method in ("GET", "DELETE") else {"json": {"title": "x"}}
        response = await gateway.http.request(method, "/projects/nope", **kwargs)
        assert response.status_code == 404, method
        body = response.json()
        assert body["detail"] == "Project not found: nope"
        assert body["error"]["code"] == "NOT_FOUND"


async def test_insertion_order_is_the_display_order(gateway: Gateway) -> None:
    for title in ("zeta", "alpha", "mid"):
        await gateway.http.post("/projects", json={"title": title})
    titles = [p["title"] for p in (await gateway.http.get("/projects")).json()]
    assert titles == ["zeta", "alpha", "mid"]
