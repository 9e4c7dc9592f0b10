"""A user's own AI job (no project) in the job machinery: cancelled by its owner, taken over by
the sweep when its worker goes quiet, failed after too many tries, never touching a project."""

from __future__ import annotations

import time

from gateway.jobs.steps import run_job
from gateway.jobs.sweep import sweep
from gateway.state import GatewayState
from tests.gateway.conftest import Gateway


def state_of(gateway: Gateway) -> GatewayState:
    state: GatewayState = gateway.app.state.gateway
    return state


async def queue_music(gateway: Gateway) -> str:
    r = await gateway.http.post(
        "/api/v1/ai/music-generate", json={"prompt": "Calm piano", "duration": 5}
    )
    assert r.status_code == 202, r.text
    job_id: str = r.json()["jobId"]
    return job_id


async def test_an_own_job_is_cancelled_without_a_project(gateway: Gateway) -> None:
    job_id = await queue_music(gateway)
    status = (await gateway.http.get(f"/api/v1/ai/jobs/{job_id}/status")).json()
    assert (status["status"], status["type"], status["projectId"]) == (
        "queued",
        "music_generation",
        None,
    )
    assert status["queue_position"] == 0
    cancelled = await gateway.http.delete(f"/api/v1/jobs/{job_id}")
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["project_id"]) == ("cancelled", None)
    again = await gateway.http.delete(f"/api/v1/jobs/{job_id}")
    assert again.status_code == 409
    assert again.json()["detail"] == f"Job {job_id} has already ended (cancelled)"
    status = (await gateway.http.get(f"/api/v1/ai/jobs/{job_id}/status")).json()
    assert status["status"] == "cancelled"
    # Its message, delivered late, does nothing.
    assert (await run_job(state_of(gateway), job_id, "late:1")).wait is None
    assert (await state_of(gateway).jobs.doc(job_id))["status"] == "cancelled"
    assert await gateway.count() == 0


async def test_the_sweep_takes_over_a_quiet_own_job_then_gives_up(gateway: Gateway) -> None:
    state = state_of(gateway)
    job_id = await queue_music(gateway)
    quiet = time.time() - state.settings.job_lease_seconds - 5
    await state.jobs.set(job_id, status="running", _lease="dead:1", _hb=quiet, attempts=1)
    counts = await sweep(state)
    assert counts["taken_over"] == 1
    doc = await state.jobs.doc(job_id)
    assert (doc["status"], doc["_lease"]) == ("queued", None)
    await state.jobs.set(
        job_id,
        status="running",
        _lease="dead:2",
        _hb=quiet,
        attempts=state.settings.job_max_attempts,
    )
    await sweep(state)
    status = (await gateway.http.get(f"/api/v1/ai/jobs/{job_id}/status")).json()
    assert status["status"] == "failed"
    assert status["error"].startswith("Its worker stopped")
    assert await gateway.count() == 0


async def test_a_music_job_whose_service_is_down_waits_instead_of_failing(
    gateway: Gateway,
) -> None:
    # Nothing listens where this gateway looks for the video service: 503, a busy service.
    state = state_of(gateway)
    job_id = await queue_music(gateway)
    outcome = await run_job(state, job_id, "w:1")
    assert outcome.wait is not None
    doc = await state.jobs.doc(job_id)
    assert (doc["status"], doc["attempts"]) == ("queued", 0)
    assert doc["stage"].startswith("waiting: ")


async def test_a_job_run_again_keeps_the_file_its_first_run_made(gateway: Gateway) -> None:
    # Its first run got the service's answer and died before the end: the answer was kept.
    state = state_of(gateway)
    job_id = await queue_music(gateway)
    key = "music/first-run/track.mp3"
    await state.storage.put_bytes(key, b"ID3 first run", "audio/mpeg")
    made = {
        "audio_key": key,
        "duration": 5.0,
        "mood": "soft",
        "genre": None,
        "provider": "synth",
        "synthesised": True,
        "description": "Synthesised offline",
    }
    await state.jobs.set(job_id, _made=made)
    # The video service is unreachable: only the kept answer can finish the job.
    assert (await run_job(state, job_id, "w:2")).wait is None
    status = (await gateway.http.get(f"/api/v1/ai/jobs/{job_id}/status")).json()
    assert status["status"] == "completed", status
    assert status["result"]["audio_key"] == key
    entries = await state.library.entries.count_documents({"key": key})
    assert entries == 1
