"""`studio up` (what `make run` runs): the whole stack starts, serves, and stops on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from studio.stack import busy_ports
from tests.support import free_port, wait_until_ready

STUDIO = str(Path(sys.executable).with_name("studio"))


def free_block(size: int) -> int:
    for _ in range(50):
        base = free_port()
        if base + size < 65535 and not busy_ports("127.0.0.1", list(range(base, base + size))):
            return base
    raise RuntimeError("no free block of ports")


def start(port: int, mongo_port: int, data_dir: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URL"}
    return subprocess.Popen(
        [STUDIO, "up", "--port", str(port), "--mongo-port", str(mongo_port),
         "--data-dir", str(data_dir)],
        env=env,
        cwd=data_dir.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


def test_up_serves_the_app_then_stops_everything_on_ctrl_c(tmp_path: Path) -> None:
    port, mongo_port = free_block(5), free_port()
    proc = start(port, mongo_port, tmp_path / "data")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, proc)
        assert httpx.get(f"{base}/projects").json() == []
        created = httpx.post(f"{base}/projects", json={"title": "from studio up"}).json()
        assert httpx.get(f"{base}/projects/{created['id']}").json()["title"] == "from studio up"
        assert (tmp_path / "data" / "mongo").is_dir()
        # The services answer only their gateway: it holds this run's service token.
        refused = httpx.post(f"http://127.0.0.1:{port + 1}/description/generate", json={})
        assert refused.status_code == 401
        assert refused.json()["detail"] == "Missing service token"
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=40)
    assert proc.returncode == 0, output
    assert "stopping" in output
    assert busy_ports("127.0.0.1", [*range(port, port + 5), mongo_port]) == []


def test_a_port_in_use_is_a_clear_message_not_a_traceback(tmp_path: Path) -> None:
    port = free_block(5)
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", port + 2))
        blocker.listen()
        proc = start(port, free_port(), tmp_path / "data")
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert f"port(s) {port + 2} on 127.0.0.1 already in use" in output
    assert "Traceback" not in output
