"""`GET /api/v1/plans`: seed 001's shape (id, name, price, credits, features in words) beside
the limits and feature codes it already showed; public, as the pricing page needs."""

from __future__ import annotations

from pathlib import Path

import httpx
from pymongo import AsyncMongoClient

from gateway.app import build_app
from tests.gateway.conftest import Gateway, gateway_settings
from tests.support import serve


async def test_plans_show_price_credits_and_features(gateway: Gateway) -> None:
    r = await gateway.http.get("/api/v1/plans")
    assert r.status_code == 200
    free, pro, business = r.json()["plans"]
    assert free == {
        "id": "free",
        "name": "Free",
        "price": 0.0,
        "currency": "usd",
        "credits": 3,
        "features": ["basic", "watermark"],
        "highlights": ["Watermarked videos", "3 videos/month"],
        "requests_per_minute": 100,
        "video_generations_per_hour": 10,
    }
    assert (pro["id"], pro["price"], pro["credits"]) == ("pro", 29.0, 30)
    assert pro["highlights"] == ["Stock assets", "No watermark", "30 videos/month"]
    assert (business["id"], business["price"], business["credits"]) == ("business", 99.0, 100)
    assert "API access" in business["highlights"]


async def test_plans_follow_the_settings(mongo_url: str, tmp_path: Path) -> None:
    settings = gateway_settings(
        mongo_url,
        tmp_path,
        plan_prices={"free": 0, "pro": 19.5, "business": 79},
        plan_credits={"free": 5, "pro": 60, "business": 200},
        credits_per_stage={"render": 2},
        auth_required=True,
        auth_jwt_keys={"k1": "k" * 40},
    )
    async with serve(build_app(settings)) as url, httpx.AsyncClient(base_url=url) as http:
        r = await http.get("/api/v1/plans")  # no credentials: the route is public
        assert r.status_code == 200
        free, pro, _ = r.json()["plans"]
        assert (free["credits"], free["highlights"][-1]) == (5, "2 videos/month")
        assert (pro["price"], pro["credits"], pro["highlights"][-1]) == (
            19.5,
            60,
            "30 videos/month",
        )
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    await client.drop_database(settings.mongodb_db)
    await client.close()
