"""Gateway read throughput against the raw driver, on the embedded database, in one run.

    .venv/bin/python -m bench.gateway [--seconds 10] [--connections 64]

Starts nx-27017 and the gateway (one uvicorn process, as `studio up` runs it), seeds 100 projects,
then measures from separate processes: the raw driver's `find_one` rate at the same concurrency,
`GET /projects/{id}` and `GET /projects`. Machines are shared and noisy: read the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from pymongo import AsyncMongoClient

from studio.mongo import start_embedded
from tests.support import free_port

PROJECT = {
    "title": "Benchmark project",
    "description": "A realistic project document of about one kilobyte. " * 4,
    "language": "en",
    "script_text": "Narration. " * 40,
    "images": [{"prompt": f"scene {i}", "url": None} for i in range(6)],
    "keywords": "stoicism, habits, morning",
}


async def driver_rate(url: str, db: str, ids: list[str], connections: int, seconds: float) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url, maxPoolSize=connections)
    collection = client[db].projects
    await collection.find_one({"_id": ids[0]})
    count = 0
    deadline = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        nonlocal count
        index = offset
        while time.perf_counter() < deadline:
            await collection.find_one({"_id": ids[index % len(ids)]})
            index += 1
            count += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(connections)))
    print(json.dumps({"rps": count / (time.perf_counter() - started)}))
    await client.close()


def run_json(argv: list[str]) -> dict[str, float]:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[2]} failed: {done.stderr.strip()[-2000:]}")
    out = done.stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def wait_http(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


@contextlib.contextmanager
def embedded_gateway(
    tmp: str, db: str = "bench", launcher: list[str] | None = None
) -> Iterator[tuple[str, str, subprocess.Popen[bytes], subprocess.Popen[bytes]]]:
    """nx-27017 and the gateway (one uvicorn process, as `studio up` runs it) in `tmp`.

    Yields the gateway's base URL, the database URL and both processes. `launcher` replaces
    the gateway's command (it gets `--port N` appended), e.g. to run it under a profiler.
    """
    mongo, mongo_url = start_embedded(Path(tmp) / "mongo", "127.0.0.1", free_port())
    port = free_port()
    env = {**os.environ, "MONGODB_URL": mongo_url, "MONGODB_DB": db,
           "MEDIA_ROOT": f"{tmp}/media"}  # fmt: skip
    command = launcher or [sys.executable, "-m", "uvicorn", "--factory", "gateway.app:build_app",
                           "--log-level", "warning"]  # fmt: skip
    gateway = subprocess.Popen(
        [*command, "--port", str(port)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/health/live")
        yield base, mongo_url, gateway, mongo
    finally:
        for proc in (gateway, mongo):
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=64)
    # Internal: the raw-driver measurement, in its own process (JSON, since ids may start with -).
    parser.add_argument("--driver", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.driver:
        job = json.loads(args.driver)
        asyncio.run(driver_rate(job["url"], job["db"], job["ids"], args.connections, args.seconds))
        return

    with tempfile.TemporaryDirectory() as tmp, embedded_gateway(tmp) as (base, mongo_url, _, _):
        port = base.rsplit(":", 1)[1]
        print("seeding 100 projects", file=sys.stderr)
        ids = [httpx.post(f"{base}/projects", json=PROJECT).json()["id"] for _ in range(100)]
        common = ["--connections", str(args.connections), "--seconds", str(args.seconds)]
        loadgen = [sys.executable, "-m", "bench.loadgen", "--port", port, *common]
        job = json.dumps({"url": mongo_url, "db": "bench", "ids": ids})
        print("measuring the raw driver", file=sys.stderr)
        raw = run_json([sys.executable, "-m", "bench.gateway", *common, f"--driver={job}"])
        print("measuring the gateway", file=sys.stderr)
        one = run_json([*loadgen, *(f"/projects/{i}" for i in ids)])
        listing = run_json([*loadgen, "/projects"])

    print(f"connections {args.connections}, {args.seconds:.0f} s per measurement, 2 cores shared")
    print(f"{'measurement':<28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    print(f"{'raw driver find_one':<28}{raw['rps']:>10.0f}{'':>10}{'':>10}{'':>8}")
    for name, r in (("GET /projects/{id}", one), ("GET /projects (100 items)", listing)):
        print(
            f"{name:<28}{r['rps']:>10.0f}{r['p50_ms']:>10.1f}{r['p99_ms']:>10.1f}{r['errors']:>8.0f}"
        )
    print(f"GET /projects/{{id}} / raw driver: {one['rps'] / raw['rps']:.0%} (target >= 85%)")
    print(f"p99 GET /projects/{{id}}: {one['p99_ms']:.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()
