"""Top-ups through Stripe Checkout (the official library against Stripe's documented HTTP API,
mocked by respx) and the payment webhook: the signature is verified, and a paid session grants
its credits exactly once however often (or however concurrently) Stripe delivers it."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import respx
from pymongo import AsyncMongoClient
from respx.patterns import M

from tests.auth.conftest import AuthGateway, Factory

STRIPE = "https://stripe.test"
SECRET = "whsec_test_0123456789abcdef"
SESSION = "cs_test_a1b2c3"
CHECKOUT_URL = f"https://checkout.stripe.com/c/pay/{SESSION}"
WEBHOOK = "/api/v1/webhooks/stripe/payment"


@pytest.fixture
def stripe_api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=STRIPE, assert_all_called=False) as mock:
        mock.route(~M(host="stripe.test")).pass_through()
        yield mock


@pytest.fixture
async def gw(make_gateway: Factory) -> AsyncIterator[AuthGateway]:
    async with make_gateway(
        stripe_api_key="sk_test_123", stripe_webhook_secret=SECRET, stripe_api_base=STRIPE
    ) as gateway:
        yield gateway


def session_answer(session_id: str = SESSION) -> dict[str, Any]:
    return {
        "id": session_id,
        "object": "checkout.session",
        "mode": "payment",
        "payment_status": "unpaid",
        "status": "open",
        "url": f"https://checkout.stripe.com/c/pay/{session_id}",
    }


def signed(payload: bytes, *, at: int | None = None, secret: str = SECRET) -> dict[str, str]:
    """Stripe's documented scheme: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<body>")."""
    stamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={stamp},v1={mac}", "Content-Type": "application/json"}


def event(
    event_id: str = "evt_1",
    session_id: str = SESSION,
    kind: str = "checkout.session.completed",
    payment_status: str = "paid",
) -> bytes:
    body = {
        "id": event_id,
        "object": "event",
        "type": kind,
        "api_version": "2025-01-27.acacia",
        "created": int(time.time()),
        "data": {
            "object": {**session_answer(session_id), "payment_status": payment_status},
        },
    }
    return json.dumps(body).encode()


async def count(gw: AuthGateway, collection: str, query: dict[str, Any]) -> int:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(gw.settings.mongodb_url)
    try:
        answer = await client[gw.settings.mongodb_db].command("count", collection, query=query)
        return int(answer["n"])
    finally:
        await client.close()


async def balance(gw: AuthGateway, headers: dict[str, str]) -> int:
    r = await gw.http.get("/api/v1/credits/balance", headers=headers)
    value: int = r.json()["balance"]
    return value


async def test_a_topup_creates_a_checkout_session(
    gw: AuthGateway, stripe_api: respx.MockRouter
) -> None:
    route = stripe_api.post("/v1/checkout/sessions").respond(200, json=session_answer())
    user = await gw.register("buyer")
    r = await gw.http.post("/api/v1/credits/topup", json={"quantity": 10}, headers=user.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "stripeSessionId": SESSION,
        "redirectUrl": CHECKOUT_URL,
        "quantity": 10,
        "amount": 1000,
        "currency": "usd",
    }
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == "Bearer sk_test_123"
    assert sent.headers["Idempotency-Key"].startswith("topup-")
    form = dict(urllib.parse.parse_qsl(sent.content.decode()))
    assert form["mode"] == "payment"
    assert form["line_items[0][quantity]"] == "10"
    assert form["line_items[0][price_data][unit_amount]"] == "100"
    assert form["line_items[0][price_data][currency]"] == "usd"
    assert form["metadata[user_id]"] == user.id
    assert form["client_reference_id"] == user.id
    assert form["success_url"] == "http://media.test/credits?checkout=success"
    # Nothing is granted before Stripe says the session is paid.
    assert await balance(gw, user.headers) == 3


async def test_bad_topups_are_refused_and_reach_no_stripe(
    gw: AuthGateway, stripe_api: respx.MockRouter
) -> None:
    route = stripe_api.post("/v1/checkout/sessions").respond(200, json=session_answer())
    user = await gw.register("picky")
    not_int = "Input should be a valid integer, unable to parse string as an integer"
    cases = [
        ({"quantity": 0}, "quantity: Input should be greater than or equal to 1"),
        ({"quantity": 10_000}, "quantity: a top-up buys between 1 and 1000 credits"),
        ({"quantity": "ten"}, f"quantity: {not_int}"),
        ({}, "quantity: Field required"),
    ]
    for body, detail in cases:
        r = await gw.http.post("/api/v1/credits/topup", json=body, headers=user.headers)
        assert (r.status_code, r.json()["detail"]) == (422, detail)
    assert not route.called
    assert await count(gw, "credit_topups", {}) == 0
    anonymous = await gw.http.post("/api/v1/credits/topup", json={"quantity": 1})
    assert anonymous.status_code == 401


async def test_a_stripe_refusal_is_502_and_stores_nothing(
    gw: AuthGateway, stripe_api: respx.MockRouter
) -> None:
    stripe_api.post("/v1/checkout/sessions").respond(
        400, json={"error": {"type": "invalid_request_error", "message": "No such price"}}
    )
    user = await gw.register("unlucky")
    r = await gw.http.post("/api/v1/credits/topup", json={"quantity": 5}, headers=user.headers)
    assert (r.status_code, r.json()["detail"]) == (
        502,
        "Stripe did not create the checkout session",
    )
    assert await count(gw, "credit_topups", {}) == 0


async def test_an_unreachable_stripe_is_503_with_retry_after(
    gw: AuthGateway, stripe_api: respx.MockRouter
) -> None:
    route = stripe_api.post("/v1/checkout/sessions").mock(
        side_effect=httpx.ConnectError("connection refused")
    )
    user = await gw.register("offline")
    r = await gw.http.post("/api/v1/credits/topup", json={"quantity": 5}, headers=user.headers)
    assert (r.status_code, r.json()["detail"]) == (503, "Stripe is unreachable; try again shortly")
    assert r.headers["Retry-After"] == "5"
    # The library retried with one idempotency key, so Stripe could never make two sessions.
    keys = {call.request.headers["Idempotency-Key"] for call in route.calls}
    assert route.call_count == 3
    assert len(keys) == 1
    assert await count(gw, "credit_topups", {}) == 0


async def test_topups_without_stripe_configured_are_404(make_gateway: Factory) -> None:
    async with make_gateway() as gw:
        user = await gw.register("early")
        r = await gw.http.post("/api/v1/credits/topup", json={"quantity": 5}, headers=user.headers)
        assert (r.status_code, r.json()["detail"]) == (
            404,
            "Payments are not configured on this server (STRIPE_API_KEY)",
        )
        payload = event()
        hook = await gw.http.post(WEBHOOK, content=payload, headers=signed(payload))
        assert (hook.status_code, hook.json()["detail"]) == (
            404,
            "Payments are not configured on this server (STRIPE_WEBHOOK_SECRET)",
        )
        assert await count(gw, "credit_topups", {}) == 0


async def bought(gw: AuthGateway, stripe_api: respx.MockRouter, quantity: int) -> Any:
    stripe_api.post("/v1/checkout/sessions").respond(200, json=session_answer())
    user = await gw.register("payer")
    r = await gw.http.post(
        "/api/v1/credits/topup", json={"quantity": quantity}, headers=user.headers
    )
    assert r.status_code == 200, r.text
    return user


async def test_a_paid_session_grants_its_credits_exactly_once(
    gw: AuthGateway, stripe_api: respx.MockRouter
) -> None:
    user = await bought(gw, stripe_api, 10)
    payload = event("evt_paid")
    first = await gw.http.post(WEBHOOK, content=payload, headers=signed(payload))
    assert first.status_code == 200, first.text
    assert first.json() == {"received": True, "granted": True, "message": "Granted 10 credits"}
    assert await balance(gw, user.headers) == 13
    history = (await gw.http.get("/api/v1/credits/balance", headers=user.headers)).json()
    assert history["history"][0]["type"] == "purchase"
    assert history["history"][0]["amount"] == 10
    assert history["history"][0]["description"] == "Purchase of 10 credits"

    # Stripe retries the same event, and sends another event about the same session.
    replay = await gw.http.post(WEBHOOK, content=payload, headers=signed(payload))
    assert replay.json() == {
        "received": True,
        "granted": False,
        "message": "These credits were already granted",
    }
    other = event("evt_async", kind="checkout.session.async_payment_succeeded")
    again = await gw.http.post(WEBHOOK, content=other, headers=signed(other))
    assert again.json()["granted"] is False
    assert await balance(gw, user.headers) == 13
    assert await count(gw, "credit_ledger", {"type": "purchase"}) == 1


async def test_concurrent_deliveries_grant_once(
    gw: AuthGateway, stripe_api: respx.MockRouter
) -> None:
    user = await bought(gw, stripe_api, 7)
    payload = event("evt_burst")

    async def deliver() -> httpx.Response:
        return await gw.http.post(WEBHOOK, content=payload, headers=signed(payload))

    answers = await asyncio.gather(*(deliver() for _ in range(8)))
    assert [a.status_code for a in answers] == [200] * 8
    assert sum(a.json()["granted"] for a in answers) == 1
    assert await balance(gw, user.headers) == 10


async def test_a_bad_or_old_signature_is_401_and_grants_nothing(
    gw: AuthGateway, stripe_api: respx.MockRouter
) -> None:
    user = await bought(gw, stripe_api, 10)
    payload = event("evt_forged")
    bad = "Invalid Stripe signature"
    cases = [
        (
            signed(payload, secret="whsec_wrong"),
            f"{bad}: No signatures found matching the expected signature for payload",
        ),
        (
            signed(payload, at=int(time.time()) - 600),
            f"{bad}: the event was signed more than 300 seconds ago",
        ),
        ({"Content-Type": "application/json"}, "Missing Stripe-Signature header"),
        (
            {"Stripe-Signature": "garbage"},
            f"{bad}: Unable to extract timestamp and signatures from header",
        ),
    ]
    for headers, detail in cases:
        r = await gw.http.post(WEBHOOK, content=payload, headers=headers)
        assert (r.status_code, r.json()["detail"]) == (401, detail)
    # A body changed after signing no longer matches its signature.
    tampered = event("evt_forged", payment_status="paid").replace(b"evt_forged", b"evt_other")
    r = await gw.http.post(WEBHOOK, content=tampered, headers=signed(payload))
    assert r.status_code == 401
    assert await balance(gw, user.headers) == 3
    assert await count(gw, "credit_ledger", {"type": "purchase"}) == 0


async def test_unpaid_unknown_and_other_events_grant_nothing(
    gw: AuthGateway, stripe_api: respx.MockRouter
) -> None:
    user = await bought(gw, stripe_api, 10)
    unpaid = event("evt_unpaid", payment_status="unpaid")
    unknown = event("evt_unknown", session_id="cs_test_not_ours")
    other = event("evt_expired", kind="checkout.session.expired")
    messages = []
    for payload in (unpaid, unknown, other):
        r = await gw.http.post(WEBHOOK, content=payload, headers=signed(payload))
        assert r.status_code == 200, r.text
        assert r.json()["granted"] is False
        messages.append(r.json()["message"])
    assert messages == [
        "The payment has not completed yet",
        "Unknown checkout session: cs_test_not_ours",
        "Ignored checkout.session.expired",
    ]
    bad_json = b"{not json"
    r = await gw.http.post(WEBHOOK, content=bad_json, headers=signed(bad_json))
    assert (r.status_code, r.json()["detail"]) == (
        400,
        "The body is not a Stripe event (invalid JSON)",
    )
    assert await balance(gw, user.headers) == 3
