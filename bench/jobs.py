"""Bursts of topic-to-video jobs through the real stack (every part its own process).

    .venv/bin/python -m bench.jobs [--jobs 100] [--no-scale-out]

Burst: `--jobs` `POST /api/v1/videos/generate` at once (target_duration 10, 720p), with one
worker (prefork, one child) and one video service: accept latency p50/p99 and the slowest,
the gateway's RSS before and after the burst, and the time until every job is done (none lost;
how many started out of submission order). Scale-out: the same burst again with two video
service instances (behind tests/processes.py's balancer) and two workers, and the ratio of the
drain times (on a shared 2-core machine it is not 2: the services, workers and the embedded
database share the same cores).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from studio.mongo import start_embedded
from tests.processes import ProcessStack, balancer
from tests.support import free_port, serve

DRAIN_TIMEOUT = 3600.0
BODY = {"topic": "Why rivers bend", "target_duration": 10, "resolution": "720p"}


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 1e6


async def burst(stack: ProcessStack, jobs: int) -> dict[str, float]:
    assert stack.gateway is not None
    async with httpx.AsyncClient(
        base_url=stack.base, timeout=120, limits=httpx.Limits(max_connections=jobs)
    ) as http:
        await http.get("/health/live")
        before = rss_mb(stack.gateway.pid)

        async def one(index: int) -> tuple[float, str]:
            began = time.perf_counter()
            answer = await http.post("/api/v1/videos/generate", json=BODY)
            assert answer.status_code == 202, answer.text
            return time.perf_counter() - began, str(answer.json()["job_id"])

        started = time.perf_counter()
        results = await asyncio.gather(*(one(i) for i in range(jobs)))
        accepted_all = time.perf_counter() - started
        after = rss_mb(stack.gateway.pid)
        latencies = sorted(r[0] for r in results)
        ids = [r[1] for r in results]
        done: dict[str, dict[str, object]] = {}
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while len(done) < jobs:
            assert time.monotonic() < deadline, "the burst did not drain"
            page = (await http.get("/api/v1/jobs", params={"status": "done", "limit": 100})).json()
            for page_no in range(2, (page["total"] + 99) // 100 + 1):
                more = await http.get(
                    "/api/v1/jobs", params={"status": "done", "limit": 100, "page": page_no}
                )
                page["items"] += more.json()["items"]
            done = {j["id"]: j for j in page["items"]}
            failed = (await http.get("/api/v1/jobs", params={"status": "failed"})).json()
            assert failed["total"] == 0, failed["items"][:1]
            await asyncio.sleep(1)
        drained = time.perf_counter() - started
        lost = len(set(ids) - set(done))
        # Jobs are accepted concurrently; order them by creation time and count the started-
        # before-an-earlier-one inversions of their first start.
        by_created = sorted(ids, key=lambda i: str(done[i]["createdAt"]))
        starts = [str(done[i]["startedAt"]) for i in by_created]
        out_of_order = sum(1 for a, b in itertools.pairwise(starts) if b < a)
    return {
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "max": latencies[-1],
        "accepted_all": accepted_all,
        "rss_before": before,
        "rss_after": after,
        "drain": drained,
        "lost": lost,
        "out_of_order": out_of_order,
    }


async def run(root: Path, mongo_url: str, jobs: int, scale: int) -> dict[str, float]:
    stack = ProcessStack(root / f"x{scale}", mongo_url, lease=30, video_instances=scale)
    try:
        await asyncio.to_thread(stack.start, 0)
        targets = [f"http://127.0.0.1:{port}" for port in stack.video_ports]
        if scale == 1:
            for number in range(1, scale + 1):
                await asyncio.to_thread(stack.start_worker, f"w{number}")
            return await burst(stack, jobs)
        port = int(stack.video_url.rsplit(":", 1)[1])
        async with serve(balancer(targets), port):
            for number in range(1, scale + 1):
                await asyncio.to_thread(stack.start_worker, f"w{number}")
            return await burst(stack, jobs)
    finally:
        await asyncio.to_thread(stack.close)


def show(label: str, figures: dict[str, float]) -> None:
    print(
        f"{label}: accept p50 {figures['p50'] * 1000:.0f} ms, p99 {figures['p99'] * 1000:.0f} ms, "
        f"slowest {figures['max'] * 1000:.0f} ms, all accepted in {figures['accepted_all']:.2f} s; "
        f"gateway RSS {figures['rss_before']:.0f} -> {figures['rss_after']:.0f} MB; "
        f"drained in {figures['drain']:.1f} s ({figures['drain'] / max(1, jobs_run):.1f} s/job), "
        f"lost {figures['lost']:.0f}, started out of order {figures['out_of_order']:.0f}",
        flush=True,
    )


jobs_run = 0


async def main() -> None:
    global jobs_run
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--no-scale-out", action="store_true")
    args = parser.parse_args()
    jobs_run = args.jobs
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        proc, mongo_url = start_embedded(root / "mongo", "127.0.0.1", free_port())
        try:
            one = await run(root, mongo_url, args.jobs, 1)
            show(f"burst of {args.jobs}, 1 worker + 1 video service", one)
            if not args.no_scale_out:
                two = await run(root, mongo_url, args.jobs, 2)
                show(f"burst of {args.jobs}, 2 workers + 2 video services", two)
                print(f"scale-out: drain {one['drain']:.1f} s -> {two['drain']:.1f} s, "
                      f"{one['drain'] / two['drain']:.2f}x")  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    asyncio.run(main())
