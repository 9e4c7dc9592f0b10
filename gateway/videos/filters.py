"""Seed 003's video filters (channel, status, creation dates) as the project list query the
project store already runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from contracts.errors import ApiError
from gateway.projects.query import ListQuery, parse_list_query


def _stamp(name: str, value: str, end_of_day: bool) -> str:
    """A date or date-time as stored timestamps are written (ISO, milliseconds, Z), so they
    compare as strings; a bare date covers its whole day."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day, time.max if end_of_day else time.min, UTC)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: an offset pushing it past year 1
        raise ApiError(
            422,
            f"{name}: expected a date (2026-01-31) or an ISO date-time, got {value[:40]!r}",
            details={"field": name},
        ) from None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def video_query(
    *,
    channel: str | None,
    status: str | None,
    created_from: str | None,
    created_to: str | None,
    page: int,
    limit: int,
) -> ListQuery:
    params: list[tuple[str, str]] = [("_page", str(page)), ("_limit", str(limit))]
    if channel is not None:
        params.append(("channel_id", channel))
    if status is not None:
        params.append(("status", status))
    if created_from is not None:
        params.append(("createdAt_gte", _stamp("created_from", created_from, False)))
    if created_to is not None:
        params.append(("createdAt_lte", _stamp("created_to", created_to, True)))
    # Newest first, as a list of one's videos reads.
    params.append(("_sort", "createdAt"))
    params.append(("_order", "desc"))
    return parse_list_query(params)
