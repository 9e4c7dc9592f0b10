"""Helpers for the tests: servers, the gateway under test, jobs, media fixtures' files."""

from tests.support.jobs import job_worker
from tests.support.servers import (
    embedded_mongo,
    embedded_redis,
    free_port,
    serve,
    wait_until_ready,
)

__all__ = [
    "embedded_mongo",
    "embedded_redis",
    "free_port",
    "job_worker",
    "serve",
    "wait_until_ready",
]
