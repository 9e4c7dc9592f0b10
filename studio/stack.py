"""`studio up`: the whole stack as child processes, output prefixed per process."""

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

# (name, app factory, offset from the gateway's port); the services' defaults are 8001-8004.
DEPLOYABLES: tuple[tuple[str, str, int], ...] = (
    ("script", "services.script.app:build_app", 1),
    ("audio", "services.audio.app:build_app", 2),
    ("image", "services.image.app:build_app", 3),
    ("video", "services.video.app:build_app", 4),
    ("gateway", "gateway.app:build_app", 0),
)
STOP_GRACE = 10.0
START_TIMEOUT = 60.0
COLORS = ("36", "33", "35", "32", "34", "31")


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    argv: list[str]
    port: int
    mongo_url: str | None = None  # the embedded database: pinged before the rest start
    health_url: str | None = None  # an HTTP service: polled until it answers
    quiet: bool = False  # nx-27017 logs every command; it keeps its own log file


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


def plan(
    host: str, port: int, mongo_port: int, data_dir: Path, environ: Mapping[str, str]
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
        specs.append(ProcessSpec("mongo", argv, mongo_port, mongo_url=url, quiet=True))
        env["MONGODB_URL"] = url
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
        specs.append(ProcessSpec(name, argv, port + offset, health_url=health))
    return specs, env


class Stack:
    def __init__(self, specs: list[ProcessSpec], env: dict[str, str], quiet: bool = False) -> None:
        self.specs = specs
        self.env = env
        self.quiet = quiet  # no child output at all (`studio demo` shows its own progress)
        self.procs: dict[str, asyncio.subprocess.Process] = {}
        self.pumps: list[asyncio.Task[None]] = []
        self.width = max(len(s.name) for s in specs)

    def say(self, name: str, line: str) -> None:
        index = [s.name for s in self.specs].index(name) if name != "studio" else -1
        label = name.ljust(self.width)
        if sys.stdout.isatty():
            label = f"\033[{COLORS[index % len(COLORS)]}m{label}\033[0m"
        sys.stdout.write(f"{label} | {line}\n")
        sys.stdout.flush()

    async def _pump(self, name: str, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.say(name, line.decode(errors="replace").rstrip())

    async def start(self) -> None:
        for spec in self.specs:
            proc = await asyncio.create_subprocess_exec(
                *spec.argv,
                env=self.env,
                stdout=(
                    asyncio.subprocess.DEVNULL
                    if spec.quiet or self.quiet
                    else asyncio.subprocess.PIPE
                ),
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches studio only; it stops children in order
            )
            self.procs[spec.name] = proc
            if proc.stdout is not None:
                self.pumps.append(asyncio.create_task(self._pump(spec.name, proc.stdout)))
            if spec.mongo_url:
                await asyncio.to_thread(wait_for_mongo, spec.mongo_url)
            if not self.quiet:
                self.say("studio", f"started {spec.name} on port {spec.port} (pid {proc.pid})")

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

    async def wait_any_exit(self) -> str:
        waits = {asyncio.create_task(p.wait()): n for n, p in self.procs.items()}
        done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        return waits[next(iter(done))]

    async def stop(self) -> None:
        # The gateway first, the database last, so nothing writes to a stopped database.
        for name in reversed([s.name for s in self.specs]):
            proc = self.procs.get(name)
            if proc is None or proc.returncode is not None:
                continue
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), STOP_GRACE)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
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


async def run_stack(host: str, port: int, mongo_port: int, data_dir: Path) -> int:
    if refusal := insecure_bind(host, os.environ):
        sys.stderr.write(f"studio: {refusal}\n")
        return 2
    specs, env = plan(host, port, mongo_port, data_dir, os.environ)
    busy = busy_ports(host, [s.port for s in specs])
    if busy:
        raise PortsBusy(
            f"port(s) {', '.join(map(str, busy))} on {host} already in use: stop what runs there "
            f"or choose other ports with --port and --mongo-port"
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
        exited = asyncio.create_task(stack.wait_any_exit())
        stop_wait = asyncio.create_task(stopping.wait())
        done, _ = await asyncio.wait({exited, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
        if exited in done:
            stack.say("studio", f"{exited.result()} exited unexpectedly; stopping the stack")
            code = 1
        else:
            exited.cancel()
            stack.say("studio", "stopping")
    except RuntimeError as exc:
        stack.say("studio", str(exc))
        code = 1
    finally:
        await stack.stop()
    return code
