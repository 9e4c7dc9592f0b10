from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support.gateway import (
    GATEWAY_SERVICE_TOKEN,
    Gateway,
    SharedGateway,
    gateway_settings,
    shared_gateway,
)

__all__ = ["GATEWAY_SERVICE_TOKEN", "Gateway", "gateway_settings"]


@pytest.fixture(scope="module")
async def gateway_of_module(
    mongo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SharedGateway]:
    settings = gateway_settings(mongo_url, tmp_path_factory.mktemp("media"))
    async with shared_gateway(settings) as shared:
        yield shared


@pytest.fixture
async def gateway(gateway_of_module: SharedGateway) -> AsyncIterator[Gateway]:
    """The gateway over real TCP, as freshly started: empty database, queues and media."""
    shared = gateway_of_module
    await shared.reset()
    async with httpx.AsyncClient(base_url=shared.url) as http:
        yield Gateway(shared.url, http, shared.settings, shared.app)
