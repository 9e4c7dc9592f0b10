"""A lean HTTP/1.1 keep-alive load generator (raw asyncio streams, uvloop), run as its own process.

Python HTTP clients cost more CPU per request than the server under test; this one pre-builds
its requests and parses only the status line and Content-Length, so the figures measure the
server, not the client. Prints one JSON line: requests, errors, seconds, latencies percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time

import uvloop


def build_request(method: str, path: str, host: str, port: int, body: bytes | None = None) -> bytes:
    """One pre-built HTTP/1.1 keep-alive request."""
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\n"
    if body is None:
        return f"{head}\r\n".encode()
    head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    """Send one request on a kept-alive connection; return the status and the body."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    body = await reader.readexactly(length) if length else b""
    return int(head[9:12]), body


async def worker(
    host: str, port: int, requests: list[bytes], deadline: float, latencies: list[float]
) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    errors = 0
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            status, _ = await exchange(reader, writer, random.choice(requests))
            if status != 200:
                errors += 1
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()
    return errors


async def run(
    host: str, port: int, paths: list[str], connections: int, seconds: float
) -> dict[str, float]:
    requests = [build_request("GET", p, host, port) for p in paths]
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + seconds
    errors = await asyncio.gather(
        *(worker(host, port, requests, deadline, latencies) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "errors": sum(errors),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    result = uvloop.run(run(args.host, args.port, args.paths, args.connections, args.seconds))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
