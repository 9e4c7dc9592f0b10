"""Template writer speed: a 60 s script (5 scenes) per language, in process and over HTTP.

Run: .venv/bin/python -m bench.script
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time

import httpx

from contracts.project import LANGUAGES
from contracts.script import ScriptRequest
from services.script.app import build_app
from services.script.brief import make_brief
from services.script.phrasebook import phrasebook
from services.script.settings import ScriptSettings
from services.script.template_writer import compose_script
from tests.support import serve

RUNS = 200
BODY = {
    "title": "How to build a morning routine",
    "type_video": "X_THINGS_TO_DO",
    "keywords": "sunlight, water, stretching",
    "nb_section": 5,
    "duration": 60,
}


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(samples) * 1000:7.3f} ms   p95 {p95 * 1000:7.3f} ms"


def in_process(language: str) -> tuple[list[float], int]:
    request = ScriptRequest.model_validate({**BODY, "language": language})
    samples = []
    words = 0
    for _ in range(RUNS):
        started = time.perf_counter()
        draft = compose_script(make_brief(request))
        samples.append(time.perf_counter() - started)
        words = sum(len(scene.narration.split()) for scene in draft.scenes)
    return samples, words


async def over_http() -> None:
    app = build_app(ScriptSettings(log_level="WARNING"))
    logging.getLogger("access").setLevel(logging.WARNING)  # one line per request drowns the figures
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        for language in LANGUAGES:
            samples = []
            for _ in range(RUNS // 4):
                started = time.perf_counter()
                response = await client.post("/generate", json={**BODY, "language": language})
                samples.append(time.perf_counter() - started)
                response.raise_for_status()
            print(f"  {language}  POST /generate        {_ms(samples)}")


def main() -> None:
    for language in LANGUAGES:
        phrasebook(language)  # file loading is start-up work, not per request
    print(f"template writer, 60 s script, 5 scenes, {RUNS} runs per language")
    for language in LANGUAGES:
        samples, words = in_process(language)
        print(f"  {language}  compose_script       {_ms(samples)}   ({words} words)")
    print(f"over HTTP (loopback, uvicorn, {RUNS // 4} requests per language)")
    asyncio.run(over_http())


if __name__ == "__main__":
    main()
