"""The stack as real processes, for the job fault tests and bench.jobs: Redis, the four services
(the video service possibly several times, behind a tiny balancer), the gateway and Celery
workers, each a child process in its own session so that a kill reaches its whole process group
(a prefork worker's pool children with it).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from fastapi import FastAPI, Request, Response

from gateway.settings import GatewaySettings
from studio.redis import redis_command, wait_for_redis
from tests.support import free_port

SERVICE_TOKEN = "fault-tests-service-token-000000000000001"
START_TIMEOUT = 60.0
STOP_GRACE = 20.0
SERVICES = ("script", "audio", "image", "video")
# What a ready project is: a short 720p render of 2 scenes.
READY_PROJECT = {"title": "Faults", "language": "en", "nb_section": 2, "duration": 10,
                 "resolution": "720p", "fps": 24}  # fmt: skip


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def signal_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)

    def kill9(self) -> None:
        """kill -9 of the whole process group, as a lost machine or an OOM kill would."""
        self.signal_group(signal.SIGKILL)
        self.popen.wait(10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(STOP_GRACE)
        self.signal_group(signal.SIGKILL)  # whatever it left behind
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(10)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class ProcessStack:
    root: Path
    mongo_url: str
    lease: float = 4.0
    video_instances: int = 1
    video_env: dict[str, str] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)
    procs: list[Proc] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.media = self.root / "media"
        self.redis_port = free_port()
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.ports = {name: free_port() for name in SERVICES}
        self.video_ports = [self.ports["video"]] + [
            free_port() for _ in range(self.video_instances - 1)
        ]
        # With several video instances the gateway and workers name the balancer instead.
        self.video_url = (
            f"http://127.0.0.1:{self.ports['video']}"
            if self.video_instances == 1
            else f"http://127.0.0.1:{free_port()}"
        )
        self.gateway_port = free_port()
        self.base = f"http://127.0.0.1:{self.gateway_port}"
        self.gateway: Proc | None = None
        self.redis: Proc | None = None
        self.services: dict[str, Proc] = {}
        self.workers: dict[str, Proc] = {}
        self.env = {
            "MONGODB_URL": self.mongo_url,
            "MONGODB_DB": f"faults_{uuid.uuid4().hex[:10]}",
            "REDIS_URL": self.redis_url,
            "QUEUE_PREFIX": f"f{uuid.uuid4().hex[:10]}",
            "MEDIA_ROOT": str(self.media),
            "PUBLIC_BASE_URL": self.base,
            "SERVICE_TOKENS": SERVICE_TOKEN,
            "SCRIPT_SERVICE_URL": f"http://127.0.0.1:{self.ports['script']}",
            "AUDIO_SERVICE_URL": f"http://127.0.0.1:{self.ports['audio']}",
            "IMAGE_SERVICE_URL": f"http://127.0.0.1:{self.ports['image']}",
            "VIDEO_SERVICE_URL": self.video_url,
            "JOB_LEASE_SECONDS": str(self.lease),
            "JOB_SWEEP_INTERVAL_SECONDS": "1",
            "ACCESS_LOG": "false",
            "LOG_LEVEL": "INFO",
            "RATE_LIMIT_ENABLED": "false",
            # The services on a shared 2-core machine: a busy one says so, and is asked again soon.
            "VIDEO_RETRY_AFTER_SECONDS": "1",
            "VIDEO_PARALLEL_SEGMENTS": "1",
            "VIDEO_CACHE_DIR": str(self.root / "video-cache"),
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }

    @property
    def settings(self) -> GatewaySettings:
        """The settings every child process reads from `env`, for this (the test's) process."""
        fields = GatewaySettings.model_fields
        values = {k.lower(): v for k, v in self.env.items() if k.lower() in fields}
        return GatewaySettings.model_validate(values)

    # --- processes ------------------------------------------------------------------------

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Proc:
        log = self.root / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(
                argv,
                env={**os.environ, **self.env, **(env or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill9 reaches its children
            )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def start_redis(self) -> Proc:
        data = self.root / "redis"
        data.mkdir(exist_ok=True)
        # Persistent (append-only), as `studio up` runs it: queued jobs survive a restart.
        proc = self._spawn("redis", redis_command(data, "127.0.0.1", self.redis_port, True))
        wait_for_redis(self.redis_url, proc.popen)
        self.redis = proc
        return proc

    def _uvicorn(self, name: str, factory: str, port: int, env: dict[str, str] | None) -> Proc:
        argv = [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1",
                "--port", str(port), "--log-level", "warning"]  # fmt: skip
        proc = self._spawn(name, argv, env)
        health = f"http://127.0.0.1:{port}/health" + ("/live" if name == "gateway" else "")
        wait_http(health, proc)
        return proc

    def start_service(self, name: str, instance: int = 0) -> Proc:
        port = self.ports[name] if instance == 0 else self.video_ports[instance]
        label = name if instance == 0 else f"{name}{instance}"
        env = self.video_env if name == "video" else None
        proc = self._uvicorn(label, f"services.{name}.app:build_app", port, env)
        self.services[label] = proc
        return proc

    def start_services(self) -> None:
        for name in SERVICES:
            self.start_service(name)
        for instance in range(1, self.video_instances):
            self.start_service("video", instance)

    def start_gateway(self) -> Proc:
        self.gateway = self._uvicorn("gateway", "gateway.app:build_app", self.gateway_port, None)
        return self.gateway

    def start_worker(self, name: str, concurrency: int = 1) -> Proc:
        argv = [sys.executable, "-m", "celery", "-A", "gateway.worker:celery_app", "worker",
                "--pool", "prefork", "--concurrency", str(concurrency), "--loglevel", "INFO",
                "--hostname", f"{name}@%h", "--without-gossip", "--without-mingle"]  # fmt: skip
        proc = self._spawn(name, argv)
        deadline = time.monotonic() + START_TIMEOUT
        while not re.search(rf"{name}@\S+ ready", proc.output()):
            assert proc.popen.poll() is None, f"worker {name} exited:\n{proc.output()}"
            assert time.monotonic() < deadline, f"worker {name} not ready:\n{proc.output()}"
            time.sleep(0.2)
        self.workers[name] = proc
        return proc

    def start(self, workers: int = 1) -> None:
        self.start_redis()
        self.start_services()
        self.start_gateway()
        for number in range(1, workers + 1):
            self.start_worker(f"w{number}")

    def close(self) -> None:
        # Workers first, then the web process and services, Redis last.
        order = [p for p in self.procs if p.name.startswith("w")]
        order += [p for p in self.procs if not p.name.startswith("w") and p.name != "redis"]
        order += [p for p in self.procs if p.name == "redis"]
        for proc in order:
            proc.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} (pid {p.pid})\n{p.output()[-4000:]}" for p in self.procs)


def wait_http(url: str, proc: Proc, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert proc.popen.poll() is None, f"{proc.name} exited:\n{proc.output()}"
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        assert time.monotonic() < deadline, f"{proc.name} did not answer:\n{proc.output()}"
        time.sleep(0.2)


# --- several video instances behind one URL ---------------------------------------------------


def balancer(targets: list[str], renders: list[str] | None = None) -> FastAPI:
    """The smallest balancer that serves renders: a new render goes to the next instance in
    turn, and on to the following one if that answers 429 (busy); a render's progress or its
    cancel goes to whichever instance knows it. `renders` records every render id started."""
    app = FastAPI()
    turn = itertools.cycle(range(len(targets)))
    client = httpx.AsyncClient(timeout=httpx.Timeout(900, connect=3))

    @app.api_route("/{path:path}", methods=["GET", "POST", "DELETE", "PUT", "HEAD"])
    async def forward(path: str, request: Request) -> Response:
        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host",)}
        first = next(turn)
        order = [targets[(first + i) % len(targets)] for i in range(len(targets))]
        answer: httpx.Response | None = None
        for target in order:
            try:
                answer = await client.request(
                    request.method, f"{target}/{path}", content=body, headers=headers,
                    params=request.query_params,
                )  # fmt: skip
            except httpx.TransportError:
                continue
            # A new render on a busy instance, or a render another instance holds: the next.
            if answer.status_code in (429, 404) and target != order[-1]:
                continue
            break
        if answer is None:
            return Response(status_code=503, headers={"Retry-After": "1"})
        started = request.method == "POST" and path == "render" and answer.status_code < 300
        if started and renders is not None:
            renders.append(str(json.loads(body)["render_id"]))
        drop = ("content-length", "transfer-encoding", "connection", "content-encoding")
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in drop}
        return Response(answer.content, answer.status_code, kept)

    return app


@contextlib.asynccontextmanager
async def http_client(base: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        yield http


async def ready_project(http: httpx.AsyncClient, title: str = "Faults") -> str:
    """A project with its script, narration and scene images: ready to render."""
    created = await http.post("/projects", json={**READY_PROJECT, "title": title})
    assert created.status_code == 201, created.text
    pid = str(created.json()["id"])
    for step, body in (("script", {"use_case": "tutorial"}), ("audio", {}), ("images", {})):
        answer = await http.post(f"/projects/{pid}/generate-{step}", json=body)
        assert answer.status_code < 300, answer.text
    return pid
