"""Property-based requests over the gateway's whole OpenAPI document: none may end in a 5xx.

The stack runs as `studio up` would run it (gateway and the four real services, so a 503 can
only mean a bug), against the test session's database. Bounded: derandomized examples.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Ok

from tests.support import free_block, free_port, wait_until_ready

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STUDIO = str(Path(sys.executable).with_name("studio"))
EXAMPLES_PER_OPERATION = 12


@pytest.fixture(scope="module")
def stack_url(mongo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port, data = free_block(6), tmp_path_factory.mktemp("schemathesis")
    env = {**os.environ, "MONGODB_URL": mongo_url, "MONGODB_DB": f"fuzz_{uuid.uuid4().hex[:8]}"}
    proc = subprocess.Popen(
        [STUDIO, "up", "--port", str(port), "--mongo-port", str(free_port()),
         "--data-dir", str(data)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, proc)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(40)


def test_no_request_the_schema_allows_ends_in_a_server_error(stack_url: str) -> None:
    schema = schemathesis.openapi.from_url(f"{stack_url}/openapi.json")
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    assert len(operations) > 60
    failures: list[str] = []
    seen: set[str] = set()

    @settings(
        max_examples=EXAMPLES_PER_OPERATION * len(operations),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=schema.as_strategy())
    def check(case: schemathesis.Case[Any]) -> None:
        seen.add(f"{case.method} {case.path}")
        response = case.call(base_url=stack_url, timeout=120)
        if response.status_code >= 500:
            failures.append(
                f"{case.method} {case.formatted_path} -> {response.status_code}: "
                f"{response.text[:200]}"
            )

    check()
    assert failures == []
    # Every operation was exercised, not just a lucky few.
    assert len(seen) >= 0.9 * len(operations), sorted(seen)
