from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.image.app import build_app
from services.image.settings import ImageSettings
from tests.support import serve
from tests.support.media import stored_files

Served = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    return tmp_path / "media"


@pytest.fixture
def image_service(media_root: Path) -> Served:
    """The image service built from settings overrides, served over real HTTP."""

    @asynccontextmanager
    async def run(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        values: dict[str, Any] = {
            "media_root": media_root,
            "image_http_backoff_seconds": 0.01,
            "image_http_max_backoff_seconds": 2.0,
            **overrides,
        }
        async with (
            serve(build_app(ImageSettings(**values))) as base,
            httpx.AsyncClient(base_url=base, timeout=60) as client,
        ):
            yield client

    return run


__all__ = ["Served", "stored_files"]
