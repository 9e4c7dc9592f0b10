"""Who may do what: every protected endpoint x anonymous, owner, another user, member, admin."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.auth.conftest import Account, AuthGateway

WHO = ("anonymous", "owner", "other", "viewer", "editor", "admin")


@dataclass
class World:
    gw: AuthGateway
    people: dict[str, Account | None]
    project: str

    def headers(self, who: str) -> dict[str, str]:
        account = self.people[who]
        return account.headers if account else {}


@pytest.fixture
async def world(gw: AuthGateway) -> World:
    admin = await gw.admin()
    owner, other, viewer, editor = [await gw.register(n) for n in ("owner", "o", "v", "e")]
    # Sharing is a business-tier feature (seed 002).
    r = await gw.http.patch(
        f"/api/v1/users/{owner.id}", json={"tier": "business"}, headers=admin.headers
    )
    assert r.status_code == 200
    owner = await gw.login(owner.email, "Correct-Horse-42")
    created = await gw.http.post("/projects", json={"title": "Mine"}, headers=owner.headers)
    assert created.status_code == 201
    project = created.json()["id"]
    for member, role in ((viewer, "viewer"), (editor, "editor")):
        r = await gw.http.post(
            f"/api/v1/projects/{project}/members",
            json={"user": member.email, "role": role},
            headers=owner.headers,
        )
        assert r.status_code == 201, r.text
    people: dict[str, Account | None] = {
        "anonymous": None, "owner": owner, "other": other,
        "viewer": viewer, "editor": editor, "admin": admin,
    }  # fmt: skip
    return World(gw, people, project)


# (method, path, body, expected status per WHO). {p} is the owner's project.
MATRIX: list[tuple[str, str, dict[str, object] | None, tuple[int, ...]]] = [
    ("GET", "/projects/{p}", None, (401, 200, 404, 200, 200, 200)),
    ("GET", "/api/v1/projects/{p}", None, (401, 200, 404, 200, 200, 200)),
    ("PUT", "/projects/{p}", {"title": "x"}, (401, 200, 404, 403, 200, 200)),
    ("PATCH", "/projects/{p}", {"title": "x"}, (401, 200, 404, 403, 200, 200)),
    ("PATCH", "/api/v1/projects/{p}", {"title": "x"}, (401, 200, 404, 403, 200, 200)),
    ("GET", "/api/v1/projects/{p}/members", None, (401, 200, 404, 200, 200, 200)),
    (
        "POST",
        "/api/v1/projects/{p}/members",
        {"user": "admin@example.com", "role": "viewer"},
        (401, 201, 403, 403, 403, 201),
    ),
    # Allowed callers get past access and fail on the empty project (nothing to render).
    ("POST", "/video/{p}", {}, (401, 422, 404, 403, 422, 422)),
    ("GET", "/api/v1/users/me", None, (401, 200, 200, 200, 200, 200)),
    ("GET", "/api/v1/users/me/usage", None, (401, 200, 200, 200, 200, 200)),
    ("GET", "/api/v1/users", None, (401, 403, 403, 403, 403, 200)),
    ("GET", "/api/v1/admin/users", None, (401, 403, 403, 403, 403, 200)),
    ("GET", "/api/v1/audit", None, (401, 403, 403, 403, 403, 200)),
    ("GET", "/api/v1/api-keys", None, (401, 200, 200, 200, 200, 200)),
    ("POST", "/api/v1/api-keys", {"name": "ci"}, (401, 201, 403, 403, 403, 201)),
    ("GET", "/api/v1/roles", None, (401, 200, 200, 200, 200, 200)),
    # With auth required, media needs a signed URL or a readable project: 403 before any lookup.
    ("GET", "/media/nothing/here.png", None, (403, 403, 403, 403, 403, 403)),
    ("GET", "/health/live", None, (200, 200, 200, 200, 200, 200)),
    ("DELETE", "/api/v1/projects/{p}", None, (401, 200, 404, 403, 403, 200)),
    ("DELETE", "/projects/{p}", None, (401, 204, 404, 403, 403, 204)),
]


@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX)
async def test_authorization_matrix(
    world: World,
    method: str,
    path: str,
    body: dict[str, object] | None,
    expected: tuple[int, ...],
) -> None:
    got = {}
    for who in WHO:
        # Deletions are checked by everyone but the deleting roles first, on a fresh project.
        if method == "DELETE" and who in ("owner", "admin"):
            continue
        r = await world.gw.http.request(
            method, path.format(p=world.project), json=body, headers=world.headers(who)
        )
        got[who] = r.status_code
        assert isinstance(r.json()["detail"] if r.status_code >= 400 else "", str)
    if method == "DELETE":
        for who in ("owner", "admin"):
            r = await world.gw.http.request(
                method, path.format(p=world.project), headers=world.headers(who)
            )
            got[who] = r.status_code
            if r.is_success:
                # Put it back for the other deleter.
                owner = world.people["owner"]
                assert owner is not None
                r2 = await world.gw.http.post(
                    "/projects", json={"id": world.project, "title": "Again"},
                    headers=owner.headers,
                )  # fmt: skip
                assert r2.status_code == 201
    assert tuple(got[w] for w in WHO) == expected, got


async def test_lists_show_only_what_each_may_read(world: World) -> None:
    gw = world.gw
    other = world.people["other"]
    assert other is not None
    await gw.http.post("/projects", json={"title": "Theirs"}, headers=other.headers)

    async def titles(who: str, path: str = "/projects") -> list[str]:
        r = await gw.http.get(path, headers=world.headers(who))
        assert r.status_code == 200
        items = r.json() if path == "/projects" else r.json()["projects"]
        return sorted(p["title"] for p in items)

    assert await titles("owner") == ["Mine"]
    assert await titles("viewer") == ["Mine"]
    assert await titles("other") == ["Theirs"]
    assert await titles("admin") == ["Mine", "Theirs"]
    assert await titles("other", "/api/v1/projects") == ["Theirs"]
    envelope = (await gw.http.get("/api/v1/projects", headers=world.headers("admin"))).json()
    assert (envelope["page"], envelope["limit"], envelope["total"]) == (1, 20, 2)
    # Internal fields never leak.
    mine = (await gw.http.get(f"/projects/{world.project}", headers=world.headers("owner"))).json()
    assert not [k for k in mine if k.startswith("_")]


async def test_role_change_by_admin_takes_effect_and_is_audited(world: World) -> None:
    gw, other, admin = world.gw, world.people["other"], world.people["admin"]
    assert other is not None
    assert admin is not None
    r = await gw.http.put(
        f"/api/v1/users/{other.id}/role", json={"role": "admin"}, headers=admin.headers
    )
    assert r.status_code == 200
    assert r.json()["role"] == "admin"
    # The old token carried the old role: it is cut off, a fresh login carries the new one.
    refused = await gw.http.get("/api/v1/users/me", headers=other.headers)
    assert (refused.status_code, refused.json()["detail"]) == (401, "Access token revoked")
    promoted = await gw.login(other.email, "Correct-Horse-42")
    r = await gw.http.get(f"/projects/{world.project}", headers=promoted.headers)
    assert r.status_code == 200
    bad = await gw.http.put(
        f"/api/v1/users/{other.id}/role", json={"role": "root"}, headers=admin.headers
    )
    assert bad.status_code == 422
    assert "admin" in bad.json()["detail"]
    assert "user" in bad.json()["detail"]
    audit = await gw.http.get(
        "/api/v1/audit", params={"action": "user.role_change"}, headers=admin.headers
    )
    latest = audit.json()[0]
    assert (latest["target"], latest["actor"]) == (other.id, admin.id)
    assert latest["details"] == {"before": {"role": "user"}, "after": {"role": "admin"}}


async def test_admin_list_search_tier_and_pages(world: World) -> None:
    gw, admin = world.gw, world.people["admin"]
    assert admin is not None
    r = await gw.http.get("/api/v1/users", params={"tier": "business"}, headers=admin.headers)
    assert [u["email"] for u in r.json()["users"]] == [world.people["owner"].email]  # type: ignore[union-attr]
    r = await gw.http.get(
        "/api/v1/users", params={"search": "OWNER-", "limit": 1}, headers=admin.headers
    )
    assert r.json()["total"] == 1
    r = await gw.http.get("/api/v1/users", params={"limit": 2, "page": 3}, headers=admin.headers)
    assert (r.json()["page"], r.json()["total"], len(r.json()["users"])) == (3, 5, 1)
    bad = await gw.http.get("/api/v1/users", params={"tier": "gold"}, headers=admin.headers)
    assert bad.status_code == 422
    assert "free" in bad.json()["detail"]


async def test_api_keys_shown_once_stored_hashed_and_revocable(world: World) -> None:
    gw, owner = world.gw, world.people["owner"]
    assert owner is not None
    created = await gw.http.post("/api/v1/api-keys", json={"name": "ci"}, headers=owner.headers)
    key = created.json()["key"]
    assert key.startswith("sk_")
    listed = await gw.http.get("/api/v1/api-keys", headers=owner.headers)
    assert "key" not in listed.json()[0]
    stored = await gw.accounts.api_keys.keys.find_one({"_id": created.json()["id"]})
    assert stored is not None
    assert key not in str(stored)
    for headers in ({"X-API-Key": key}, {"Authorization": f"Bearer {key}"}):
        r = await gw.http.get(f"/projects/{world.project}", headers=headers)
        assert r.status_code == 200
    r = await gw.http.delete(f"/api/v1/api-keys/{created.json()['id']}", headers=owner.headers)
    assert r.status_code == 204
    r = await gw.http.get(f"/projects/{world.project}", headers={"X-API-Key": key})
    assert r.status_code == 401
    assert r.json()["detail"] == "Invalid or revoked API key"
    audit = await gw.accounts.audit.latest("api_key.create", owner.id, 5)
    assert len(audit) == 1


async def test_deleting_an_account_deletes_its_projects_and_media(world: World) -> None:
    gw, owner, viewer = world.gw, world.people["owner"], world.people["viewer"]
    assert owner is not None
    assert viewer is not None
    await gw.accounts.storage.put_bytes("audio/abc/narration.mp3", b"ID3 fake")
    # As the gateway records a narration the audio service made for this project.
    await gw.accounts.media.record(["audio/abc/narration.mp3"], owner.id, world.project)
    r = await gw.http.patch(
        f"/projects/{world.project}",
        json={"audio_path": "http://media.test/media/audio/abc/narration.mp3"},
        headers=owner.headers,
    )
    assert r.status_code == 200
    # The viewer's own project survives; their membership elsewhere goes with the owner's project.
    kept = await gw.http.post("/projects", json={"title": "Kept"}, headers=viewer.headers)
    r = await gw.http.delete("/api/v1/users/me", headers=owner.headers)
    assert r.status_code == 200
    assert await gw.accounts.storage.stat("audio/abc/narration.mp3") is None
    assert (
        await gw.http.get(f"/projects/{world.project}", headers=viewer.headers)
    ).status_code == 404
    assert (await gw.http.get(f"/projects/{kept.json()['id']}", headers=viewer.headers)).is_success
    refused = await gw.http.get("/api/v1/users/me", headers=owner.headers)
    assert (refused.status_code, refused.json()["detail"]) == (401, "Access token revoked")
    login = await gw.http.post(
        "/api/v1/auth/login", json={"email": owner.email, "password": "Correct-Horse-42"}
    )
    assert login.status_code == 401
    assert login.json()["detail"] == "Invalid email or password"


async def test_a_deleted_member_leaves_the_projects_shared_with_them(world: World) -> None:
    gw, owner, viewer = world.gw, world.people["owner"], world.people["viewer"]
    assert owner is not None
    assert viewer is not None
    r = await gw.http.delete("/api/v1/users/me", headers=viewer.headers)
    assert r.status_code == 200
    members = await gw.http.get(f"/api/v1/projects/{world.project}/members", headers=owner.headers)
    assert members.status_code == 200
    assert viewer.id not in str(members.json())
    assert (await gw.http.get(f"/projects/{world.project}", headers=owner.headers)).is_success


async def test_a_field_only_others_projects_have_is_unknown_to_a_filter(world: World) -> None:
    gw = world.gw
    other = world.people["other"]
    assert other is not None
    r = await gw.http.post(
        "/projects", json={"title": "Theirs", "client": "acme"}, headers=other.headers
    )
    assert r.status_code == 201

    async def titles(who: str, query: str) -> list[str]:
        r = await gw.http.get(f"/projects?{query}", headers=world.headers(who))
        assert r.status_code == 200, r.text
        return sorted(p["title"] for p in r.json())

    # No project the owner can read has `client`: the filter is ignored, as JSON Server does,
    # and tells nothing of what other users' projects hold.
    assert await titles("owner", "client=globex") == ["Mine"]
    assert await titles("other", "client=globex") == []
    assert await titles("other", "client=acme") == ["Theirs"]
    assert await titles("admin", "client=globex") == []
