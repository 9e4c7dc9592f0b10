"""Socket.IO fan-out: memory per connection and time for one event to reach every client.

    .venv/bin/python -m bench.sockets [--clients 2000] [--batch 100] [--events 5]

Starts nx-27017, Redis and the gateway (one uvicorn process, as `studio up` runs them), opens
`--clients` WebSocket connections in batches, each joined to one project's room, then publishes
`--events` progress events through Redis as a worker does (JobEvents) and times each one's
arrival at every client. Prints the gateway's RSS before and after the connections, per
connection, and extrapolated to seed 002's 10,000 connections. The clients run in this process
on the same (shared) cores, so arrival times include their own decoding (an upper bound); the
gateway's CPU time per event is its share.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psutil
import socketio

from bench.gateway import embedded_gateway
from contracts.jobs import Job
from gateway.clock import now_iso
from gateway.jobs.events import JobEvents
from gateway.settings import GatewaySettings
from studio.redis import start_redis
from tests.support import free_port

TARGET = 10_000
MB = 1024 * 1024


class Round:
    """One event's arrivals (one clock: all clients are in this process)."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.arrivals: list[float] = []
        self.complete = asyncio.Event()

    def arrived(self) -> None:
        self.arrivals.append(time.perf_counter())
        if len(self.arrivals) == self.expected:
            self.complete.set()


class Receiver:
    def __init__(self, rounds: dict[str, Round]) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.rounds = rounds
        self.sio.on("job:progress", self.progress)

    async def progress(self, job: dict[str, object]) -> None:
        self.rounds[str(job["id"])].arrived()

    async def open(self, url: str, project_id: str) -> None:
        await self.sio.connect(url, transports=["websocket"], wait_timeout=60)
        ack = await self.sio.call("join", {"project_id": project_id}, timeout=60)
        if ack != {"ok": True}:
            raise RuntimeError(f"join refused: {ack}")


def rss(process: psutil.Process) -> int:
    return int(process.memory_info().rss)


async def run(url: str, pid: int, settings: GatewaySettings, args: argparse.Namespace) -> None:
    gateway = psutil.Process(pid)
    async with httpx.AsyncClient(base_url=url) as http:
        r = await http.post("/projects", json={"title": "Sockets benchmark"})
        r.raise_for_status()
        project_id = r.json()["id"]
    rounds: dict[str, Round] = {}
    # One connection first, so the baseline includes what the first one loads and starts once.
    first = Receiver(rounds)
    await first.open(url, project_id)
    await asyncio.sleep(1)
    before = rss(gateway)
    clients = [first]
    started = time.perf_counter()
    while len(clients) < args.clients:
        batch = [Receiver(rounds) for _ in range(min(args.batch, args.clients - len(clients)))]
        await asyncio.gather(*(c.open(url, project_id) for c in batch))
        clients.extend(batch)
    connect_seconds = time.perf_counter() - started
    await asyncio.sleep(2)
    after = rss(gateway)
    per = (after - before) / (len(clients) - 1)
    print(f"clients: {len(clients)} connected and joined in {connect_seconds:.1f} s")
    print(
        f"gateway RSS: {before / MB:.1f} MB with 1 connection, {after / MB:.1f} MB with "
        f"{len(clients)}: {per / 1024:.1f} KB per connection; "
        f"{(before + per * (TARGET - 1)) / MB:.0f} MB extrapolated to {TARGET:,}"
    )

    events = JobEvents(settings)
    try:
        for number in range(args.events):
            stamp = now_iso()
            job = Job(
                id=uuid.uuid4().hex,
                project_id=project_id,
                kind="subtitles",
                status="running",
                stage="burning",
                percent=float(number),
                createdAt=stamp,
                updatedAt=stamp,
            )
            rounds[job.id] = current = Round(len(clients))
            cpu = gateway.cpu_times()
            sent = time.perf_counter()
            await events.publish(job)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(current.complete.wait(), 60)
            delays = [(t - sent) * 1000 for t in current.arrivals]
            if len(delays) < len(clients):
                print(f"event {number}: only {len(delays)} of {len(clients)} clients in 60 s")
                continue
            spent = gateway.cpu_times()
            busy = (spent.user + spent.system - cpu.user - cpu.system) * 1000
            print(
                f"event {number}: reached all {len(clients)} clients: "
                f"p50 {statistics.median(delays):.0f} ms, p100 {max(delays):.0f} ms; "
                f"gateway CPU {busy:.0f} ms"
            )
            await asyncio.sleep(0.5)
    finally:
        await events.close()
        for start in range(0, len(clients), args.batch):
            await asyncio.gather(*(c.sio.disconnect() for c in clients[start : start + args.batch]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100, help="connections opened at once")
    parser.add_argument("--events", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        redis, redis_url = start_redis(Path(tmp) / "redis", "127.0.0.1", free_port(), False)
        prefix = f"bench{uuid.uuid4().hex[:8]}"
        # The gateway process reads these (embedded_gateway passes on this environment).
        os.environ.update({"REDIS_URL": redis_url, "QUEUE_PREFIX": prefix})
        settings = GatewaySettings(redis_url=redis_url, queue_prefix=prefix)
        try:
            with embedded_gateway(tmp, db=f"sockets_{prefix}") as (url, _, gateway, _mongo):
                asyncio.run(run(url, gateway.pid, settings, args))
        finally:
            redis.terminate()
            with contextlib.suppress(Exception):
                redis.wait(10)


if __name__ == "__main__":
    main()
