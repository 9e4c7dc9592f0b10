"""NUL characters are refused (422) in every text field of the accounts routes: nothing changes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.auth.conftest import PASSWORD, AuthGateway

NUL_PASSWORD = "Correct\x00Horse-42"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/auth/register", {"email": "n@example.com", "password": PASSWORD,
                                   "name": "Eve\x00admin"}, "name"),
        ("/api/v1/auth/register", {"email": "n@example.com", "password": NUL_PASSWORD,
                                   "name": "Eve"}, "password"),
        ("/api/v1/users/register", {"email": "n@example.com", "password": PASSWORD,
                                    "name": "Eve\x00"}, "name"),
        ("/api/v1/auth/login", {"email": "n@example.com\x00", "password": PASSWORD}, "email"),
        ("/api/v1/auth/login", {"email": "n@example.com", "password": NUL_PASSWORD}, "password"),
        ("/api/v1/auth/refresh", {"refresh_token": "abc\x00"}, "refresh_token"),
        ("/api/v1/auth/password-reset", {"email": "n@example.com\x00"}, "email"),
        ("/api/v1/auth/password-reset/confirm", {"token": "t\x00", "new_password": PASSWORD},
         "token"),
        ("/api/v1/auth/verify-email", {"token": "\x00"}, "token"),
    ],
)  # fmt: skip
async def test_nul_in_public_account_routes_is_422(
    gw: AuthGateway, path: str, body: dict[str, Any], field: str
) -> None:
    r = await gw.http.post(path, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == f"{field}: Text must not contain NUL characters"
    assert await gw.accounts.users.users.count_documents({}) == 1  # the bootstrap admin only


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PATCH", "/api/v1/users/me", {"name": "Eve\x00"}, "name"),
        ("PUT", "/api/v1/users/profile", {"name": "Eve\x00"}, "name"),
        ("PATCH", "/api/v1/users/me", {"current_password": NUL_PASSWORD,
                                       "new_password": "Another-Horse-43"}, "current_password"),
        ("PATCH", "/api/v1/users/me", {"current_password": PASSWORD,
                                       "new_password": "Another\x00Horse-43"}, "new_password"),
        ("POST", "/api/v1/api-keys", {"name": "ci\x00"}, "name"),
        ("POST", "/api/v1/projects/p1/members", {"user": "x@example.com\x00",
                                                 "role": "viewer"}, "user"),
    ],
)  # fmt: skip
async def test_nul_in_signed_in_account_routes_is_422(
    gw: AuthGateway, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    account = await gw.register("nul")
    r = await gw.http.request(method, path, json=body, headers=account.headers)
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == f"{field}: Text must not contain NUL characters"
    me = (await gw.http.get("/api/v1/users/me", headers=account.headers)).json()
    assert me["name"] == "nul"
    assert (await gw.http.get("/api/v1/api-keys", headers=account.headers)).json() == []
    assert (await gw.login(account.email, PASSWORD)).id == account.id


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/users", {"search": "a\x00"}, "search"),
        ("/api/v1/admin/users", {"search": "\x00"}, "search"),
        ("/api/v1/audit", {"action": "user.login\x00"}, "action"),
        ("/api/v1/audit", {"actor": "\x00"}, "actor"),
    ],
)
async def test_nul_in_admin_filters_is_422(
    gw: AuthGateway, path: str, params: dict[str, str], field: str
) -> None:
    admin = await gw.admin()
    r = await gw.http.get(path, params=params, headers=admin.headers)
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == f"query.{field}: Text must not contain NUL characters"
