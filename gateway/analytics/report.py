"""The weekly report: the last seven days beside the seven before, day by day, as JSON, as a
chart (PNG or PDF) or mailed to the user."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from gateway.analytics import queries
from gateway.analytics.charts import ChartFormat, draw_report
from gateway.auth.mail import Attachment, Mail, MailSender
from gateway.db import Database


async def weekly(
    db: Database, owner: str | None, price: float, now: datetime | None = None
) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    start, before = queries.since_iso(7, now), queries.since_iso(14, now)
    end = queries.since_iso(0, now)
    days, this_week, last_week = await asyncio.gather(
        queries.trends(db, owner, start, price),
        queries.dashboard(db, owner, start, price),
        queries.dashboard(db, owner, before, price, start),
    )
    return {
        "week_start": start,
        "week_end": end,
        "this_week": this_week,
        "last_week": last_week,
        "days": days,
    }


async def chart(report: dict[str, Any], fmt: ChartFormat) -> bytes:
    return await asyncio.to_thread(draw_report, report, fmt)


def _change(now: float, before: float) -> str:
    if before == 0:
        return "new" if now else "no change"
    return f"{(now - before) / before:+.0%}"


def summary(report: dict[str, Any]) -> str:
    this, last = report["this_week"], report["last_week"]
    lines = [
        f"Your week, {report['week_start'][:10]} to {report['week_end'][:10]}:",
        "",
    ]
    for label, now, before in (
        ("Jobs", this["jobs"]["total"], last["jobs"]["total"]),
        ("Jobs done", this["jobs"]["done"], last["jobs"]["done"]),
        ("Jobs failed", this["jobs"]["failed"], last["jobs"]["failed"]),
        ("Render minutes", this["jobs"]["render_minutes"], last["jobs"]["render_minutes"]),
        ("Videos published", this["projects"]["published"], last["projects"]["published"]),
        ("Credits spent", this["credits"]["credits"], last["credits"]["credits"]),
        ("YouTube views", this["views"], last["views"]),
    ):
        lines.append(f"{label}: {now} ({_change(now, before)} on the week before)")
    return "\n".join(lines) + "\n"


async def mail(sender: MailSender, to: str, report: dict[str, Any]) -> None:
    week = report["week_start"][:10]
    charts = Attachment(f"weekly-report-{week}.pdf", "application/pdf", await chart(report, "pdf"))
    subject = f"AI Studio weekly report, week of {week}"
    await sender.send(Mail(to=to, subject=subject, body=summary(report), attachments=(charts,)))
