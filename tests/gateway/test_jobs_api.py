"""The job routes: what is accepted and queued, what is refused with nothing queued, cancelling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.state import GatewayState
from tests.gateway.conftest import Gateway


def state_of(gateway: Gateway) -> GatewayState:
    state: GatewayState = gateway.app.state.gateway
    return state


async def queued_messages(gateway: Gateway) -> int:
    state = state_of(gateway)
    return await state.queue.depth(state.queue.jobs_queue)


async def job_count(gateway: Gateway) -> int:
    return await state_of(gateway).jobs.collection.count_documents({})


SOON = (datetime.now(UTC) + timedelta(days=1)).isoformat()
PAST = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"topic": ""}, "topic"),
        ({"topic": "  ab  "}, "at least 3 characters"),
        ({"topic": "x" * 501}, "topic"),
        ({"topic": "Tides", "target_duration": 5}, "target_duration"),
        ({"topic": "Tides", "target_duration": 601}, "target_duration"),
        ({"topic": "Tides", "schedule_time": PAST}, "must be in the future"),
        ({"topic": "Tides", "schedule_time": "2030-01-02T10:00:00"}, "give a time zone"),
        ({"topic": "Tides", "auto_publish": True}, "auto_publish: name the channel_id"),
        ({"topic": "Tides", "voice": "darth"}, "voice"),
        ({"topic": "Tides", "colour": "red"}, "colour"),
        ({"topic": "a\u0000b"}, "NUL"),
    ],
)
async def test_bad_generate_requests_are_422_and_queue_nothing(
    gateway: Gateway, body: dict[str, Any], fragment: str
) -> None:
    response = await gateway.http.post("/api/v1/videos/generate", json=body)
    assert response.status_code == 422, response.text
    assert fragment in response.json()["detail"]
    assert (await gateway.count(), await job_count(gateway), await queued_messages(gateway)) == (
        0,
        0,
        0,
    )


async def test_a_batch_over_100_is_422_and_queues_nothing(gateway: Gateway) -> None:
    topics = [f"Topic number {i}" for i in range(101)]
    response = await gateway.http.post("/api/v1/videos/generate-batch", json={"topics": topics})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("topics:")
    assert (await gateway.count(), await job_count(gateway)) == (0, 0)


async def test_a_generate_request_is_queued_with_its_place(gateway: Gateway) -> None:
    first = await gateway.http.post(
        "/api/v1/videos/generate", json={"topic": "Morning habits of the Stoics"}
    )
    assert first.status_code == 202, first.text
    body = first.json()
    assert (body["status"], body["queue_position"]) == ("queued", 0)
    assert body["job"]["stages"] == ["script", "audio", "images", "render"]
    project = (await gateway.http.get(f"/projects/{body['video_id']}")).json()
    assert (project["title"], project["video_job_id"]) == (
        "Morning habits of the Stoics",
        body["job_id"],
    )
    second = (
        await gateway.http.post("/api/v1/videos/generate", json={"topic": "Tides and moons"})
    ).json()
    assert second["queue_position"] == 1
    assert await queued_messages(gateway) == 2
    listed = (await gateway.http.get("/api/v1/jobs", params={"status": "queued"})).json()
    assert listed["total"] == 2
    assert {job["id"] for job in listed["items"]} == {body["job_id"], second["job_id"]}
    alias = await gateway.http.get(f"/api/v1/ai/jobs/{body['job_id']}/status")
    assert alias.json()["id"] == body["job_id"]


async def test_a_scheduled_job_waits_for_its_time_outside_the_queue(gateway: Gateway) -> None:
    response = await gateway.http.post(
        "/api/v1/videos/generate", json={"topic": "Tides", "schedule_time": SOON}
    )
    assert response.status_code == 202
    job = response.json()["job"]
    assert (job["status"], job["stage"]) == ("queued", "scheduled")
    assert job["estimated_start"][:16] == SOON[:16]
    assert await queued_messages(gateway) == 0


async def test_cancelling_a_queued_job_frees_the_project(gateway: Gateway) -> None:
    body = (await gateway.http.post("/api/v1/videos/generate", json={"topic": "Tides"})).json()
    job_id, project_id = body["job_id"], body["video_id"]
    cancelled = await gateway.http.delete(f"/api/v1/jobs/{job_id}")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    again = await gateway.http.delete(f"/api/v1/jobs/{job_id}")
    assert again.status_code == 409
    assert again.json()["detail"] == f"Job {job_id} has already ended (cancelled)"
    project = (await gateway.http.get(f"/projects/{project_id}")).json()
    assert project["video_error"]["reason"] == "cancelled"
    # Freed: a new job on the same project is accepted.
    retried = await gateway.http.post(f"/api/v1/videos/{project_id}/retry")
    assert retried.status_code == 202, retried.text
    assert retried.json()["stages"] == ["script", "audio", "images", "render"]
    refused = await gateway.http.delete("/api/v1/jobs/nope")
    assert (refused.status_code, refused.json()["detail"]) == (404, "Job not found: nope")


async def test_retry_needs_a_failed_job(gateway: Gateway) -> None:
    project = (await gateway.http.post("/projects", json={"title": "fresh"})).json()
    response = await gateway.http.post(f"/api/v1/videos/{project['id']}/retry")
    assert response.status_code == 409
    assert response.json()["detail"] == "Nothing to retry: the project's last job did not fail"
