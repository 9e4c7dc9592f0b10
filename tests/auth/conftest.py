from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from respx.patterns import M

from gateway.app import build_app
from tests.support import serve
from tests.support.auth import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    KEY_A,
    KEY_B,
    PASSWORD,
    Account,
    AuthGateway,
    auth_settings,
)
from tests.support.gateway import SharedGateway, drop_database, shared_gateway

__all__ = [
    "ADMIN_EMAIL",
    "ADMIN_PASSWORD",
    "KEY_A",
    "KEY_B",
    "PASSWORD",
    "Account",
    "AuthGateway",
    "Factory",
    "auth_settings",
]

Factory = Callable[..., AbstractAsyncContextManager[AuthGateway]]


@pytest.fixture
async def make_gateway(mongo_url: str, tmp_path: Path) -> AsyncIterator[Factory]:
    """A gateway of its own per call, for tests that need settings of their own."""
    databases: list[str] = []

    @asynccontextmanager
    async def make(**overrides: Any) -> AsyncIterator[AuthGateway]:
        settings = auth_settings(mongo_url, tmp_path / "media", **overrides)
        databases.append(settings.mongodb_db)
        app = build_app(settings)
        async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
            yield AuthGateway(url, http, settings, app)

    yield make
    for name in set(databases):
        await drop_database(mongo_url, name)


@pytest.fixture
def services() -> Iterator[respx.MockRouter]:
    """Stand-ins for the services, at the address test gateways look for them (port 9)."""
    with respx.mock(base_url="http://127.0.0.1:9", assert_all_called=False) as mock:
        # respx patches every httpx client in the process: the test's own calls go through.
        mock.route(~M(port=9)).pass_through()
        yield mock


@pytest.fixture(scope="module")
async def gw_of_module(
    mongo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SharedGateway]:
    settings = auth_settings(mongo_url, tmp_path_factory.mktemp("media"))
    async with shared_gateway(settings) as shared:
        yield shared


@pytest.fixture
async def gw(gw_of_module: SharedGateway) -> AsyncIterator[AuthGateway]:
    """The auth-required gateway with default test settings, as freshly started."""
    shared = gw_of_module
    await shared.reset()
    async with httpx.AsyncClient(base_url=shared.url, timeout=30) as http:
        yield AuthGateway(shared.url, http, shared.settings, shared.app)
