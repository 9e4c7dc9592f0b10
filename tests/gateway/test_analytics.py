"""Analytics over seeded jobs, projects, ledger entries and view snapshots: the figures a user
sees are theirs only, day by day, and the weekly report comes as JSON, PNG, PDF or a mail."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from matplotlib import image

from gateway.state import GatewayState
from tests.auth.conftest import AuthGateway
from tests.gateway.conftest import Gateway


def state_of(gateway: Gateway | AuthGateway) -> GatewayState:
    state: GatewayState = gateway.app.state.gateway
    return state


def ago(days: float) -> str:
    stamp = datetime.now(UTC) - timedelta(days=days)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def seed(state: GatewayState, owner: str, tag: str) -> None:
    db = state.db.db
    await db.jobs.insert_many(
        [
            {"_id": f"{tag}j1", "_owner": owner, "project_id": f"{tag}p1", "kind": "pipeline",
             "status": "done", "_seconds": 120.0, "createdAt": ago(1)},
            {"_id": f"{tag}j2", "_owner": owner, "project_id": f"{tag}p1", "kind": "render",
             "status": "failed", "createdAt": ago(1)},
            {"_id": f"{tag}j3", "_owner": owner, "project_id": f"{tag}p2", "kind": "render",
             "status": "done", "_seconds": 60.0, "createdAt": ago(3)},
            {"_id": f"{tag}j4", "_owner": owner, "project_id": f"{tag}p2", "kind": "render",
             "status": "done", "_seconds": 600.0, "createdAt": ago(10)},
            {"_id": f"{tag}j5", "_owner": owner, "project_id": f"{tag}p2", "kind": "render",
             "status": "done", "_seconds": 6000.0, "createdAt": ago(40)},
        ]
    )  # fmt: skip
    await db.projects.insert_many(
        [
            {"_id": f"{tag}p1", "_owner": owner, "title": "Tides", "duration": 90,
             "status": "uploaded_to_youtube", "youtube_video_id": f"{tag}yt1",
             "channel_id": f"{tag}ch", "createdAt": ago(1), "updatedAt": ago(1)},
            {"_id": f"{tag}p2", "_owner": owner, "title": "Stoics", "duration": 30,
             "status": "video_ready", "channel_id": f"{tag}ch", "createdAt": ago(3),
             "updatedAt": ago(3)},
        ]
    )  # fmt: skip
    # As gateway/credits/ledger.py writes them: spending is deductions less their refunds; a
    # purchase adds to the balance and is not spending.
    await db.credit_ledger.insert_many(
        [
            {"_id": f"{tag}c1", "user_id": owner, "seq": 1, "type": "purchase", "amount": 50,
             "balance": 50, "description": "Top-up", "createdAt": ago(4)},
            {"_id": f"{tag}c2", "user_id": owner, "seq": 2, "type": "deduction", "amount": -4,
             "balance": 46, "description": "Video generation (render)", "createdAt": ago(3)},
            {"_id": f"{tag}c3", "user_id": owner, "seq": 3, "type": "refund", "amount": 1,
             "balance": 47, "description": "Refund: the job failed at render",
             "createdAt": ago(3)},
            {"_id": f"{tag}c4", "user_id": owner, "seq": 4, "type": "deduction", "amount": -10,
             "balance": 37, "description": "Video generation (pipeline)", "createdAt": ago(1)},
        ]
    )  # fmt: skip
    await db.youtube_views.insert_many(
        [
            {"_id": f"{tag}v1", "owner": owner, "project_id": f"{tag}p1", "channel_id": f"{tag}ch",
             "date": ago(1)[:10], "views": 250},
            {"_id": f"{tag}v2", "owner": owner, "project_id": f"{tag}p1", "channel_id": f"{tag}ch",
             "date": ago(0)[:10], "views": 50},
        ]
    )  # fmt: skip


async def get(gateway: Gateway, path: str, **params: Any) -> Any:
    response = await gateway.http.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_dashboard_counts_the_callers_window_only(gateway: Gateway) -> None:
    state = state_of(gateway)
    await seed(state, "local", "a")
    await seed(state, "someone-else", "b")
    week = await get(gateway, "/api/v1/analytics/dashboard", days=7)
    assert week["jobs"] == {"total": 3, "done": 2, "failed": 1, "cancelled": 0, "active": 0,
                            "render_minutes": 3.0}  # fmt: skip
    assert week["projects"] == {"total": 2, "published": 1, "video_minutes": 2.0}
    # 10 + 4 spent, 1 given back; a credit is worth CREDIT_PRICE_CENTS (100).
    assert week["credits"] == {"credits": 13.0, "cost_usd": 13.0}
    assert week["views"] == 300
    month = await get(gateway, "/api/v1/analytics/dashboard", days=30)
    assert (month["jobs"]["total"], month["jobs"]["render_minutes"]) == (4, 13.0)


async def test_trends_and_costs_are_day_by_day(gateway: Gateway) -> None:
    await seed(state_of(gateway), "local", "a")
    trends = await get(gateway, "/api/v1/analytics/trends", days=7)
    days = {d["date"]: d for d in trends["days"]}
    assert len(trends["days"]) == 8  # the window's first day through today
    yesterday = days[ago(1)[:10]]
    assert (yesterday["jobs"], yesterday["done"], yesterday["failed"]) == (2, 1, 1)
    assert (yesterday["published"], yesterday["credits"], yesterday["views"]) == (1, 10.0, 250)
    assert sum(d["jobs"] for d in trends["days"]) == 3
    costs = await get(gateway, "/api/v1/analytics/costs", days=7)
    assert costs["total"] == {"credits": 13.0, "cost_usd": 13.0}
    assert costs["by_reason"] == [
        {"reason": "Video generation (pipeline)", "credits": 10.0, "cost_usd": 10.0},
        {"reason": "Video generation (render)", "credits": 4.0, "cost_usd": 4.0},
        {"reason": "Refund: the job failed at render", "credits": -1.0, "cost_usd": -1.0},
    ]


async def test_nothing_recorded_reads_as_zeros(gateway: Gateway) -> None:
    figures = await get(gateway, "/api/v1/analytics/dashboard")
    assert figures["jobs"]["total"] == 0
    assert figures["credits"] == {"credits": 0.0, "cost_usd": 0.0}
    assert figures["views"] == 0


async def test_video_and_channel_figures_and_others_are_404(gateway: Gateway) -> None:
    state = state_of(gateway)
    await seed(state, "local", "a")
    video = await get(gateway, "/api/v1/analytics/videos/ap1")
    assert (video["title"], video["views"], video["jobs"]["total"]) == ("Tides", 300, 2)
    assert video["youtube_video_id"] == "ayt1"
    channel = await get(gateway, "/api/v1/analytics/channels/ach")
    assert (channel["projects"]["total"], channel["views"]) == (2, 300)
    missing = await gateway.http.get("/api/v1/analytics/channels/nope")
    assert (missing.status_code, missing.json()["detail"]) == (404, "Channel not found: nope")
    bad = await gateway.http.get("/api/v1/analytics/dashboard", params={"days": 0})
    assert bad.status_code == 422
    assert "days" in bad.json()["detail"]


async def test_the_weekly_report_as_json_png_and_pdf(gateway: Gateway) -> None:
    await seed(state_of(gateway), "local", "a")
    report = await get(gateway, "/api/v1/analytics/reports/weekly")
    assert report["this_week"]["jobs"]["total"] == 3
    assert report["last_week"]["jobs"]["total"] == 1
    assert len(report["days"]) == 8
    png = await gateway.http.get("/api/v1/analytics/reports/weekly", params={"format": "png"})
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    pixels = image.imread(io.BytesIO(png.content), format="png")
    assert pixels.shape[:2] == (700, 900)
    # The done bars are drawn in green (#2e7d32), the failed in red (#c62828).
    rgb = (pixels[..., :3] * 255).round().astype(int)
    assert np.all(rgb == [0x2E, 0x7D, 0x32], axis=-1).sum() > 100
    assert np.all(rgb == [0xC6, 0x28, 0x28], axis=-1).sum() > 100
    pdf = await gateway.http.get("/api/v1/analytics/reports/weekly", params={"format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    bad = await gateway.http.get("/api/v1/analytics/reports/weekly", params={"format": "gif"})
    assert bad.status_code == 422
    assert "'json', 'png' or 'pdf'" in bad.json()["detail"]
