"""A user's own AI jobs spend credits as videos do: reserved when queued (402 before anything
is recorded), given back once when the job fails, and the balance exact throughout."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import respx
from pymongo import AsyncMongoClient

from gateway.app import build_app
from gateway.jobs.sweep import sweep
from tests.auth.conftest import Account, AuthGateway, Factory
from tests.auth.test_credits import balance, state_of, stored
from tests.gateway.conftest import gateway_settings
from tests.support import job_worker, serve

REFUSAL = "text: this voice cannot say that"
PRICES = {"audio_generation": 2, "music_generation": 0, "lip_sync": 1, "image_generation": 0}


async def voiceover(gw: AuthGateway, who: Account, text: str) -> httpx.Response:
    return await gw.http.post(
        "/api/v1/ai/audio-generate",
        headers=who.headers,
        json={"text": text, "voiceId": "en-nova", "language": "en"},
    )


async def ended(gw: AuthGateway, job_id: str, who: Account) -> dict[str, Any]:
    async with asyncio.timeout(60):
        while True:
            r = await gw.http.get(f"/api/v1/ai/jobs/{job_id}/status", headers=who.headers)
            assert r.status_code == 200, r.text
            body: dict[str, Any] = r.json()
            if body["status"] in ("completed", "failed", "cancelled"):
                return body
            await asyncio.sleep(0.2)


async def test_an_ai_job_reserves_its_price_and_is_refunded_once_when_it_fails(
    make_gateway: Factory, services: respx.MockRouter
) -> None:
    services.post("/generate").respond(422, json={"detail": REFUSAL})
    async with make_gateway(credits_per_ai_job=PRICES) as gw:
        amy = await gw.register("amy")
        state = state_of(gw)
        queued = await voiceover(gw, amy, "Welcome to the studio")
        assert queued.status_code == 202, queued.text
        job_id = queued.json()["jobId"]
        reserved = await balance(gw, amy.headers)
        assert reserved["balance"] == 1
        entry = reserved["history"][0]
        assert (entry["type"], entry["amount"], entry["description"]) == (
            "deduction",
            -2,
            "AI generation (audio_generation)",
        )

        # The 1 left does not cover a second: refused before any job is recorded or queued.
        refused = await voiceover(gw, amy, "And welcome again")
        assert refused.status_code == 402
        assert refused.json()["detail"] == "Not enough credits: this needs 2, the balance is 1"
        assert await stored(gw, "jobs", {"_owner": amy.id}) == 1
        assert await state.queue.depth(state.queue.jobs_queue) == 1
        assert (await balance(gw, amy.headers))["balance"] == 1

        with job_worker(gw.settings, concurrency=1):
            status = await ended(gw, job_id, amy)
        assert status["status"] == "failed", status
        assert REFUSAL in status["error"], status
        # The sweep's repair of ended jobs finds nothing more to give back.
        await sweep(state)
        after = await balance(gw, amy.headers)
        assert after["balance"] == 3
        assert [(e["type"], e["amount"]) for e in after["history"]] == [
            ("refund", 2),
            ("deduction", -2),
            ("grant", 3),
        ]
        assert after["history"][0]["description"] == "Refund: the job failed at voice"


async def test_lip_sync_costs_a_credit_by_default_and_the_rest_are_free(gw: AuthGateway) -> None:
    # Voice, music and images are free as a pipeline's own audio and images stages are; a
    # lip-sync renders a video, so it costs what a render does.
    assert gw.settings.credits_per_ai_job == {
        "audio_generation": 0,
        "music_generation": 0,
        "lip_sync": 1,
        "image_generation": 0,
    }
    amy = await gw.register("amy")
    queued = await voiceover(gw, amy, "Free to say")
    assert queued.status_code == 202, queued.text
    body = await balance(gw, amy.headers)
    assert body["balance"] == 3
    assert [e["type"] for e in body["history"]] == ["grant"]


async def test_a_cancelled_ai_job_gives_its_credits_back(make_gateway: Factory) -> None:
    async with make_gateway(credits_per_ai_job=PRICES) as gw:
        amy = await gw.register("amy")
        queued = await voiceover(gw, amy, "Never said")
        assert queued.status_code == 202, queued.text
        assert (await balance(gw, amy.headers))["balance"] == 1
        job_id = queued.json()["jobId"]
        cancelled = await gw.http.delete(f"/api/v1/jobs/{job_id}", headers=amy.headers)
        assert cancelled.status_code == 200, cancelled.text
        after = await balance(gw, amy.headers)
        assert after["balance"] == 3
        assert [(e["type"], e["amount"]) for e in after["history"][:2]] == [
            ("refund", 2),
            ("deduction", -2),
        ]
        assert after["history"][0]["description"] == "Refund: the job was cancelled"


async def test_the_local_user_is_not_charged_for_ai_jobs(mongo_url: str, tmp_path: Path) -> None:
    settings = gateway_settings(mongo_url, tmp_path / "media", credits_per_ai_job=PRICES)
    app = build_app(settings)
    try:
        async with serve(app) as url, httpx.AsyncClient(base_url=url) as http:
            queued = await http.post(
                "/api/v1/ai/audio-generate",
                json={"text": "On the house", "voiceId": "en-nova", "language": "en"},
            )
            assert queued.status_code == 202, queued.text
            job = await app.state.gateway.jobs.doc(queued.json()["jobId"])
            assert (job["_owner"], job["_credits"]) == ("local", None)
            ledger = await app.state.gateway.db.db.command("count", "credit_ledger")
            assert ledger["n"] == 0
    finally:
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
        await client.drop_database(settings.mongodb_db)
        await client.close()
