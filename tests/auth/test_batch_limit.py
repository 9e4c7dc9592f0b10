"""A batch of videos counts each video against the hourly generation limit, not the call."""

from __future__ import annotations

from tests.auth.conftest import Factory


async def test_a_batch_over_the_hourly_limit_is_429_and_queues_nothing(
    make_gateway: Factory,
) -> None:
    async with make_gateway(rate_limit_video_per_hour={"free": 3}) as gw:
        user = await gw.register("batcher")
        too_many = await gw.http.post(
            "/api/v1/videos/generate-batch",
            json={"topics": ["Tides", "Moons", "Stars", "Comets"]},
            headers=user.headers,
        )
        assert too_many.status_code == 429
        assert too_many.json()["detail"] == "Video generation limit reached: 3 per hour"
        listed = await gw.http.get("/projects", headers=user.headers)
        assert listed.json() == []
        jobs = await gw.http.get("/api/v1/jobs", headers=user.headers)
        assert jobs.json()["total"] == 0
