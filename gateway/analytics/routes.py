"""`/api/v1/analytics/...` (the caller's own figures) and `/api/v1/admin/analytics` (everyone's)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from contracts.analytics import (
    AdminAnalytics,
    ChannelAnalytics,
    Costs,
    Dashboard,
    ReportMailed,
    Trends,
    VideoAnalytics,
    WeeklyReport,
)
from contracts.errors import ApiError
from gateway.analytics import queries, report
from gateway.auth.principal import CurrentPrincipal, Principal, require_permission
from gateway.auth.roles import USERS_READ
from gateway.deps import AccountsDep, State
from gateway.projects.store import check_access
from gateway.state import GatewayState

router = APIRouter(tags=["analytics"])
Days = Annotated[int, Query(ge=1, le=366, description="The window: this many days back")]
Reader = Annotated[Principal, require_permission(USERS_READ)]
MEDIA_TYPES = {"png": "image/png", "pdf": "application/pdf"}


def credit_price(state: GatewayState) -> float:
    """Dollars per credit: what a top-up charges (CREDIT_PRICE_CENTS)."""
    return state.settings.credit_price_cents / 100


@router.get("/api/v1/analytics/dashboard", response_model=Dashboard)
async def dashboard(principal: CurrentPrincipal, state: State, days: Days = 30) -> Dashboard:
    figures = await queries.dashboard(
        state.db, principal.user_id, queries.since_iso(days), credit_price(state)
    )
    return Dashboard.model_validate(figures)


@router.get("/api/v1/analytics/trends", response_model=Trends)
async def trends(principal: CurrentPrincipal, state: State, days: Days = 30) -> Trends:
    since = queries.since_iso(days)
    rows = await queries.trends(state.db, principal.user_id, since, credit_price(state))
    return Trends.model_validate({"since": since, "days": rows})


@router.get("/api/v1/analytics/costs", response_model=Costs)
async def costs(principal: CurrentPrincipal, state: State, days: Days = 30) -> Costs:
    since = queries.since_iso(days)
    return Costs.model_validate(
        await queries.costs(state.db, principal.user_id, since, credit_price(state))
    )


@router.get("/api/v1/analytics/channels/{channel_id}", response_model=ChannelAnalytics)
async def channel(
    channel_id: str, principal: CurrentPrincipal, state: State, days: Days = 30
) -> ChannelAnalytics:
    since = queries.since_iso(days)
    figures = await queries.channel(state.db, principal.user_id, channel_id, since)
    if figures is None:
        raise ApiError(404, f"Channel not found: {channel_id}")
    return ChannelAnalytics.model_validate(figures)


@router.get("/api/v1/analytics/videos/{project_id}", response_model=VideoAnalytics)
async def video(
    project_id: str, principal: CurrentPrincipal, state: State, days: Days = 30
) -> VideoAnalytics:
    doc = await state.db.projects.find_one({"_id": project_id})
    project = check_access(doc, project_id, principal, "read")
    figures = await queries.video(state.db, project, queries.since_iso(days))
    return VideoAnalytics.model_validate(figures)


@router.get(
    "/api/v1/analytics/reports/weekly",
    response_model=WeeklyReport,
    responses={200: {"content": {"image/png": {}, "application/pdf": {}}}},
)
async def weekly_report(
    principal: CurrentPrincipal,
    state: State,
    format: Literal["json", "png", "pdf"] = "json",
) -> WeeklyReport | Response:
    figures = await report.weekly(state.db, principal.user_id, credit_price(state))
    if format == "json":
        return WeeklyReport.model_validate(figures)
    body = await report.chart(figures, format)
    name = f"weekly-report-{figures['week_start'][:10]}.{format}"
    return Response(
        body,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@router.post("/api/v1/analytics/reports/weekly/mail", status_code=202, response_model=ReportMailed)
async def mail_weekly_report(
    principal: CurrentPrincipal, state: State, accounts: AccountsDep
) -> ReportMailed:
    user = await accounts.users.by_id(principal.user_id)
    if user is None or not user.get("email"):
        raise ApiError(422, "This account has no email address to send the report to")
    figures = await report.weekly(state.db, principal.user_id, credit_price(state))
    await report.mail(accounts.mail, user["email"], figures)
    return ReportMailed(sent_to=user["email"])


def _system_load() -> dict[str, float | None]:
    cores = os.cpu_count() or 1
    cpu = (
        round(min(os.getloadavg()[0] / cores, 1.0) * 100, 1) if hasattr(os, "getloadavg") else None
    )
    memory = None
    with contextlib.suppress(OSError, ValueError, KeyError, ZeroDivisionError):
        fields = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        total, free = (int(fields[k].split()[0]) for k in ("MemTotal", "MemAvailable"))
        memory = round((total - free) / total * 100, 1)
    return {"cpuUsage": cpu, "memoryUsage": memory}


@router.get("/api/v1/admin/analytics", response_model=AdminAnalytics, tags=["admin"])
@router.get("/admin/analytics", response_model=AdminAnalytics, tags=["admin"])
async def admin_analytics(_: Reader, state: State, days: Days = 30) -> AdminAnalytics:
    since = queries.since_iso(days)
    depth = await state.queue.depth(state.queue.jobs_queue)
    return AdminAnalytics.model_validate(
        {
            **await queries.platform(state.db, since),
            "systemLoad": {**_system_load(), "queueDepth": depth},
            "since": since,
            "totals": await queries.dashboard(state.db, None, since, credit_price(state)),
            "top_users": await queries.top_users(state.db, since, 10),
        }
    )
