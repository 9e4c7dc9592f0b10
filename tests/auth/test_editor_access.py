"""Who may read and change a video's scenes and layers: owner, another user, members, admin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.auth.conftest import PASSWORD, Account, AuthGateway
from tests.gateway.test_editor import SECTIONS, SEED_LAYERS

WHO = ("anonymous", "owner", "other", "viewer", "editor", "admin")


@dataclass
class Video:
    gw: AuthGateway
    people: dict[str, Account | None]
    id: str
    scene: str
    layer: str

    def headers(self, who: str) -> dict[str, str]:
        account = self.people[who]
        return account.headers if account else {}

    async def scenes(self) -> list[dict[str, Any]]:
        r = await self.gw.http.get(
            f"/api/v1/videos/{self.id}/scenes", headers=self.headers("owner")
        )
        assert r.status_code == 200, r.text
        scenes: list[dict[str, Any]] = r.json()["data"]["scenes"]
        return scenes


@pytest.fixture
async def video(gw: AuthGateway) -> Video:
    admin = await gw.admin()
    owner, other, viewer, editor = [await gw.register(n) for n in ("owner", "o", "v", "e")]
    # Sharing is a business-tier feature (seed 002).
    r = await gw.http.patch(
        f"/api/v1/users/{owner.id}", json={"tier": "business"}, headers=admin.headers
    )
    assert r.status_code == 200
    owner = await gw.login(owner.email, PASSWORD)
    body = {"title": "Mine", "script_sections": SECTIONS, "duration": 20}
    project = (await gw.http.post("/projects", json=body, headers=owner.headers)).json()["id"]
    for member, role in ((viewer, "viewer"), (editor, "editor")):
        r = await gw.http.post(
            f"/api/v1/projects/{project}/members",
            json={"user": member.email, "role": role},
            headers=owner.headers,
        )
        assert r.status_code == 201, r.text
    scenes = await gw.http.get(f"/api/v1/videos/{project}/scenes", headers=owner.headers)
    scene = scenes.json()["data"]["scenes"][0]["id"]
    layer = await gw.http.post(
        f"/api/v1/scenes/{scene}/layers", json=SEED_LAYERS[0], headers=owner.headers
    )
    people: dict[str, Account | None] = {
        "anonymous": None, "owner": owner, "other": other,
        "viewer": viewer, "editor": editor, "admin": admin,
    }  # fmt: skip
    return Video(gw, people, project, scene, layer.json()["data"]["layer"]["id"])


# (method, path, body, expected status per WHO); {v} the video, {s} its scene, {l} its layer.
MATRIX: list[tuple[str, str, dict[str, Any] | None, tuple[int, ...]]] = [
    ("GET", "/api/v1/videos/{v}/scenes", None, (401, 200, 404, 200, 200, 200)),
    (
        "PUT",
        "/api/v1/videos/{v}/scenes/{s}",
        {"is_expanded": True},
        (401, 200, 404, 403, 200, 200),
    ),
    ("POST", "/api/v1/scenes/{s}/layers", SEED_LAYERS[3], (401, 201, 404, 403, 201, 201)),
    ("PUT", "/api/v1/layers/{l}", {"name": "Renamed"}, (401, 200, 404, 403, 200, 200)),
    (
        "PUT",
        "/api/v1/layers/{l}/toggle-visibility",
        {"enabled": False},
        (401, 200, 404, 403, 200, 200),
    ),
    (
        "PUT",
        "/api/v1/layers/reorder",
        {"scene_id": "{s}", "layer_orders": [{"layer_id": "{l}", "order_index": 4}]},
        (401, 200, 404, 403, 200, 200),
    ),
    ("DELETE", "/api/v1/layers/{l}", None, (401, 200, 404, 403, 200, 200)),
]


def _filled(value: Any, video: Video) -> Any:
    if isinstance(value, str):
        return (
            value.replace("{v}", video.id).replace("{s}", video.scene).replace("{l}", video.layer)
        )
    if isinstance(value, dict):
        return {k: _filled(v, video) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, video) for v in value]
    return value


@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX)
async def test_scene_and_layer_access(
    video: Video,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    expected: tuple[int, ...],
) -> None:
    for who, status in zip(WHO, expected, strict=True):
        before = await video.scenes()
        r = await video.gw.http.request(
            method, _filled(path, video), json=_filled(body, video), headers=video.headers(who)
        )
        assert r.status_code == status, (who, r.text)
        if status >= 400:
            assert await video.scenes() == before, who
        if status == 404:
            # Someone else's scene or layer is answered like a missing one.
            assert r.json()["detail"].split(":")[0] in (
                "Project not found",
                "Scene not found",
                "Layer not found",
            )
        if status == 403:
            assert r.json()["detail"] == "You have read-only access"
        if method == "DELETE" and status == 200:
            # Put it back for the next person in the row.
            again = await video.gw.http.post(
                f"/api/v1/scenes/{video.scene}/layers",
                json=SEED_LAYERS[0],
                headers=video.headers("owner"),
            )
            video.layer = again.json()["data"]["layer"]["id"]


async def test_the_free_tier_cannot_turn_the_watermark_off(gw: AuthGateway) -> None:
    admin = await gw.admin()
    free, pro = await gw.register("free"), await gw.register("pro")
    r = await gw.http.patch(f"/api/v1/users/{pro.id}", json={"tier": "pro"}, headers=admin.headers)
    assert r.status_code == 200
    pro = await gw.login(pro.email, PASSWORD)
    state = gw.app.state.gateway

    async def video(owner: Account) -> str:
        media = "http://media.test/media/images/0b8f7f9e-3a8e-4a57-9a55-0d1f4bb2c001/i.png"
        body = {"title": "W", "script_sections": SECTIONS[:1], "images": [{"url": media}]}
        r = await gw.http.post("/projects", json=body, headers=owner.headers)
        assert r.status_code == 201, r.text
        video_id: str = r.json()["id"]
        return video_id

    async def watermark_of(job_id: str) -> bool:
        doc = await state.jobs.collection.find_one({"_id": job_id})
        return bool(doc["_params"]["watermark"])

    mine = await video(free)
    refused = await gw.http.post(
        f"/api/v1/videos/{mine}/render", json={"include_watermark": False}, headers=free.headers
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "Your plan (free) does not include no_watermark; available on: pro, business"
    )
    assert await state.jobs.collection.count_documents({}) == 0
    r = await gw.http.post(f"/api/v1/videos/{mine}/render", json={}, headers=free.headers)
    assert r.status_code == 202, r.text
    assert await watermark_of(r.json()["data"]["job_id"]) is True
    theirs = await video(pro)
    r = await gw.http.post(f"/api/v1/videos/{theirs}/render", json={}, headers=pro.headers)
    assert await watermark_of(r.json()["data"]["job_id"]) is False
    # Another user's video answers 404, as a missing one.
    r = await gw.http.post(f"/api/v1/videos/{theirs}/render", json={}, headers=free.headers)
    assert (r.status_code, r.json()["detail"]) == (404, f"Project not found: {theirs}")
    r = await gw.http.get(f"/api/v1/videos/{theirs}/regeneration-status", headers=free.headers)
    assert r.status_code == 404


async def test_layer_media_urls_are_shown_signed_and_stored_plain(gw: AuthGateway) -> None:
    owner = await gw.register("signer")
    body = {"title": "S", "script_sections": SECTIONS}
    video_id = (await gw.http.post("/projects", json=body, headers=owner.headers)).json()["id"]
    scenes = await gw.http.get(f"/api/v1/videos/{video_id}/scenes", headers=owner.headers)
    scene = scenes.json()["data"]["scenes"][0]["id"]
    plain = "http://media.test/media/images/0b8f7f9e-3a8e-4a57-9a55-0d1f4bb2c002/logo.png"
    layer = {**SEED_LAYERS[4], "properties": {"media_url": plain}}
    r = await gw.http.post(f"/api/v1/scenes/{scene}/layers", json=layer, headers=owner.headers)
    shown = r.json()["data"]["layer"]
    signed = shown["properties"]["media_url"]
    assert signed.startswith(plain + "?exp=")
    assert "sig=" in signed
    # The app sends back what it was shown: it is stored without its signature.
    r = await gw.http.put(
        f"/api/v1/layers/{shown['id']}",
        json={"properties": {"media_url": signed, "opacity": 0.5}},
        headers=owner.headers,
    )
    assert r.status_code == 200, r.text
    state = gw.app.state.gateway
    doc = await state.db.projects.find_one({"_id": video_id})
    assert doc["_scenes"][0]["layers"][0]["properties"]["media_url"] == plain
