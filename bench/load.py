"""Load test of the gateway on the embedded database, and where its time goes.

    .venv/bin/python -m bench.load [--clients 200] [--seconds 20] [--projects 1000]
                                   [--shared 10] [--profile] [--count-command] [--no-analysis]

Starts nx-27017 and the gateway (one uvicorn process, local mode, as `make run` runs them),
seeds `--projects` projects of about 1 KB plus one project per client and `--shared` projects
that every client writes to. Then `--clients` keep-alive clients, for `--seconds`, each loop
on a mix of paged lists (`GET /projects?_page=N&_limit=10`), reads of any project, PUTs of
their own project and PUTs of their own field on a shared project (several clients per shared
project). At the end every client's last acknowledged value must be on its projects (and be
found by `q`): anything else is a lost update.

Printed: p50/p99 and throughput per operation, errors, lost updates; the CPU the gateway and
the database used (cores); a side client's `find_one` latency during the load (how long the
database queues a request). Then, unless --no-analysis: single-client timings of the driver
calls the list and read paths make, how they grow with the number and size of documents, and
with --profile the gateway's own CPU by package and function (cProfile, during the load only;
it slows the gateway, so figures of a profiled run are not the headline ones). --count-command
is a what-if: the gateway process counts with the `count` command instead of count_documents.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import signal
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import uvloop
from pymongo import AsyncMongoClient

from bench.gateway import PROJECT, embedded_gateway
from bench.loadgen import build_request, exchange

DB = "bench"
OPERATIONS = ("list", "read", "put own", "put shared")
# Of every 20 requests: 6 paged lists, 8 reads, 3 PUTs of one's own, 3 of a shared project.
WEIGHTS = (6, 8, 3, 3)
WORDS = ("the", "quick", "morning", "habit", "of", "stoic", "writers", "keeps", "a", "steady",
         "mind", "through", "long", "days")  # fmt: skip


def text(size: int, seed: int) -> str:
    """About `size` characters of words (not one repeated letter, which compresses oddly)."""
    rng = random.Random(seed)
    out: list[str] = []
    length = 0
    while length < size:
        word = rng.choice(WORDS)
        out.append(word)
        length += len(word) + 1
    return " ".join(out)[:size]


def sized_project(size: int, seed: int) -> dict[str, Any]:
    """A project of about `size` bytes: description up to its 20,000 limit, the rest in an
    unknown field (kept by the gateway, up to 1 MB)."""
    body: dict[str, Any] = {"title": f"Sized {size} #{seed}", "language": "en"}
    body["description"] = text(min(size, 20_000), seed)
    if size > 20_000:
        body["notes"] = text(size - 20_000, seed + 1)
    return body


def quantile_ms(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0] * 1000
    return statistics.quantiles(values, n=100)[q - 1] * 1000


@dataclass
class Run:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # Per client: the last value the gateway acknowledged (200) on its own / shared project.
    own_last: dict[int, str] = field(default_factory=dict)
    shared_last: dict[int, str] = field(default_factory=dict)
    # Clients whose last write to a project failed: its outcome is unknown, so not checked.
    unsure: set[tuple[str, int]] = field(default_factory=set)
    seconds: float = 0.0
    side_find_one: list[float] = field(default_factory=list)


async def client(
    index: int,
    host: str,
    port: int,
    own: str,
    shared: str,
    pages: int,
    ids: list[str],
    deadline: float,
    run: Run,
) -> None:
    rng = random.Random(index)
    reader, writer = await asyncio.open_connection(host, port)
    writes = 0
    try:
        while time.perf_counter() < deadline:
            op = rng.choices(OPERATIONS, WEIGHTS)[0]
            value = ""
            if op == "list":
                request = build_request(
                    "GET", f"/projects?_page={rng.randint(1, pages)}&_limit=10", host, port
                )
            elif op == "read":
                request = build_request("GET", f"/projects/{rng.choice(ids)}", host, port)
            else:
                writes += 1
                # A token no other write uses, so `q` can find exactly this value.
                value = f"c{index}w{writes}z"
                target, body = (
                    (own, {"keywords": value})
                    if op == "put own"
                    else (shared, {f"field{index:04d}": value})
                )
                request = build_request(
                    "PUT", f"/projects/{target}", host, port, json.dumps(body).encode()
                )
            started = time.perf_counter()
            try:
                status, answer = await exchange(reader, writer, request)
            except (OSError, asyncio.IncompleteReadError) as exc:
                status, answer = 0, repr(exc).encode()
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
            run.latencies[op].append(time.perf_counter() - started)
            if status != 200:
                run.errors[op] += 1
                if len(run.samples[op]) < 3:
                    run.samples[op].append(f"{status} {answer[:160]!r}")
            if op == "put own":
                if status == 200:
                    run.own_last[index] = value
                    run.unsure.discard(("own", index))
                else:
                    run.unsure.add(("own", index))
            elif op == "put shared":
                if status == 200:
                    run.shared_last[index] = value
                    run.unsure.discard(("shared", index))
                else:
                    run.unsure.add(("shared", index))
    finally:
        writer.close()


async def side_probe(mongo_url: str, some_id: str, deadline: float, run: Run) -> None:
    """A driver `find_one` five times a second: the database's queueing delay under the load."""
    db: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await db[DB].projects.find_one({"_id": some_id})
            run.side_find_one.append(time.perf_counter() - started)
            await asyncio.sleep(0.2)
    finally:
        await db.close()


async def seed(base: str, bodies: list[dict[str, Any]], concurrency: int = 16) -> list[str]:
    ids: list[str] = [""] * len(bodies)
    queue = list(enumerate(bodies))
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:

        async def one() -> None:
            while queue:
                index, body = queue.pop()
                r = await http.post("/projects", json=body)
                r.raise_for_status()
                ids[index] = r.json()["id"]

        await asyncio.gather(*(one() for _ in range(concurrency)))
    return ids


@dataclass
class Verdict:
    checked: int = 0
    lost: list[str] = field(default_factory=list)
    unfound: list[str] = field(default_factory=list)


async def verify(base: str, own: list[str], shared: list[str], run: Run) -> Verdict:
    """Every acknowledged last write must be stored, and found by `q`."""
    verdict = Verdict()
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        docs = {pid: (await http.get(f"/projects/{pid}")).json() for pid in {*own, *shared}}
        checks: list[tuple[str, str, str]] = []
        for index, value in run.own_last.items():
            if ("own", index) not in run.unsure:
                checks.append((own[index], "keywords", value))
        for index, value in run.shared_last.items():
            if ("shared", index) not in run.unsure:
                checks.append((shared[index % len(shared)], f"field{index:04d}", value))
        for pid, name, value in checks:
            verdict.checked += 1
            if docs[pid].get(name) != value:
                verdict.lost.append(f"{pid}.{name}: {docs[pid].get(name)!r}, wrote {value!r}")
            found = (await http.get("/projects", params={"q": value})).json()
            if pid not in {p["id"] for p in found}:
                verdict.unfound.append(f"q={value} misses {pid}")
    return verdict


def cpu_seconds(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


async def load(args: argparse.Namespace, base: str, mongo_url: str, pids: list[int]) -> None:
    host, port = base.removeprefix("http://").split(":")
    print(
        f"seeding {args.projects} projects of ~1 KB, {args.clients} own, {args.shared} shared",
        file=sys.stderr,
    )
    ids = await seed(base, [dict(PROJECT, title=f"Seeded {i}") for i in range(args.projects)])
    own = await seed(base, [dict(PROJECT, title=f"Own {i}") for i in range(args.clients)])
    shared = await seed(base, [dict(PROJECT, title=f"Shared {i}") for i in range(args.shared)])
    everything = [*ids, *own, *shared]
    pages = max(len(everything) // 10, 1)

    gateway, mongo = (psutil.Process(pid) for pid in pids)
    if args.profile:
        os.kill(pids[0], signal.SIGUSR1)
    cpu_before = (cpu_seconds(gateway), cpu_seconds(mongo))
    run = Run()
    print(f"{args.clients} clients for {args.seconds:.0f} s", file=sys.stderr)
    started = time.perf_counter()
    deadline = started + args.seconds
    await asyncio.gather(
        side_probe(mongo_url, ids[0], deadline, run),
        *(
            client(i, host, int(port), own[i], shared[i % len(shared)], pages, everything,
                   deadline, run)
            for i in range(args.clients)
        ),
    )  # fmt: skip
    run.seconds = time.perf_counter() - started
    cpu_after = (cpu_seconds(gateway), cpu_seconds(mongo))
    if args.profile:
        os.kill(pids[0], signal.SIGUSR2)
    verdict = await verify(base, own, shared, run)

    total = sum(len(v) for v in run.latencies.values())
    everything_latencies = [x for v in run.latencies.values() for x in v]
    print(
        f"\n{args.clients} clients, {run.seconds:.1f} s, {len(everything)} projects, "
        f"{args.shared} shared by {args.clients // args.shared} clients each"
        f"{' (gateway profiled: slower)' if args.profile else ''}"
        f"{' (what-if: counts by the count command)' if args.count_command else ''}"
    )
    print(f"{'operation':<14}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for op in (*OPERATIONS, "all"):
        values = everything_latencies if op == "all" else run.latencies[op]
        errors = sum(run.errors.values()) if op == "all" else run.errors[op]
        print(
            f"{op:<14}{len(values):>10}{len(values) / run.seconds:>9.1f}"
            f"{quantile_ms(values, 50):>9.0f}{quantile_ms(values, 99):>9.0f}{errors:>8}"
        )
    for op, samples in run.samples.items():
        print(f"  {op} errors, e.g.: {'; '.join(samples)}")
    print(
        f"lost updates: {len(verdict.lost)} of {verdict.checked} last writes; "
        f"not found by q: {len(verdict.unfound)}"
    )
    for line in (verdict.lost + verdict.unfound)[:5]:
        print(f"  {line}")
    used = [
        (after - before) / run.seconds for before, after in zip(cpu_before, cpu_after, strict=True)
    ]
    print(
        f"CPU used (cores, of 2 shared): gateway {used[0]:.2f}, nx-27017 {used[1]:.2f}; "
        f"{total / run.seconds / max(used[0], 1e-9):.0f} req per gateway CPU-second"
    )
    print(
        f"side client find_one during the load: p50 {quantile_ms(run.side_find_one, 50):.0f} ms,"
        f" p99 {quantile_ms(run.side_find_one, 99):.0f} ms ({len(run.side_find_one)} calls)"
    )


# --- where the time goes -------------------------------------------------------------------


async def median_ms(call: Callable[[], Awaitable[object]], times: int = 9) -> float:
    await call()  # warm: connection, SQLite page cache
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        await call()
        spent.append(time.perf_counter() - started)
    return statistics.median(spent) * 1000


async def analyse(base: str, mongo_url: str) -> None:
    print("\nsingle client, idle database (median ms)")
    client_: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    projects = client_[DB].projects
    async with httpx.AsyncClient(base_url=base, timeout=300) as http:

        async def driver_rows(label: str) -> None:
            n = await projects.count_documents({})
            size = await projects.estimated_document_count()
            some = await projects.find_one({}, sort=[("_seq", 1)], skip=n // 2)
            assert some is not None
            one_id = some["_id"]
            last_page = max((n - 1) // 10 + 1, 1)
            rows: list[tuple[str, Callable[[], Awaitable[object]]]] = [
                ("driver find_one by _id", lambda: projects.find_one({"_id": one_id})),
                ("driver count_documents({})", lambda: projects.count_documents({})),
                # The same count as the legacy `count` command, and without any filter.
                ("driver command count", lambda: client_[DB].command("count", "projects")),
                ("driver estimated_document_count", projects.estimated_document_count),
                (
                    "driver find _id only, all, to_list",
                    lambda: projects.find({}, {"_id": 1}).to_list(),
                ),
                (
                    "driver find sort _seq limit 10",
                    lambda: projects.find({}, sort=[("_seq", 1)]).limit(10).to_list(),
                ),
                (
                    "driver find sort _seq skip n/2 limit 10",
                    lambda: projects.find({}, sort=[("_seq", 1)], skip=n // 2)
                    .limit(10)
                    .to_list(),
                ),
                (
                    "driver find _id only, sort _seq limit 10",
                    lambda: projects.find({}, {"_id": 1}, sort=[("_seq", 1)])
                    .limit(10)
                    .to_list(),
                ),
                (
                    "driver count_documents({q regex})",
                    lambda: projects.count_documents({"_search": {"$regex": "c1w1z"}}),
                ),
                (
                    "driver find_one_and_update $set",
                    lambda: projects.find_one_and_update(
                        {"_id": one_id}, {"$set": {"keywords": "x"}}
                    ),
                ),
                ("GET /projects/{id}", lambda: http.get(f"/projects/{one_id}")),
                ("GET /projects?_page=1&_limit=10",
                 lambda: http.get("/projects?_page=1&_limit=10")),
                (
                    f"GET /projects?_page={last_page}&_limit=10",
                    lambda: http.get(f"/projects?_page={last_page}&_limit=10"),
                ),
                ("PUT /projects/{id} one field", lambda: http.put(
                    f"/projects/{one_id}", json={"keywords": "y"})),
            ]  # fmt: skip
            print(f"  {label}: {n} projects ({size} by estimate)")
            for name, call in rows:
                print(f"    {name:<44}{await median_ms(call):>9.1f}")

        await driver_rows("as loaded")

        print("\ndocument size: one project read and written (median ms)")
        print(f"  {'size':>8}{'driver find_one':>17}{'GET':>9}{'PUT 1 field':>13}")

        async def sized_row(size: int) -> None:
            created = await http.post("/projects", json=sized_project(size, size))
            created.raise_for_status()
            pid: str = created.json()["id"]
            find = await median_ms(lambda: projects.find_one({"_id": pid}))
            get = await median_ms(lambda: http.get(f"/projects/{pid}"))
            put = await median_ms(lambda: http.put(f"/projects/{pid}", json={"keywords": "k"}))
            print(f"  {size:>8}{find:>17.1f}{get:>9.1f}{put:>13.1f}")

        for size in (1_000, 20_000, 200_000):
            await sized_row(size)

        print("\nadding 100 projects of 200 KB (20 MB): do lists and counts get slower?")
        await seed(base, [sized_project(200_000, 1000 + i) for i in range(100)], concurrency=4)
        await driver_rows("with 100 x 200 KB more")
    await client_.close()


# --- the profiled gateway --------------------------------------------------------------------


def count_by_command() -> None:
    """What-if, for --count-command: count_documents as the `count` command.

    nx-27017 runs count_documents (an aggregation: $match then $group) by decoding every
    document in Python, and the `count` command as SQL; both are exact on one server.
    """
    from pymongo.asynchronous.collection import AsyncCollection

    async def count(self: AsyncCollection[Any], filter: Any, *args: Any, **kwargs: Any) -> int:
        answer = await self.database.command("count", self.name, query=filter)
        return int(answer["n"])

    AsyncCollection.count_documents = count  # type: ignore[method-assign]


def serve(port: int, profile_out: str | None, count_command: bool) -> None:
    """The gateway under uvicorn, optionally profiled between SIGUSR1 and SIGUSR2 (stats
    written to `profile_out`) and with the --count-command what-if."""
    import uvicorn

    if count_command:
        count_by_command()
    if profile_out:
        profile = cProfile.Profile()

        def start(*_: object) -> None:
            profile.enable()

        def stop(*_: object) -> None:
            profile.disable()
            profile.dump_stats(profile_out)

        signal.signal(signal.SIGUSR1, start)
        signal.signal(signal.SIGUSR2, stop)
    uvicorn.run(
        "gateway.app:build_app", factory=True, host="127.0.0.1", port=port, log_level="warning"
    )


GROUPS = (
    "pymongo", "bson", "starlette", "fastapi", "pydantic", "uvicorn", "httptools", "h11",
    "orjson", "gateway", "contracts", "runtime", "asyncio", "logging", "json", "re", "anyio",
)  # fmt: skip


def group_of(filename: str) -> str:
    path = Path(filename)
    for group in GROUPS:
        if group in path.parts or path.stem == group:
            return group
    if filename.startswith("~") or filename == "<built-in>":
        return "builtins (C: sockets, json, re, ...)"
    return path.parent.name or filename


def report_profile(out: str) -> None:
    deadline = time.monotonic() + 30
    while not Path(out).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    stats = pstats.Stats(out)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in raw.values())
    groups: dict[str, float] = defaultdict(float)
    for (filename, _, _), entry in raw.items():
        groups[group_of(filename)] += entry[2]
    print(f"\ngateway CPU during the load, by package (cProfile own time, {total:.1f} s in all)")
    for name, seconds in sorted(groups.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {name:<40}{seconds:>8.1f} s{seconds / total:>7.0%}")
    print("top functions by own time")
    top = sorted(raw.items(), key=lambda kv: -kv[1][2])[:15]
    for (filename, line, name), entry in top:
        where = f"{Path(filename).parent.name}/{Path(filename).name}:{line}"
        print(f"  {entry[2]:>6.2f} s {entry[1]:>9} calls  {name} ({where})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--projects", type=int, default=1000, help="~1 KB projects to seed")
    parser.add_argument("--shared", type=int, default=10, help="projects every client writes")
    parser.add_argument("--profile", action="store_true", help="cProfile the gateway")
    parser.add_argument(
        "--count-command",
        action="store_true",
        help="what-if: the gateway counts with the `count` command, not count_documents",
    )
    parser.add_argument("--no-analysis", action="store_true", help="only the load")
    # Internal: the gateway process when profiled or patched.
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.port, args.profile_out, args.count_command)
        return

    with tempfile.TemporaryDirectory() as tmp:
        out = f"{tmp}/gateway.prof"
        launcher = [sys.executable, "-m", "bench.load", "--serve"]
        if args.profile:
            launcher.append(f"--profile-out={out}")
        if args.count_command:
            launcher.append("--count-command")
        custom = args.profile or args.count_command
        with embedded_gateway(tmp, DB, launcher if custom else None) as (
            base,
            mongo_url,
            gateway,
            mongo,
        ):
            uvloop.run(load(args, base, mongo_url, [gateway.pid, mongo.pid]))
            if args.profile:
                report_profile(out)
            if not args.no_analysis:
                uvloop.run(analyse(base, mongo_url))


if __name__ == "__main__":
    main()
