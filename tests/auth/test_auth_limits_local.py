"""Rate limits shared by replicas, local mode for the unmodified app, headers, the proxy."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from gateway.app import build_app
from gateway.auth.tokens import KeyConfigError
from gateway.settings import GatewaySettings
from studio.stack import insecure_bind
from tests.auth.conftest import AuthGateway, Factory
from tests.support import free_port


async def test_rate_limit_is_shared_by_two_gateways(make_gateway: Factory) -> None:
    limits = {"rate_limit_per_minute": {"free": 6, "pro": 100, "business": 100}}
    async with make_gateway(**limits) as one:
        shared = one.settings.mongodb_db
        async with make_gateway(mongodb_db=shared, **limits) as two:
            account = await one.register()
            statuses = []
            for i in range(8):
                gw = one if i % 2 == 0 else two
                r = await gw.http.get("/api/v1/users/me", headers=account.headers)
                statuses.append(r.status_code)
            assert statuses == [200] * 6 + [429] * 2
            assert int(r.headers["Retry-After"]) >= 1
            assert r.json()["retryAfter"] == int(r.headers["Retry-After"])
            assert r.json()["detail"] == "Rate limit exceeded: 6 requests per minute"
            # Another user has their own budget.
            other = await two.register()
            assert (await one.http.get("/api/v1/users/me", headers=other.headers)).is_success


async def test_video_generation_is_limited_per_hour(make_gateway: Factory) -> None:
    async with make_gateway(rate_limit_video_per_hour={"free": 2}) as gw:
        account = await gw.register()
        project = await gw.http.post("/projects", json={"title": "v"}, headers=account.headers)
        path = f"/projects/{project.json()['id']}/generate-video"
        codes = [
            (await gw.http.post(path, json={}, headers=account.headers)).status_code
            for _ in range(3)
        ]
        assert codes[:2] != [429, 429]
        assert codes[2] == 429
        usage = await gw.http.get("/api/v1/users/me/usage", headers=account.headers)
        assert usage.json()["video_generations_this_hour"] == 3
        assert usage.json()["limits"]["video_generations_per_hour"] == 2


async def test_local_mode_serves_the_app_without_credentials(make_gateway: Factory) -> None:
    async with make_gateway(auth_required=False, auth_jwt_keys={}) as gw:
        created = await gw.http.post("/projects", json={"title": "No login"})
        assert created.status_code == 201
        listed = await gw.http.get("/projects")
        assert [p["title"] for p in listed.json()] == ["No login"]
        # The local user costs no rate-limit write per request.
        assert await gw.accounts.rate.collection.count_documents({}) == 0
        # Credentials still work and name a real user, who does not see the local projects.
        account = await gw.register()
        mine = await gw.http.get("/projects", headers=account.headers)
        assert mine.json() == []
        # The local user has no account to show.
        refused = await gw.http.get("/api/v1/users/me")
        assert (refused.status_code, refused.json()["detail"]) == (
            401,
            "This route needs a user account; send a Bearer token or an X-API-Key",
        )


async def test_security_headers_and_cors(gw: AuthGateway) -> None:
    r = await gw.http.get("/health/live", headers={"Origin": "http://localhost:3000"})
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["content-security-policy"].startswith("default-src 'none'")
    assert r.headers["access-control-allow-origin"] == "http://localhost:3000"
    denied = await gw.http.get("/projects", headers={"Origin": "http://localhost:3000"})
    # A 401 still carries CORS, so the browser app can read why.
    assert denied.status_code == 401
    assert denied.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert denied.headers["x-request-id"]
    evil = await gw.http.get("/health/live", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in evil.headers


async def test_oversized_body_is_413(gw: AuthGateway) -> None:
    r = await gw.http.post(
        "/api/v1/auth/login", content=b"{" + b" " * 3_000_000 + b"}",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert r.status_code == 413
    assert r.json()["detail"] == "Request body exceeds the limit of 2000000 bytes"


async def test_trusted_proxy_header_names_the_user(make_gateway: Factory) -> None:
    proxy = {"auth_proxy_header": "X-Forwarded-Email", "auth_proxy_trusted": ["127.0.0.1/32"]}
    async with make_gateway(**proxy) as gw:
        who = {"X-Forwarded-Email": "proxied@example.com"}
        created = await gw.http.post("/projects", json={"title": "Via proxy"}, headers=who)
        assert created.status_code == 201
        again = await gw.http.get("/projects", headers=who)
        assert [p["title"] for p in again.json()] == ["Via proxy"]
        stranger = await gw.http.get("/projects", headers={"X-Forwarded-Email": "x@example.com"})
        assert stranger.json() == []
    async with make_gateway(auth_proxy_header="X-Forwarded-Email") as untrusted:
        # Without a trusted peer list the header is ignored: anonymous, so 401.
        r = await untrusted.http.get("/projects", headers={"X-Forwarded-Email": "a@example.com"})
        assert r.status_code == 401
        assert r.json()["detail"] == "Authentication required"


def outward_address() -> str:
    """This machine's address on its default route (a UDP connect sends no packet)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("10.255.255.255", 1))
        address = str(sock.getsockname()[0])
    assert not address.startswith("127."), "the test needs a non-loopback interface"
    return address


@contextlib.asynccontextmanager
async def serve_on(app: object, host: str) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_config=None, lifespan="on")  # type: ignore[arg-type]
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done()
        await asyncio.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await task


async def test_local_mode_refuses_anonymous_requests_beyond_loopback(
    make_gateway: Factory,
) -> None:
    async with make_gateway(auth_required=False, auth_jwt_keys={}) as gw:
        settings = gw.settings
    address = outward_address()
    app = build_app(settings)
    async with serve_on(app, address) as url, httpx.AsyncClient(base_url=url) as http:
        r = await http.get("/projects")
        assert r.status_code == 401
        assert "loopback" in r.json()["detail"]
        assert (await http.get("/health/live")).status_code == 200
    allowed = build_app(settings.model_copy(update={"auth_allow_remote_anonymous": True}))
    async with serve_on(allowed, address) as url, httpx.AsyncClient(base_url=url) as http:
        assert (await http.get("/projects")).status_code == 200


def test_studio_refuses_a_public_bind_without_auth() -> None:
    assert insecure_bind("127.0.0.1", {}) is None
    assert insecure_bind("::1", {}) is None
    refusal = insecure_bind("0.0.0.0", {})
    assert refusal is not None
    assert "AUTH_REQUIRED" in refusal
    assert insecure_bind("0.0.0.0", {"AUTH_REQUIRED": "true"}) is None
    assert insecure_bind("0.0.0.0", {"AUTH_ALLOW_REMOTE_ANONYMOUS": "1"}) is None


def test_auth_required_without_signing_keys_refuses_to_start(tmp_path: Path) -> None:
    settings = GatewaySettings(auth_required=True, media_root=tmp_path)
    with pytest.raises(KeyConfigError, match="no signing keys"):
        build_app(settings)
    weak = GatewaySettings(auth_required=True, media_root=tmp_path, auth_jwt_keys={"k": "short"})
    with pytest.raises(KeyConfigError, match="shorter than 32"):
        build_app(weak)
