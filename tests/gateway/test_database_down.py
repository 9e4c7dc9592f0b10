"""A database that stops answering: 503 with Retry-After on every route, the auth middleware's
rate limiting included, and a readiness probe that says it is the database, quickly."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from gateway.app import build_app
from gateway.settings import GatewaySettings
from tests.auth.conftest import PASSWORD, auth_settings
from tests.gateway.conftest import gateway_settings
from tests.support import embedded_mongo, serve

DETAIL = "The database is unavailable; try again shortly"
TIMEOUT = 0.5  # seconds the gateway waits for the database (mongodb_timeout_seconds)


@contextlib.asynccontextmanager
async def gateway_losing_its_database(
    tmp_path: Path, settings_for: type[GatewaySettings] | None = None, **kwargs: object
) -> AsyncIterator[tuple[httpx.AsyncClient, contextlib.ExitStack]]:
    """A gateway on its own nx-27017; closing the yielded stack stops that database."""
    with contextlib.ExitStack() as database:
        url = database.enter_context(embedded_mongo(tmp_path / "db"))
        make = auth_settings if kwargs.pop("auth", False) else gateway_settings
        settings = make(url, tmp_path / "media", mongodb_timeout_seconds=TIMEOUT, **kwargs)
        async with serve(build_app(settings)) as base, httpx.AsyncClient(base_url=base) as http:
            yield http, database


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["detail"] == DETAIL
    assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert response.headers["retry-after"] == "5"


async def test_every_route_answers_503_with_retry_after(tmp_path: Path) -> None:
    async with gateway_losing_its_database(tmp_path) as (http, database):
        project = (await http.post("/projects", json={"title": "before"})).json()
        database.close()
        for method, path, body in [
            ("GET", "/projects", None),
            ("POST", "/projects", {"title": "after"}),
            ("GET", f"/projects/{project['id']}", None),
            ("PATCH", f"/projects/{project['id']}", {"title": "changed"}),
            ("DELETE", f"/projects/{project['id']}", None),
            ("GET", "/api/v1/projects", None),
            ("POST", f"/video/{project['id']}", {}),
            ("GET", "/jobs/0123456789abcdef", None),
        ]:
            started = time.monotonic()
            response = await http.request(method, path, json=body)
            assert_unavailable(response)
            assert time.monotonic() - started < TIMEOUT * 10, path


async def test_the_auth_middleware_answers_503_too(tmp_path: Path) -> None:
    async with gateway_losing_its_database(tmp_path, auth=True) as (http, database):
        r = await http.post(
            "/api/v1/auth/register",
            json={"email": "down@example.com", "password": PASSWORD, "name": "down"},
        )
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        database.close()
        # A valid token needs no database, but counting the request against its limit does.
        assert_unavailable(await http.get("/api/v1/users/me", headers=headers))
        assert_unavailable(await http.get("/api/v1/plans"))  # public, counted by address
        assert_unavailable(await http.get("/projects", headers={"X-API-Key": "sk_" + "a" * 40}))


@pytest.mark.parametrize("auth", [False, True])
async def test_readiness_names_the_database_and_stays_fast(tmp_path: Path, auth: bool) -> None:
    async with gateway_losing_its_database(tmp_path, auth=auth) as (http, database):
        database.close()
        started = time.monotonic()
        response = await http.get("/health/ready")
        assert time.monotonic() - started < 4
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "unavailable"
        assert body["components"]["database"]["status"] == "down"
        assert body["components"]["storage"]["status"] == "ok"
