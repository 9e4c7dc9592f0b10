"""Credits: the balance derived from the ledger, reservations when a video is queued (402 when
the balance does not cover it), refunds when a job is cancelled or refused, admin grants, and
no credit spent twice however many requests race."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from pymongo import AsyncMongoClient

from gateway.jobs.sweep import sweep
from gateway.state import GatewayState
from tests.auth.conftest import AuthGateway, Factory

GENEROUS = {"free": 10_000, "pro": 10_000, "business": 10_000}


def state_of(gw: AuthGateway) -> GatewayState:
    state: GatewayState = gw.app.state.gateway
    return state


async def balance(gw: AuthGateway, headers: dict[str, str]) -> dict[str, Any]:
    r = await gw.http.get("/api/v1/credits/balance", headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def stored(gw: AuthGateway, collection: str, query: dict[str, Any]) -> int:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(gw.settings.mongodb_url)
    try:
        db = client[gw.settings.mongodb_db]
        answer = await db.command("count", collection, query=query)
        return int(answer["n"])
    finally:
        await client.close()


async def grant(gw: AuthGateway, user_id: str, amount: int, **headers: str) -> Any:
    admin = await gw.admin()
    return await gw.http.post(
        f"/api/v1/admin/users/{user_id}/grant-credits",
        json={"amount": amount, "reason": "Customer support compensation"},
        headers={**admin.headers, **headers},
    )


async def test_a_new_account_has_its_starting_credits_in_the_seed_shape(gw: AuthGateway) -> None:
    user = await gw.register("newbie")
    body = await balance(gw, user.headers)
    assert body["balance"] == 3
    assert body["tier"] == "free"
    [entry] = body["history"]
    assert (entry["type"], entry["amount"], entry["description"]) == (
        "grant",
        3,
        "Starting credits",
    )
    assert entry["createdAt"].endswith("Z")
    me = await gw.http.get("/api/v1/users/me", headers=user.headers)
    assert me.json()["credits"] == 3
    assert (await gw.http.get("/api/v1/credits/balance")).status_code == 401


async def test_a_video_reserves_its_credit_and_a_cancel_refunds_it(gw: AuthGateway) -> None:
    user = await gw.register("maker")
    started = await gw.http.post(
        "/api/v1/videos/generate", json={"topic": "Tides of the North Sea"}, headers=user.headers
    )
    assert started.status_code == 202, started.text
    after = await balance(gw, user.headers)
    assert after["balance"] == 2
    assert after["history"][0]["type"] == "deduction"
    assert after["history"][0]["amount"] == -1
    assert after["history"][0]["description"] == "Video generation (pipeline)"

    job_id = started.json()["job_id"]
    cancelled = await gw.http.delete(f"/api/v1/jobs/{job_id}", headers=user.headers)
    assert cancelled.status_code == 200, cancelled.text
    refunded = await balance(gw, user.headers)
    assert refunded["balance"] == 3
    assert [(e["type"], e["amount"]) for e in refunded["history"][:2]] == [
        ("refund", 1),
        ("deduction", -1),
    ]
    assert refunded["history"][0]["description"] == "Refund: the job was cancelled"
    # A second cancel is refused and gives nothing back twice.
    again = await gw.http.delete(f"/api/v1/jobs/{job_id}", headers=user.headers)
    assert again.status_code == 409
    assert (await balance(gw, user.headers))["balance"] == 3


async def test_not_enough_credits_is_402_before_anything_is_queued(gw: AuthGateway) -> None:
    user = await gw.register("broke")
    for topic in ("One topic", "Two topic", "Three topic"):
        r = await gw.http.post(
            "/api/v1/videos/generate", json={"topic": topic}, headers=user.headers
        )
        assert r.status_code == 202, r.text
    refused = await gw.http.post(
        "/api/v1/videos/generate", json={"topic": "Fourth topic"}, headers=user.headers
    )
    assert refused.status_code == 402
    assert refused.json()["detail"] == "Not enough credits: this needs 1, the balance is 0"
    assert await stored(gw, "projects", {"_owner": user.id}) == 3
    assert await stored(gw, "jobs", {"_owner": user.id}) == 3
    assert (await balance(gw, user.headers))["balance"] == 0

    batch = await gw.http.post(
        "/api/v1/videos/generate-batch", json={"topics": ["A topic", "B topic"]},
        headers=user.headers,
    )  # fmt: skip
    assert batch.status_code == 402
    assert batch.json()["detail"] == "Not enough credits: this needs 2, the balance is 0"
    assert await stored(gw, "projects", {"_owner": user.id}) == 3


async def test_a_refused_job_gives_its_credit_back(gw: AuthGateway) -> None:
    user = await gw.register("busy")
    project = await gw.http.post(
        "/api/v1/ai/video-generate", json={"prompt": "Lighthouses"}, headers=user.headers
    )
    assert project.status_code == 202, project.text
    project_id = project.json()["projectId"]
    # The project is held by its first job: a second is refused with 409 and costs nothing.
    busy = await gw.http.post(
        "/api/v1/ai/video-generate",
        json={"prompt": "Lighthouses", "projectId": project_id},
        headers=user.headers,
    )
    assert busy.status_code == 409
    body = await balance(gw, user.headers)
    assert body["balance"] == 2
    assert [e["type"] for e in body["history"][:3]] == ["refund", "deduction", "deduction"]
    assert body["history"][0]["description"] == "Refund: the job was refused"


async def test_concurrent_generations_never_spend_the_same_credit(make_gateway: Factory) -> None:
    async with make_gateway(rate_limit_video_per_hour=GENEROUS) as gw:
        user = await gw.register("racer")
        granted = await grant(gw, user.id, 7)
        assert granted.status_code == 200, granted.text
        assert granted.json()["newBalance"] == 10

        async def generate(i: int) -> int:
            r = await gw.http.post(
                "/api/v1/videos/generate", json={"topic": f"Topic {i}"}, headers=user.headers
            )
            assert r.status_code in (202, 402), r.text
            if r.status_code == 402:
                assert r.json()["detail"].startswith("Not enough credits: this needs 1")
            return r.status_code

        codes = await asyncio.gather(*(generate(i) for i in range(25)))
        assert codes.count(202) == 10
        assert codes.count(402) == 15
        body = await balance(gw, user.headers)
        assert body["balance"] == 0
        assert await state_of(gw).credits.recompute(user.id) == 0
        assert await stored(gw, "credit_ledger", {"user_id": user.id, "type": "deduction"}) == 10
        assert await stored(gw, "jobs", {"_owner": user.id}) == 10
        assert await stored(gw, "projects", {"_owner": user.id}) == 10


async def test_concurrent_grants_and_spends_keep_the_balance_exact(gw: AuthGateway) -> None:
    user = await gw.register("ledger")
    ledger = state_of(gw).credits
    spends = [
        ledger.post(user.id, f"spend-{i}", "deduction", -1, "Video generation") for i in range(12)
    ]
    grants = [ledger.post(user.id, f"gift-{i}", "grant", 1, "Gift") for i in range(6)]
    replays = [ledger.post(user.id, "gift-0", "grant", 1, "Gift") for _ in range(6)]
    outcomes = await asyncio.gather(*spends, *grants, *replays, return_exceptions=True)
    spent = sum(1 for o in outcomes[:12] if not isinstance(o, BaseException))
    refused = [o for o in outcomes[:12] if isinstance(o, BaseException)]
    assert all(getattr(o, "status", None) == 402 for o in refused)
    appended_grants = sum(1 for o in outcomes[12:] if not isinstance(o, BaseException) and o[1])
    assert appended_grants == 6  # the replays of gift-0 appended nothing
    final, _ = await ledger.balance(user.id)
    assert final == 3 + 6 - spent
    assert final >= 0
    assert await ledger.recompute(user.id) == final
    # One unbroken chain: consecutive numbers, each balance the one before plus its amount.
    chain = sorted(await ledger.history(user.id, 100), key=lambda h: h["seq"])
    assert [h["seq"] for h in chain] == list(range(1, len(chain) + 1))
    assert len(chain) == 1 + spent + 6
    for before, entry in itertools.pairwise(chain):
        assert entry["balance"] == before["balance"] + entry["amount"] >= 0


async def test_an_admin_grant_is_audited_and_counted_once_per_idempotency_key(
    gw: AuthGateway,
) -> None:
    user = await gw.register("lucky")
    first = await grant(gw, user.id, 10, **{"Idempotency-Key": "support-ticket-42"})
    assert first.status_code == 200, first.text
    assert first.json() == {
        "userId": user.id,
        "newBalance": 13,
        "message": "Credits granted successfully",
    }
    again = await grant(gw, user.id, 10, **{"Idempotency-Key": "support-ticket-42"})
    assert again.json() == {
        "userId": user.id,
        "newBalance": 13,
        "message": "Credits were already granted",
    }
    history = (await balance(gw, user.headers))["history"]
    assert history[0] == {
        "type": "grant",
        "amount": 10,
        "description": "Customer support compensation",
        "createdAt": history[0]["createdAt"],
        "balance": 13,
        "job_id": None,
    }
    admin = await gw.admin()
    audit = await gw.http.get("/api/v1/audit?action=credits.grant", headers=admin.headers)
    [entry] = audit.json()
    assert (entry["actor"], entry["target"]) == (admin.id, user.id)
    assert entry["details"] == {"amount": 10, "reason": "Customer support compensation"}


async def test_bad_grants_are_refused_and_grant_nothing(gw: AuthGateway) -> None:
    user, admin = await gw.register("target"), await gw.admin()
    url = f"/api/v1/admin/users/{user.id}/grant-credits"
    cases = [
        ({"amount": 0, "reason": "x"}, 422, "amount: Input should be greater than or equal to 1"),
        ({"amount": 5}, 422, "reason: Field required"),
        ({"amount": 5, "reason": ""}, 422, "reason: String should have at least 1 character"),
    ]
    for body, status, detail in cases:
        r = await gw.http.post(url, json=body, headers=admin.headers)
        assert (r.status_code, r.json()["detail"]) == (status, detail)
    missing = await gw.http.post(
        "/api/v1/admin/users/nobody/grant-credits",
        json={"amount": 5, "reason": "x"},
        headers=admin.headers,
    )
    assert (missing.status_code, missing.json()["detail"]) == (404, "User not found: nobody")
    own = await gw.http.post(url, json={"amount": 5, "reason": "x"}, headers=user.headers)
    assert (own.status_code, own.json()["detail"]) == (403, "Insufficient permissions")
    assert (await balance(gw, user.headers))["balance"] == 3
    assert await stored(gw, "credit_ledger", {"type": "grant", "amount": 5}) == 0


async def test_a_writer_that_died_before_moving_the_head_is_caught_up(gw: AuthGateway) -> None:
    user = await gw.register("crashed")
    ledger = state_of(gw).credits
    assert (await ledger.balance(user.id))[0] == 3
    # As a writer leaves it if it dies between appending its entry and moving the head.
    await ledger.entries.insert_one(
        {
            "_id": "grant:orphan",
            "user_id": user.id,
            "seq": 2,
            "type": "grant",
            "amount": 4,
            "balance": 7,
            "description": "Gift",
            "createdAt": "2026-12-07T00:00:00.000Z",
        }
    )
    assert (await balance(gw, user.headers))["balance"] == 7
    me = await gw.http.get("/api/v1/users/me", headers=user.headers)
    assert me.json()["credits"] == 7
    # The next entry follows the repaired head, not the stale one.
    entry, appended = await ledger.post(user.id, "spend-after", "deduction", -2, "Video")
    assert (appended, entry["seq"], entry["balance"]) == (True, 3, 5)
    assert await ledger.recompute(user.id) == 5


async def test_the_sweep_settles_or_refunds_what_a_dead_worker_left(gw: AuthGateway) -> None:
    user = await gw.register("orphaned")
    state = state_of(gw)
    jobs = []
    for topic in ("Failed one", "Done one"):
        r = await gw.http.post(
            "/api/v1/videos/generate", json={"topic": topic}, headers=user.headers
        )
        assert r.status_code == 202, r.text
        jobs.append(r.json()["job_id"])
    assert (await balance(gw, user.headers))["balance"] == 1
    # Both ended, but their worker died before the credits were settled or refunded.
    await state.jobs.finish(jobs[0], None, "failed", reason="boom")
    await state.jobs.finish(jobs[1], None, "done")
    counts = await sweep(state)
    assert counts["credits_repaired"] == 2
    assert (await balance(gw, user.headers))["balance"] == 2
    assert (await state.jobs.doc(jobs[0]))["_credits"]["state"] == "refunded"
    assert (await state.jobs.doc(jobs[1]))["_credits"]["state"] == "settled"
    assert (await sweep(state))["credits_repaired"] == 0
    assert (await balance(gw, user.headers))["balance"] == 2
