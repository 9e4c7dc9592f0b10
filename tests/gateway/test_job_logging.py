"""A render job's outcome is logged once, at its level, by the worker that ran it: a failure the
video service reported is one WARNING with the reason, an unexpected exception one ERROR with
its traceback, and asyncio never reports "Task exception was never retrieved"."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import respx
from respx.patterns import M

from tests.gateway.conftest import Gateway
from tests.support import job_worker

SERVICES = "http://127.0.0.1:9"
READY = {
    "title": "Tides",
    "images": [{"prompt": "a boat", "url": "http://media.test/media/images/a/0.png"}],
    "audio_key": "audio/a/narration.mp3",
}
REASON = "The video service failed (status 500)"


@pytest.fixture(autouse=True)
def services(gateway: Gateway) -> Iterator[respx.MockRouter]:
    # respx patches httpx in this process, where the test's worker runs too.
    with (
        respx.mock(base_url=SERVICES, assert_all_called=False) as mock,
        job_worker(gateway.settings),
    ):
        mock.route(~M(port=9)).pass_through()
        mock.get(url__regex=r"/renders/").respond(404, json={"detail": "Render not found"})
        yield mock


async def settled(gateway: Gateway, job_id: str) -> dict[str, Any]:
    """The job once it has ended, after any task left behind has been collected."""
    for _ in range(200):
        job: dict[str, Any] = (await gateway.http.get(f"/jobs/{job_id}")).json()
        if job["status"] in ("done", "failed"):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)
    gc.collect()  # where asyncio reports a task whose exception nobody retrieved
    await asyncio.sleep(0)
    return job


def outcome_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The gateway's warnings and errors, but the service client's own note of the answer."""
    return [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING
        and r.name.startswith("gateway")
        and r.name != "gateway.clients"
    ]


async def test_a_render_the_service_failed_is_one_warning_with_the_reason(
    gateway: Gateway, services: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    services.post("/render").respond(500, text="Traceback: ffmpeg exploded")
    project = (await gateway.http.post("/projects", json=READY)).json()
    started = await gateway.http.post(f"/projects/{project['id']}/generate-video", json={})
    assert started.status_code == 202
    job = await settled(gateway, started.json()["job_id"])
    assert (job["status"], job["reason"]) == ("failed", REASON)
    [record] = outcome_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.getMessage() == f"job {job['id']} failed at render: {REASON}"
    assert record.exc_info is None


async def test_a_synchronous_render_failure_is_logged_once_too(
    gateway: Gateway, services: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    services.post("/render").respond(500)
    project = (await gateway.http.post("/projects", json=READY)).json()
    response = await gateway.http.post(f"/video/{project['id']}", json={}, timeout=60)
    assert response.status_code == 502
    assert response.json()["detail"] == "The video service failed (status 500)"
    job_id = (await gateway.http.get(f"/projects/{project['id']}")).json()["video_job_id"]
    await settled(gateway, job_id)
    [record] = outcome_records(caplog)
    assert record.getMessage() == f"job {job_id} failed at render: {REASON}"


async def test_an_unexpected_exception_is_one_error_with_its_traceback(
    gateway: Gateway, services: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    services.post("/render").mock(side_effect=RuntimeError("a bug in the gateway"))
    project = (await gateway.http.post("/projects", json=READY)).json()
    response = await gateway.http.post(f"/video/{project['id']}", json={}, timeout=60)
    assert response.status_code == 500
    assert response.json()["detail"] == "Internal error in the worker"
    job_id = (await gateway.http.get(f"/projects/{project['id']}")).json()["video_job_id"]
    job = await settled(gateway, job_id)
    assert (job["status"], job["reason"]) == ("failed", "Internal error in the worker")
    [record] = outcome_records(caplog)
    assert record.levelno == logging.ERROR
    assert record.getMessage() == f"job {job_id} failed"
    assert record.exc_info is not None
    assert "a bug in the gateway" in str(record.exc_info[1])
