"""`studio demo "a topic"`: the whole pipeline through the gateway's HTTP API, as a client would.

Uses a running stack at --base-url, or starts one for the demo's duration when none answers.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from studio.stack import Stack, busy_ports, plan

console = Console()
POLL = 0.5


class DemoError(Exception):
    pass


async def _call(http: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> Any:
    response = await http.request(method, url, **kwargs)
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise DemoError(f"{method} {url} answered {response.status_code}: {detail}")
    return response.json()


@dataclass(frozen=True)
class DemoOptions:
    topic: str
    language: str = "en"
    sections: int = 4
    seconds: int = 30
    resolution: str = "1080p"
    template: str = "ken_burns"
    out: Path = Path("demo.mp4")


async def pipeline(http: httpx.AsyncClient, options: DemoOptions) -> tuple[Path, str]:
    columns = (
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:

        def step(name: str) -> Any:
            return progress.add_task(name, total=100)

        task = step("create project")
        project = await _call(
            http,
            "POST",
            "/projects",
            json={
                "title": options.topic,
                "description": options.topic,
                "language": options.language,
                "nb_section": options.sections,
                "duration": options.seconds,
                "resolution": options.resolution,
                "video_template_path": options.template,
                "background_music": "cinematic",
                "image_style": "watercolor",
            },
        )
        pid = project["id"]
        progress.update(task, completed=100)

        task = step("write the script")
        await _call(http, "POST", f"/scripts/{pid}", json={})
        progress.update(task, completed=100)

        task = step("speak it")
        await _call(http, "POST", f"/audios/{pid}", json={})
        progress.update(task, completed=100)

        task = step(f"draw {options.sections} scenes")
        await _call(http, "POST", f"/images/{pid}", json={})
        progress.update(task, completed=100)

        task = step("render the video")
        started = await _call(http, "POST", f"/projects/{pid}/generate-video", json={})
        while True:
            job = await _call(http, "GET", f"/jobs/{started['job_id']}")
            progress.update(
                task, completed=job["percent"], description=f"render the video ({job['stage']})"
            )
            if job["status"] == "failed":
                raise DemoError(f"render failed at {job['stage']}: {job['reason']}")
            if job["status"] == "done":
                break
            await asyncio.sleep(POLL)

        task = step("burn the subtitles")
        subtitled = await _call(
            http,
            "POST",
            f"/subtitles/{pid}",
            json={"style_name": "tiktok_highlight", "position_name": "bottom"},
        )
        progress.update(task, completed=100)

        task = step("download the MP4")
        url = subtitled["video_url"]
        async with http.stream("GET", url) as response:
            response.raise_for_status()
            with options.out.open("wb") as file:
                async for chunk in response.aiter_bytes():
                    file.write(chunk)
        progress.update(task, completed=100)
    return options.out, url


async def _reachable(base_url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            return (await http.get(f"{base_url}/health/live")).status_code == 200
    except httpx.HTTPError:
        return False


async def run_demo(options: DemoOptions, base_url: str, data_dir: Path) -> tuple[Path, str]:
    stack: Stack | None = None
    if not await _reachable(base_url):
        specs, env = plan("127.0.0.1", 8000, 27027, data_dir, os.environ)
        if busy := busy_ports("127.0.0.1", [s.port for s in specs if s.port]):
            raise DemoError(f"no gateway at {base_url}, and ports {busy} are taken")
        console.print(f"no gateway at {base_url}: starting the stack for this demo")
        stack = Stack(specs, env, quiet=True)
        await stack.start()
        await stack.wait_healthy()
        base_url = "http://127.0.0.1:8000"
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=900) as http:
            return await pipeline(http, options)
    finally:
        if stack is not None:
            await stack.stop()
