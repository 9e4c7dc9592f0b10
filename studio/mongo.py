"""The embedded database: nx-27017, a MongoDB wire-protocol server on SQLite, as a child process."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from pymongo import MongoClient

START_TIMEOUT = 30.0


def nx_command(data_dir: Path, host: str, port: int) -> list[str]:
    return [
        str(Path(sys.executable).with_name("nx-27017")),
        "--data-dir",
        str(data_dir),
        "--host",
        host,
        "--port",
        str(port),
        "--log-file",
        str(data_dir / "nx-27017.log"),
        "--pid-file",
        str(data_dir / "nx-27017.pid"),
    ]


def wait_for_mongo(url: str, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Block until the server answers a ping; raise if it exits or does not start in time."""
    client: MongoClient[dict[str, object]] = MongoClient(url, serverSelectionTimeoutMS=300)
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while True:
            try:
                client.admin.command("ping")
                return
            except Exception:
                if proc is not None and proc.poll() is not None:
                    raise RuntimeError("the embedded database exited during start-up") from None
                if time.monotonic() > deadline:
                    raise RuntimeError("the embedded database did not start in time") from None
                time.sleep(0.1)
    finally:
        client.close()


def start_embedded(data_dir: Path, host: str, port: int) -> tuple[subprocess.Popen[bytes], str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        nx_command(data_dir, host, port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"mongodb://{host}:{port}"
    try:
        wait_for_mongo(url, proc)
    except BaseException:
        proc.kill()
        raise
    return proc, url
