"""Jobs under faults, with every part a real process: Redis, the four services, the gateway and
Celery prefork workers (tests/processes.py), on the session's MongoDB.

The sweep is called from the test (every second, on the same database and queues as the stack)
rather than by a beat process: the same code beat runs, on a clock the test controls, and one
process fewer on a 2-core machine; beat's own scheduling is covered by tests/test_studio_up.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.jobs.sweep import sweep
from gateway.state import GatewayState, close_state, open_state
from runtime.probe import probe
from tests.processes import SERVICE_TOKEN, ProcessStack, balancer, ready_project
from tests.support import serve

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WAIT = 120.0  # every wait for a job is bounded by this
Factory = Callable[..., Awaitable[tuple[ProcessStack, GatewayState]]]


@pytest.fixture
async def make_stack(mongo_url: str, tmp_path: Path) -> AsyncIterator[Factory]:
    """Builds a ProcessStack (started with `workers` workers) and a GatewayState on its
    settings in this process; a sweeper runs the sweep every second. Everything is stopped,
    processes first, whatever the test's outcome."""
    stacks: list[ProcessStack] = []
    states: list[GatewayState] = []
    sweepers: list[asyncio.Task[None]] = []

    async def sweeper(state: GatewayState) -> None:
        while True:
            await asyncio.sleep(1.0)
            with contextlib.suppress(Exception):  # Redis or the database may be down on purpose
                await sweep(state)

    async def make(workers: int = 1, **options: Any) -> tuple[ProcessStack, GatewayState]:
        stack = ProcessStack(tmp_path / f"stack{len(stacks)}", mongo_url, **options)
        stacks.append(stack)
        await asyncio.to_thread(stack.start, workers)
        state = await open_state(stack.settings, SERVICE_TOKEN, None)
        states.append(state)
        sweepers.append(asyncio.create_task(sweeper(state)))
        return stack, state

    try:
        yield make
    finally:
        for task in sweepers:
            task.cancel()
        for stack in stacks:
            await asyncio.to_thread(stack.close)
        for state in states:
            with contextlib.suppress(Exception):
                await state.db.client.drop_database(state.settings.mongodb_db)
            await close_state(state)


async def job_of(http: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    answer = await http.get(f"/api/v1/jobs/{job_id}")
    assert answer.status_code == 200, answer.text
    job: dict[str, Any] = answer.json()
    return job


async def until(
    check: Callable[[], Awaitable[Any]], what: str, stack: ProcessStack, timeout: float = WAIT
) -> Any:
    """Poll `check` until it returns something truthy; fail with every process's log if not."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(httpx.TransportError):
            if value := await check():
                return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{stack.logs()}")
        await asyncio.sleep(0.2)


async def ended(http: httpx.AsyncClient, job_id: str, stack: ProcessStack) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        job = await job_of(http, job_id)
        return job if job["status"] in ("done", "failed", "cancelled") else None

    job: dict[str, Any] = await until(check, f"job {job_id} to end", stack)
    return job


async def assert_complete_video(
    http: httpx.AsyncClient, project_id: str, job: dict[str, Any], tmp: Path
) -> None:
    """The project agrees with its finished job and points at a whole, playable video."""
    assert job["status"] == "done", job
    project = (await http.get(f"/projects/{project_id}")).json()
    assert project["status"] == "video_ready", project
    assert project["video_url"] == job["result"]["video_url"]
    media = await http.get(project["video_url"])
    assert media.status_code == 200
    path = tmp / f"{job['id']}.mp4"
    path.write_bytes(media.content)
    info = probe(path)
    video = info.first("video")
    assert video is not None
    assert (video.width, video.height) == (1280, 720)
    assert info.first("audio") is not None
    assert abs(info.duration - project["duration"]) < 0.1
    assert info.duration > 3


async def render(http: httpx.AsyncClient, project_id: str) -> str:
    started = await http.post(f"/projects/{project_id}/generate-video", json={})
    assert started.status_code == 202, started.text
    return str(started.json()["job_id"])


async def test_a_worker_killed_mid_render_is_taken_over_and_the_job_finishes(
    make_stack: Factory, tmp_path: Path
) -> None:
    stack, _state = await make_stack(workers=1)
    async with httpx.AsyncClient(base_url=stack.base, timeout=120) as http:
        pid = await ready_project(http)
        job_id = await render(http, pid)
        video = httpx.AsyncClient(
            base_url=stack.video_url, headers={"Authorization": f"Bearer {SERVICE_TOKEN}"}
        )
        async with video:

            async def rendering() -> bool:
                # The video service has the render: the worker is in the middle of it.
                return (await video.get(f"/renders/{job_id}-1")).status_code == 200

            await until(rendering, "the render to start", stack)
        stack.workers["w1"].kill9()
        assert (await job_of(http, job_id))["status"] == "running"
        await asyncio.to_thread(stack.start_worker, "w2")
        job = await ended(http, job_id, stack)
        # Taken over (a second execution), not run from a message redelivered hours later.
        assert job["attempts"] == 2, job
        await assert_complete_video(http, pid, job, tmp_path)


async def test_a_gateway_restart_mid_pipeline_leaves_the_job_running(
    make_stack: Factory, tmp_path: Path
) -> None:
    stack, state = await make_stack(workers=1)
    async with httpx.AsyncClient(base_url=stack.base, timeout=120) as http:
        accepted = await http.post(
            "/api/v1/videos/generate",
            json={"topic": "Why rivers bend", "target_duration": 10, "resolution": "720p"},
        )
        assert accepted.status_code == 202, accepted.text
        job_id, pid = accepted.json()["job_id"], accepted.json()["video_id"]

        async def running() -> bool:
            return bool((await job_of(http, job_id))["status"] == "running")

        await until(running, "the pipeline to start", stack)
        assert stack.gateway is not None
        stack.gateway.stop()
        # No web process: the worker goes on, as the database shows.
        doc = await state.jobs.doc(job_id)
        stages_seen = {doc["stage"]}
        for _ in range(20):
            await asyncio.sleep(0.25)
            stages_seen.add((await state.jobs.doc(job_id))["stage"])
        assert len(stages_seen) > 1 or doc["status"] == "done", stages_seen
        await asyncio.to_thread(stack.start_gateway)
        job = await ended(http, job_id, stack)
        assert job["attempts"] == 1, job
        project = (await http.get(f"/projects/{pid}")).json()
        assert project["status"] == "video_ready", project
        assert job["status"] == "done"
        media = await http.get(project["video_url"])
        (tmp_path / "pipeline.mp4").write_bytes(media.content)
        assert probe(tmp_path / "pipeline.mp4").first("video") is not None


async def test_jobs_queued_before_a_redis_restart_run_once_a_worker_comes(
    make_stack: Factory, tmp_path: Path
) -> None:
    stack, state = await make_stack(workers=0)
    async with httpx.AsyncClient(base_url=stack.base, timeout=120) as http:
        projects = [await ready_project(http, f"queued {i}") for i in range(2)]
        jobs = [await render(http, pid) for pid in projects]
        queue = state.queue
        assert await queue.depth(queue.jobs_queue) == 2
        assert stack.redis is not None
        stack.redis.stop()  # SIGTERM: Redis writes its append-only file and exits
        await asyncio.to_thread(stack.start_redis)  # same port, same data folder
        assert await queue.depth(queue.jobs_queue) == 2
        for job_id in jobs:
            assert (await job_of(http, job_id))["status"] == "queued"
        await asyncio.to_thread(stack.start_worker, "w1")
        for pid, job_id in zip(projects, jobs, strict=True):
            job = await ended(http, job_id, stack)
            await assert_complete_video(http, pid, job, tmp_path)
        ready = await http.get("/health/ready")
        assert ready.json()["components"]["redis"]["status"] == "ok"


async def test_two_workers_and_two_video_instances_share_four_jobs_each_run_once(
    make_stack: Factory, tmp_path: Path
) -> None:
    renders: list[str] = []
    started: list[str] = []
    # The gateway and the workers name the balancer (VIDEO_SERVICE_URL); it listens before any
    # worker starts.
    stack, _state = await make_stack(workers=0, video_instances=2)
    targets = [f"http://127.0.0.1:{port}" for port in stack.video_ports]
    port = int(stack.video_url.rsplit(":", 1)[1])
    async with serve(balancer(targets, renders), port):
        for name in ("w1", "w2"):
            await asyncio.to_thread(stack.start_worker, name)
        async with httpx.AsyncClient(base_url=stack.base, timeout=120) as http:
            projects = [await ready_project(http, f"spread {i}") for i in range(4)]
            jobs = {await render(http, pid): pid for pid in projects}
            for job_id, pid in jobs.items():
                job = await ended(http, job_id, stack)
                await assert_complete_video(http, pid, job, tmp_path)
                assert job["attempts"] == 1, job
                started.append(str(job["task_id"]))
    # Which worker ran which job: each worker's log names the task ids it received.
    ran = {
        name: {t for t in started if f"[{t}] received" in proc.output()}
        for name, proc in stack.workers.items()
    }
    assert ran["w1"], ran
    assert ran["w2"], ran
    assert ran["w1"].isdisjoint(ran["w2"])
    assert ran["w1"] | ran["w2"] == set(started)
    # One render per job, each the job's first attempt: none ran twice to completion.
    assert sorted(renders) == sorted(f"{job_id}-1" for job_id in jobs), renders


async def test_a_render_waits_while_the_video_service_is_down(
    make_stack: Factory, tmp_path: Path
) -> None:
    stack, _state = await make_stack(workers=1)
    async with httpx.AsyncClient(base_url=stack.base, timeout=120) as http:
        pid = await ready_project(http)
        stack.services["video"].stop()
        job_id = await render(http, pid)

        async def waiting() -> dict[str, Any] | None:
            job = await job_of(http, job_id)
            return job if job["stage"].startswith("waiting:") else None

        job = await until(waiting, "the job to wait for the video service", stack)
        assert job["status"] == "queued"
        assert "video service" in job["stage"]
        await asyncio.sleep(3)
        assert (await job_of(http, job_id))["status"] in ("queued", "running")
        assert (await http.get(f"/projects/{pid}")).json()["status"] == "video_processing"
        await asyncio.to_thread(stack.start_service, "video")
        job = await ended(http, job_id, stack)
        await assert_complete_video(http, pid, job, tmp_path)


async def test_one_render_per_project_a_second_is_409_naming_the_first(
    make_stack: Factory, tmp_path: Path
) -> None:
    stack, _state = await make_stack(workers=0)
    async with httpx.AsyncClient(base_url=stack.base, timeout=120) as http:
        pid = await ready_project(http)
        job_id = await render(http, pid)
        for holder_status in ("queued", "running"):
            before = (await http.get(f"/projects/{pid}")).json()
            refused = await http.post(f"/projects/{pid}/generate-video", json={})
            assert refused.status_code == 409, refused.text
            body = refused.json()
            assert job_id in body["detail"] or body["error"]["details"]["job"]["id"] == job_id
            assert body["error"]["details"]["job"]["id"] == job_id
            assert body["error"]["details"]["job"]["status"] == holder_status
            assert (await http.get(f"/projects/{pid}")).json() == before
            if holder_status == "queued":
                await asyncio.to_thread(stack.start_worker, "w1")

                async def running() -> bool:
                    return bool((await job_of(http, job_id))["status"] == "running")

                await until(running, "the render to start", stack)
        listed = (await http.get("/api/v1/jobs", params={"project_id": pid})).json()
        assert [j["id"] for j in listed["items"]] == [job_id]
        job = await ended(http, job_id, stack)
        await assert_complete_video(http, pid, job, tmp_path)


async def test_the_sweep_repairs_a_project_whose_final_write_did_not_land(
    make_stack: Factory,
) -> None:
    stack, state = await make_stack(workers=0)
    async with httpx.AsyncClient(base_url=stack.base, timeout=120) as http:
        pid = await ready_project(http)
        job_id = await render(http, pid)
        assert (await http.get(f"/projects/{pid}")).json()["status"] == "video_processing"
        # As a worker dying between its two final writes leaves it: the job ended in the store,
        # the project still held by it with the old status.
        outcome = {"status": "video_ready", "duration": 8.0, "video_render_seconds": 1.0}
        ended_doc = await state.jobs.finish(
            job_id, None, "done", stage="done", percent=100.0, result=outcome,
            _apply={**outcome, "video_error": None},
        )  # fmt: skip
        assert ended_doc is not None

        async def repaired() -> bool:
            project = (await http.get(f"/projects/{pid}")).json()
            return bool(project["status"] == "video_ready")

        await until(repaired, "the sweep to repair the project", stack, timeout=30)
        project = (await http.get(f"/projects/{pid}")).json()
        assert project["duration"] == 8.0
        assert (await state.projects.locked()) == []
        # Free again: a new render is accepted.
        assert (await http.post(f"/projects/{pid}/generate-video", json={})).status_code == 202
