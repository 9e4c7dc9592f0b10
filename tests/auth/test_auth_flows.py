"""Register, login, refresh rotation and reuse, logout, reset, verification, bad tokens."""

from __future__ import annotations

import asyncio
import statistics
import time

import jwt
import pytest

from tests.auth.conftest import KEY_A, KEY_B, PASSWORD, AuthGateway, Factory


def token_of(gw: AuthGateway, link_fragment: str) -> str:
    mail = next(m for m in reversed(gw.outbox.outbox) if link_fragment in m.body)
    return mail.body.split("token=", 1)[1].split()[0]


async def test_register_answers_201_with_user_and_tokens(gw: AuthGateway) -> None:
    r = await gw.http.post(
        "/api/v1/auth/register",
        json={"email": "New.Person@Example.com", "password": PASSWORD, "name": "New"},
    )
    assert r.status_code == 201
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["refresh_expires_in"] == 7 * 24 * 3600
    assert body["user"]["email"] == "new.person@example.com"
    assert body["user"]["role"] == "user"
    assert body["user"]["tier"] == "free"
    assert body["user"]["emailVerified"] is False
    assert "password" not in body["user"]
    me = await gw.http.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["id"] == body["user"]["id"]
    assert r.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"email": "not-an-email", "password": PASSWORD, "name": "x"}, "email"),
        ({"email": "a@example.com", "password": "short1", "name": "x"}, "at least 10"),
        ({"email": "a@example.com", "password": "onlyletterslong", "name": "x"}, "digit"),
        ({"email": "a@example.com", "password": "1111111111a", "name": "x"}, "4 different"),
        ({"email": "a@example.com", "password": PASSWORD, "name": ""}, "name"),
        ({"email": "a@example.com", "password": PASSWORD, "name": "x", "role": "admin"}, "role"),
    ],
)
async def test_bad_registrations_are_422_and_create_nothing(
    gw: AuthGateway, payload: dict[str, str], fragment: str
) -> None:
    r = await gw.http.post("/api/v1/auth/register", json=payload)
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], str)
    assert fragment in r.json()["detail"]
    assert await gw.accounts.users.users.count_documents({}) == 1  # the bootstrap admin only


async def test_duplicate_registration_is_409(gw: AuthGateway) -> None:
    account = await gw.register()
    r = await gw.http.post(
        "/api/v1/auth/register",
        json={"email": account.email.upper(), "password": PASSWORD, "name": "again"},
    )
    assert r.status_code == 409
    assert r.json()["detail"] == "An account with this email already exists"


async def test_seed_001_aliases_answer_user_and_token(gw: AuthGateway) -> None:
    r = await gw.http.post(
        "/api/v1/users/register",
        json={"email": "legacy@example.com", "password": PASSWORD, "name": "John Doe"},
    )
    assert r.status_code == 201
    assert set(r.json()) == {"user", "token"}
    assert r.json()["user"]["credits"] == 3
    r = await gw.http.post(
        "/api/v1/users/login", json={"email": "legacy@example.com", "password": PASSWORD}
    )
    assert r.status_code == 200
    token = r.json()["token"]
    profile = await gw.http.get(
        "/api/v1/users/profile", headers={"Authorization": f"Bearer {token}"}
    )
    assert profile.json()["name"] == "John Doe"
    put = await gw.http.put(
        "/api/v1/users/profile",
        json={"name": "Jane Doe"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert put.json()["name"] == "Jane Doe"


async def test_wrong_password_and_unknown_email_get_the_same_401(gw: AuthGateway) -> None:
    account = await gw.register()
    wrong = await gw.http.post(
        "/api/v1/auth/login", json={"email": account.email, "password": "Wrong-pass-99"}
    )
    unknown = await gw.http.post(
        "/api/v1/auth/login", json={"email": "nobody@example.com", "password": "Wrong-pass-99"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"] == "Invalid email or password"


async def test_login_is_throttled_after_repeated_failures(gw: AuthGateway) -> None:
    account = await gw.register()
    for _ in range(5):
        r = await gw.http.post(
            "/api/v1/auth/login", json={"email": account.email, "password": "Wrong-pass-99"}
        )
        assert r.status_code == 401
        assert r.json()["detail"] == "Invalid email or password"
    # Even the right password is refused while the account is throttled.
    r = await gw.http.post(
        "/api/v1/auth/login", json={"email": account.email, "password": PASSWORD}
    )
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0
    assert r.json()["retryAfter"] == int(r.headers["Retry-After"])


async def test_login_time_for_unknown_user_is_of_the_same_order(make_gateway: Factory) -> None:
    # Real argon2 cost here: the dummy verification must cost what a real one does.
    async with make_gateway(
        auth_argon2_time_cost=2, auth_argon2_memory_kib=32768, auth_login_max_failures=1000
    ) as gw:
        account = await gw.register()

        async def timed(email: str) -> float:
            started = time.perf_counter()
            r = await gw.http.post(
                "/api/v1/auth/login", json={"email": email, "password": "Wrong-pass-99"}
            )
            assert r.status_code == 401
            assert r.json()["detail"] == "Invalid email or password"
            return time.perf_counter() - started

        known = [await timed(account.email) for _ in range(5)]
        unknown = [await timed(f"ghost{i}@example.com") for i in range(5)]
        ratio = statistics.median(unknown) / statistics.median(known)
        assert 0.5 < ratio < 2.0, (known, unknown)


async def test_refresh_rotates_and_a_replay_revokes_the_family(gw: AuthGateway) -> None:
    account = await gw.register()
    first = await gw.http.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh})
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != account.refresh
    new_headers = {"Authorization": f"Bearer {rotated['access_token']}"}
    assert (await gw.http.get("/api/v1/users/me", headers=new_headers)).status_code == 200

    replay = await gw.http.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh})
    assert replay.status_code == 401
    assert "already used" in replay.json()["detail"]
    # The thief's and the victim's newer tokens are both dead now.
    again = await gw.http.post(
        "/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}
    )
    assert again.status_code == 401
    assert again.json()["detail"] == "Invalid or expired refresh token"
    refused = await gw.http.get("/api/v1/users/me", headers=new_headers)
    assert (refused.status_code, refused.json()["detail"]) == (401, "Access token revoked")
    refused = await gw.http.get("/api/v1/users/me", headers=account.headers)
    assert (refused.status_code, refused.json()["detail"]) == (401, "Access token revoked")
    audit = await gw.accounts.audit.latest("auth.refresh_reuse", account.id, 5)
    assert len(audit) == 1


async def test_concurrent_refreshes_of_one_token_succeed_once(gw: AuthGateway) -> None:
    account = await gw.register()
    answers = await asyncio.gather(
        *(
            gw.http.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh})
            for _ in range(4)
        )
    )
    assert sorted(r.status_code for r in answers) == [200, 401, 401, 401]


async def test_logout_revokes_the_access_and_refresh_tokens(gw: AuthGateway) -> None:
    account = await gw.register()
    other = await gw.login(account.email, PASSWORD)
    r = await gw.http.post(
        "/api/v1/auth/logout", json={"refresh_token": account.refresh}, headers=account.headers
    )
    assert r.status_code == 200
    refused = await gw.http.get("/api/v1/users/me", headers=account.headers)
    assert (refused.status_code, refused.json()["detail"]) == (401, "Access token revoked")
    refresh = await gw.http.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh})
    assert refresh.status_code == 401
    assert refresh.json()["detail"] == "Invalid or expired refresh token"
    # Another session of the same user is untouched.
    assert (await gw.http.get("/api/v1/users/me", headers=other.headers)).status_code == 200
    stored = await gw.accounts.revocations.collection.find_one({"value": account.refresh})
    assert stored is None  # only hashes and token ids are stored
    indexes = await gw.accounts.revocations.collection.index_information()
    ttl = [i for i in indexes.values() if "expireAfterSeconds" in i]
    assert ttl == [{"v": 2, "key": [("expiresAt", 1)], "expireAfterSeconds": 0}]


async def test_logout_on_one_replica_is_seen_by_another(make_gateway: Factory) -> None:
    async with make_gateway() as one:
        db = one.settings.mongodb_db
        async with make_gateway(mongodb_db=db) as two:
            account = await one.register()
            assert (await two.http.get("/api/v1/users/me", headers=account.headers)).is_success
            await one.http.post("/api/v1/auth/logout", headers=account.headers)
            await asyncio.sleep(0.6)  # two polls of the revocation list
            r = await two.http.get("/api/v1/users/me", headers=account.headers)
            assert r.status_code == 401
            assert r.json()["detail"] == "Access token revoked"


async def test_password_reset_token_works_once(gw: AuthGateway) -> None:
    account = await gw.register()
    r = await gw.http.post("/api/v1/auth/password-reset", json={"email": account.email})
    assert r.status_code == 202
    unknown = await gw.http.post("/api/v1/auth/password-reset", json={"email": "x@example.com"})
    assert unknown.status_code == 202
    assert unknown.json() == r.json()
    token = token_of(gw, "password-reset/confirm")
    weak = await gw.http.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": "weak"}
    )
    assert weak.status_code == 422
    assert "password must be at least 10 characters" in weak.json()["detail"]
    done = await gw.http.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": token, "new_password": "Brand-new-pass-7"},
    )
    assert done.status_code == 200
    reused = await gw.http.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": token, "new_password": "Another-pass-8"},
    )
    assert reused.status_code == 400
    assert "used" in reused.json()["detail"]
    # The reset signed out the old session, and only the new password works.
    refused = await gw.http.get("/api/v1/users/me", headers=account.headers)
    assert (refused.status_code, refused.json()["detail"]) == (401, "Access token revoked")
    await gw.login(account.email, "Brand-new-pass-7")
    old = await gw.http.post(
        "/api/v1/auth/login", json={"email": account.email, "password": "Another-pass-8"}
    )
    assert old.status_code == 401
    assert old.json()["detail"] == "Invalid email or password"


async def test_expired_reset_token_is_refused(make_gateway: Factory) -> None:
    async with make_gateway(auth_reset_ttl_seconds=60) as gw:
        account = await gw.register()
        await gw.http.post("/api/v1/auth/password-reset", json={"email": account.email})
        token = token_of(gw, "password-reset/confirm")
        await gw.accounts.sessions.one_time.update_many({}, {"$set": {"until": time.time() - 1}})
        r = await gw.http.post(
            "/api/v1/auth/password-reset/confirm",
            json={"token": token, "new_password": "Brand-new-pass-7"},
        )
        assert r.status_code == 400
        assert r.json()["detail"] == "Invalid, used or expired reset token"
        await gw.login(account.email, PASSWORD)


async def test_email_verification_link(gw: AuthGateway) -> None:
    account = await gw.register()
    token = token_of(gw, "verify-email")
    r = await gw.http.get("/api/v1/auth/verify-email", params={"token": token})
    assert r.status_code == 200
    assert r.json()["emailVerified"] is True
    again = await gw.http.get("/api/v1/auth/verify-email", params={"token": token})
    assert again.status_code == 400
    assert again.json()["detail"] == "Invalid, used or expired verification token"
    me = await gw.http.get("/api/v1/users/me", headers=account.headers)
    assert me.json()["emailVerified"] is True


def _forge(payload: dict[str, object], key: str, kid: str = "k1", alg: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid})


async def test_bad_tokens_are_401_with_a_string_detail(gw: AuthGateway) -> None:
    account = await gw.register()
    claims = jwt.decode(account.access, KEY_A, algorithms=["HS256"], issuer="ai-studio-gateway")
    header_b64, _payload, signature = account.access.split(".")
    tampered_claims = {**claims, "role": "admin"}
    tampered = ".".join([header_b64, _forge(tampered_claims, KEY_A).split(".")[1], signature])
    none_token = jwt.encode(
        {**claims, "role": "admin"}, "", algorithm="none", headers={"kid": "k1"}
    )
    cases = {
        "expired": _forge({**claims, "exp": int(time.time()) - 10}, KEY_A),
        "tampered": tampered,
        "alg none": none_token,
        "other key": _forge(claims, KEY_B),
        "unknown kid": _forge(claims, KEY_A, kid="k9"),
        "refresh as access": account.refresh,
        "garbage": "not.a.jwt",
    }
    for name, token in cases.items():
        r = await gw.http.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, name
        assert isinstance(r.json()["detail"], str), name
        assert r.headers["www-authenticate"].startswith("Bearer"), name
    expired = await gw.http.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {cases['expired']}"}
    )
    assert expired.json()["detail"] == "Access token expired"
    basic = await gw.http.get("/api/v1/users/me", headers={"Authorization": "Basic eDp5"})
    assert basic.status_code == 401
    assert basic.json()["detail"] == "Authorization must be 'Bearer <token or API key>'"


async def test_key_rotation_keeps_old_tokens_valid(make_gateway: Factory) -> None:
    async with make_gateway() as old:
        account = await old.register()
        db = old.settings.mongodb_db
    rotated = {"auth_jwt_keys": {"k1": KEY_A, "k2": KEY_B}, "auth_jwt_active_kid": "k2"}
    async with make_gateway(mongodb_db=db, **rotated) as gw:
        assert (await gw.http.get("/api/v1/users/me", headers=account.headers)).is_success
        fresh = await gw.login(account.email, PASSWORD)
        assert jwt.get_unverified_header(fresh.access)["kid"] == "k2"
    async with make_gateway(mongodb_db=db, auth_jwt_keys={"k2": KEY_B}) as retired:
        r = await retired.http.get("/api/v1/users/me", headers=account.headers)
        assert r.status_code == 401
        assert r.json()["detail"] == "Access token signed with an unknown key"
        assert (await retired.http.get("/api/v1/users/me", headers=fresh.headers)).is_success


async def test_password_change_needs_the_current_password(gw: AuthGateway) -> None:
    account = await gw.register()
    wrong = await gw.http.patch(
        "/api/v1/users/me",
        json={"current_password": "nope", "new_password": "Brand-new-pass-7"},
        headers=account.headers,
    )
    assert wrong.status_code == 403
    assert wrong.json()["detail"] == "current_password is wrong"
    await gw.login(account.email, PASSWORD)
    ok = await gw.http.patch(
        "/api/v1/users/me",
        json={"current_password": PASSWORD, "new_password": "Brand-new-pass-7"},
        headers=account.headers,
    )
    assert ok.status_code == 200
    await gw.login(account.email, "Brand-new-pass-7")
