"""Webhook endpoints belong to their account: others cannot see them, and they go with it."""

from __future__ import annotations

from tests.auth.conftest import Factory


async def test_endpoints_are_private_to_their_account_and_deleted_with_it(
    make_gateway: Factory,
) -> None:
    async with make_gateway(webhook_allow_private=True) as gw:
        alice, bob = await gw.register("alice"), await gw.register("bob")
        created = await gw.http.post(
            "/api/v1/webhooks/endpoints",
            json={"url": "http://127.0.0.1:9/hook", "events": ["job.done", "job.failed"]},
            headers=alice.headers,
        )
        assert created.status_code == 201, created.text
        endpoint = created.json()["id"]
        listed = await gw.http.get("/api/v1/webhooks/endpoints", headers=bob.headers)
        assert listed.json() == []
        for path in (f"/api/v1/webhooks/endpoints/{endpoint}",
                     f"/api/v1/webhooks/endpoints/{endpoint}/deliveries"):  # fmt: skip
            seen = await gw.http.get(path, headers=bob.headers)
            assert seen.status_code == 404
            assert seen.json()["detail"] == f"Webhook endpoint not found: {endpoint}"
        gone = await gw.http.delete("/api/v1/users/me", headers=alice.headers)
        assert gone.status_code == 200, gone.text
        collection = gw.app.state.gateway.webhooks.endpoints
        assert await collection.find_one({"_id": endpoint}) is None
