"""Helpers for the tests: servers, the gateway under test, jobs, media fixtures' files."""

from tests.support.jobs import job_worker
from tests.support.servers import (
    embedded_mongo,
    embedded_redis,
    free_block,
    free_port,
    serve,
    served_in_thread,
    wait_until_ready,
)

__all__ = [
    "embedded_mongo",
    "embedded_redis",
    "free_block",
    "free_port",
    "job_worker",
    "serve",
    "served_in_thread",
    "wait_until_ready",
]
