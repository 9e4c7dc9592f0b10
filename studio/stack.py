"""`studio up`: the whole stack as supervised child processes, output prefixed per process.

Start-up is in order (MongoDB, Redis, the services, the gateway, then the Celery worker and
beat) and "ready" means every HTTP process answers. From then on a process that exits is
started again after a backoff (1, 2, 4 ... 30 s, back to 1 s once it has stayed up a minute),
and the restart is logged; the stack stops only on Ctrl-C (or SIGTERM), in order: the workers
first (SIGTERM: a Celery worker finishes its task, or after a grace hands it back), then the
gateway, the services, Redis and MongoDB last.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import secrets
import signal
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from studio.mongo import nx_command, wait_for_mongo
from studio.redis import redis_command, wait_for_redis

# (name, app factory, offset from the gateway's port); the services' defaults are 8001-8004.
DEPLOYABLES: tuple[tuple[str, str, int], ...] = (
    ("script", "services.script.app:build_app", 1),
    ("audio", "services.audio.app:build_app", 2),
    ("image", "services.image.app:build_app", 3),
    ("video", "services.video.app:build_app", 4),
    ("gateway", "gateway.app:build_app", 0),
)
CELERY_APP = "gateway.worker:celery_app"
# The app's second base URL (its YouTube calls) defaults to port 8005: a second gateway process
# answers there, so the unmodified app works without configuration.
YOUTUBE_OFFSET = 5
DEFAULT_REDIS_PORT = 6390  # not Redis's 6379, so a Redis already running there is left alone
DEFAULT_WORKER_CONCURRENCY = "2"
STOP_GRACE = 10.0
# A Celery worker's warm shutdown waits for its running task; past this it gets SIGQUIT (cold
# shutdown: running tasks are cancelled and, being acks_late, handed back to the queue).
WORKER_STOP_GRACE = 20.0
START_TIMEOUT = 60.0
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
STABLE_AFTER = 60.0  # up this long, a process's next crash is restarted after BACKOFF_FIRST again
COLORS = ("36", "33", "35", "32", "34", "31")
# Stop order: lower stops first; processes of one stage stop together.
STAGE_WORKERS, STAGE_GATEWAY, STAGE_SERVICES, STAGE_REDIS, STAGE_MONGO = range(5)


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    argv: list[str]
    port: int | None  # None: it listens nowhere (the Celery worker and beat)
    mongo_url: str | None = None  # the embedded database: pinged before the rest start
    redis_url: str | None = None  # the embedded Redis: pinged before the rest start
    health_url: str | None = None  # an HTTP service: polled until it answers
    quiet: bool = False  # nx-27017 and Redis keep their own log files
    stage: int = STAGE_SERVICES
    stop_grace: float = STOP_GRACE


class PortsBusy(Exception):
    pass


def busy_ports(host: str, ports: list[int]) -> list[int]:
    busy = []
    for port in ports:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError:
                busy.append(port)
    return busy


def celery_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", CELERY_APP, *args]


def plan(
    host: str,
    port: int,
    mongo_port: int,
    data_dir: Path,
    environ: Mapping[str, str],
    redis_port: int = DEFAULT_REDIS_PORT,
) -> tuple[list[ProcessSpec], dict[str, str]]:
    """The processes to start and the environment they share."""
    data_dir = data_dir.resolve()
    env = dict(environ)
    specs: list[ProcessSpec] = []
    if not env.get("MONGODB_URL"):
        mongo_dir = data_dir / "mongo"
        mongo_dir.mkdir(parents=True, exist_ok=True)
        url = f"mongodb://{host}:{mongo_port}"
        argv = nx_command(mongo_dir, host, mongo_port)
        specs.append(
            ProcessSpec("mongo", argv, mongo_port, mongo_url=url, quiet=True, stage=STAGE_MONGO)
        )
        env["MONGODB_URL"] = url
    if not env.get("REDIS_URL"):
        # The job queue. Loopback only whatever --host says: only this stack's processes use it,
        # and it has no password. Append-only persistence keeps queued jobs across restarts.
        redis_dir = data_dir / "redis"
        redis_dir.mkdir(parents=True, exist_ok=True)
        argv = redis_command(redis_dir, "127.0.0.1", redis_port, persist=True)
        url = f"redis://127.0.0.1:{redis_port}/0"
        specs.append(
            ProcessSpec("redis", argv, redis_port, redis_url=url, quiet=True, stage=STAGE_REDIS)
        )
        env["REDIS_URL"] = url
    env.setdefault("MEDIA_ROOT", str(data_dir / "media"))
    env.setdefault("PUBLIC_BASE_URL", f"http://localhost:{port}")
    env["PYTHONUNBUFFERED"] = "1"
    # A fresh secret per run, shared by the gateway and the services, so even a local stack's
    # services answer only its gateway (any other local process could reach their ports).
    env.setdefault("SERVICE_TOKENS", secrets.token_urlsafe(32))
    for name, factory, offset in DEPLOYABLES:
        if name != "gateway":
            env.setdefault(f"{name.upper()}_SERVICE_URL", f"http://{host}:{port + offset}")
        argv = [
            sys.executable, "-m", "uvicorn", "--factory", factory,
            "--host", host, "--port", str(port + offset), "--log-level", "warning",
        ]  # fmt: skip
        health = f"http://{host}:{port + offset}/health" + ("/live" if name == "gateway" else "")
        stage = STAGE_GATEWAY if name == "gateway" else STAGE_SERVICES
        specs.append(ProcessSpec(name, argv, port + offset, health_url=health, stage=stage))
    youtube = port + YOUTUBE_OFFSET
    argv = [
        sys.executable, "-m", "uvicorn", "--factory", "gateway.app:build_app",
        "--host", host, "--port", str(youtube), "--log-level", "warning",
    ]  # fmt: skip
    health = f"http://{host}:{youtube}/health/live"
    specs.append(ProcessSpec("youtube", argv, youtube, health_url=health, stage=STAGE_GATEWAY))
    # The gateway's worker process type: runs the jobs (it calls the services and writes MongoDB,
    # so it has the gateway's environment), and beat, which schedules the sweep.
    concurrency = env.get("WORKER_CONCURRENCY") or DEFAULT_WORKER_CONCURRENCY
    worker = celery_command(
        "worker", "--pool", "prefork", "--concurrency", concurrency, "--loglevel", "INFO"
    )
    beat = celery_command(
        "beat", "--schedule", str(data_dir / "celerybeat-schedule"), "--loglevel", "INFO"
    )
    specs.append(
        ProcessSpec("worker", worker, None, stage=STAGE_WORKERS, stop_grace=WORKER_STOP_GRACE)
    )
    specs.append(ProcessSpec("beat", beat, None, stage=STAGE_WORKERS))
    return specs, env


def _kill_group(pid: int, sig: signal.Signals) -> None:
    """Signal a child's whole process group (it leads its own session): a Celery worker's pool
    children, orphaned when their parent dies, go with it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


class Stack:
    def __init__(self, specs: list[ProcessSpec], env: dict[str, str], quiet: bool = False) -> None:
        self.specs = specs
        self.env = env
        self.quiet = quiet  # no child output at all (`studio demo` shows its own progress)
        self.procs: dict[str, asyncio.subprocess.Process] = {}
        self.pumps: list[asyncio.Task[None]] = []
        self.supervisors: list[asyncio.Task[None]] = []
        self.restarts: dict[str, int] = {s.name: 0 for s in specs}
        self.stopping = False
        self.width = max(len(s.name) for s in [*specs, ProcessSpec("studio", [], None)])

    def say(self, name: str, line: str) -> None:
        if self.quiet:
            return
        index = [s.name for s in self.specs].index(name) if name != "studio" else -1
        label = name.ljust(self.width)
        if sys.stdout.isatty():
            label = f"\033[{COLORS[index % len(COLORS)]}m{label}\033[0m"
        sys.stdout.write(f"{label} | {line}\n")
        sys.stdout.flush()

    async def _pump(self, name: str, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.say(name, line.decode(errors="replace").rstrip())

    async def _spawn(self, spec: ProcessSpec) -> asyncio.subprocess.Process:
        proc = await asyncio.create_subprocess_exec(
            *spec.argv,
            env=self.env,
            stdout=(
                asyncio.subprocess.DEVNULL if spec.quiet or self.quiet else asyncio.subprocess.PIPE
            ),
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches studio only; it stops children in order
        )
        self.procs[spec.name] = proc
        if proc.stdout is not None:
            self.pumps.append(asyncio.create_task(self._pump(spec.name, proc.stdout)))
        if spec.mongo_url:
            await asyncio.to_thread(wait_for_mongo, spec.mongo_url)
        if spec.redis_url:
            await asyncio.to_thread(wait_for_redis, spec.redis_url)
        return proc

    async def start(self) -> None:
        for spec in self.specs:
            proc = await self._spawn(spec)
            where = f"on port {spec.port} " if spec.port else ""
            self.say("studio", f"started {spec.name} {where}(pid {proc.pid})")

    async def wait_healthy(self) -> None:
        """Poll every HTTP process until it answers, so "ready" means ready."""
        deadline = asyncio.get_running_loop().time() + START_TIMEOUT
        async with httpx.AsyncClient(timeout=2.0) as http:
            for spec in self.specs:
                while spec.health_url:
                    if self.procs[spec.name].returncode is not None:
                        raise RuntimeError(f"{spec.name} exited during start-up")
                    if asyncio.get_running_loop().time() > deadline:
                        raise RuntimeError(f"{spec.name} did not become healthy in time")
                    with contextlib.suppress(httpx.HTTPError):
                        if (await http.get(spec.health_url)).status_code == 200:
                            break
                    await asyncio.sleep(0.2)
        for spec in self.specs:
            if self.procs[spec.name].returncode is not None:
                raise RuntimeError(f"{spec.name} exited during start-up")

    def supervise(self) -> None:
        """From now on a process that exits is started again, with backoff."""
        self.supervisors = [asyncio.create_task(self._supervise(spec)) for spec in self.specs]

    async def _supervise(self, spec: ProcessSpec) -> None:
        loop = asyncio.get_running_loop()
        delay = BACKOFF_FIRST
        started = loop.time()
        while True:
            proc = self.procs[spec.name]
            code = await proc.wait()
            if self.stopping:
                return
            _kill_group(proc.pid, signal.SIGKILL)  # whatever it left behind
            if loop.time() - started >= STABLE_AFTER:
                delay = BACKOFF_FIRST
            how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
            self.say("studio", f"{spec.name} exited ({how}); restarting in {delay:g} s")
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)
            started = loop.time()
            try:
                proc = await self._spawn(spec)
            except (OSError, RuntimeError) as exc:  # it could not start, or never answered
                self.say("studio", f"{spec.name} did not restart: {exc}")
                continue  # supervised as before: a dead process comes round again
            self.restarts[spec.name] += 1
            count = self.restarts[spec.name]
            self.say("studio", f"restarted {spec.name} (pid {proc.pid}, restart {count})")

    async def _stop_one(self, spec: ProcessSpec) -> None:
        proc = self.procs.get(spec.name)
        if proc is None:
            return
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), spec.stop_grace)
            except TimeoutError:
                if spec.stage == STAGE_WORKERS:
                    # Cold shutdown: Celery cancels the running tasks and requeues them.
                    with contextlib.suppress(ProcessLookupError):
                        proc.send_signal(signal.SIGQUIT)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(proc.wait(), STOP_GRACE)
        killed = proc.returncode is None
        _kill_group(proc.pid, signal.SIGKILL)
        await proc.wait()
        self.say("studio", f"stopped {spec.name}" + (" (did not stop in time: killed)" * killed))

    async def stop(self) -> None:
        self.stopping = True
        for supervisor in self.supervisors:
            supervisor.cancel()
        await asyncio.gather(*self.supervisors, return_exceptions=True)
        # The workers first, the database last, so nothing writes to a stopped database.
        for stage in sorted({s.stage for s in self.specs}):
            await asyncio.gather(*(self._stop_one(s) for s in self.specs if s.stage == stage))
        for pump in self.pumps:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pump, 2)


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def insecure_bind(host: str, environ: Mapping[str, str]) -> str | None:
    """Why binding to `host` is refused, or None. Local mode answers anonymous requests as a
    built-in user with every right: that is only safe where nobody else can connect."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if loopback or _flag(environ, "AUTH_REQUIRED") or _flag(environ, "AUTH_ALLOW_REMOTE_ANONYMOUS"):
        return None
    return (
        f"refusing to bind to {host} without authentication: set AUTH_REQUIRED=true (and "
        "AUTH_JWT_KEYS), or AUTH_ALLOW_REMOTE_ANONYMOUS=true if this network is trusted"
    )


async def run_stack(
    host: str, port: int, mongo_port: int, data_dir: Path, redis_port: int = DEFAULT_REDIS_PORT
) -> int:
    if refusal := insecure_bind(host, os.environ):
        sys.stderr.write(f"studio: {refusal}\n")
        return 2
    specs, env = plan(host, port, mongo_port, data_dir, os.environ, redis_port)
    busy = busy_ports(host, [s.port for s in specs if s.port and s.name != "redis"])
    busy += busy_ports("127.0.0.1", [s.port for s in specs if s.port and s.name == "redis"])
    if busy:
        raise PortsBusy(
            f"port(s) {', '.join(map(str, busy))} on {host} already in use: stop what runs there "
            f"or choose other ports with --port, --mongo-port and --redis-port"
        )
    stack = Stack(specs, env)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    code = 0
    try:
        await stack.start()
        await stack.wait_healthy()
        stack.say("studio", f"ready: http://localhost:{port}/projects (Ctrl-C stops everything)")
        stack.supervise()
        await stopping.wait()
        stack.say("studio", "stopping")
    except RuntimeError as exc:
        stack.say("studio", str(exc))
        code = 1
    finally:
        await stack.stop()
    return code
