"""Credits for jobs: reserved when a job is queued, settled when it is done, refunded when it
fails, is cancelled or is refused; and what each stage cost, recorded as it ends.

The reservation is a deduction under the key `job:<id>:reserve`; the refund an entry under
`job:<id>:refund`, so neither can happen twice. A done job keeps its deduction (settled). The
job document carries `_credits` (who pays, the price of each stage, and its state), written
before the job's first message is sent, so every way a job can end finds it.

The local user (local mode) is not charged, as it is not rate limited: it is the operator.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from pymongo.errors import ConnectionFailure

from contracts.errors import ApiError
from gateway.auth.principal import Principal
from gateway.credits.ledger import InsufficientCredits
from gateway.db import Doc
from gateway.settings import GatewaySettings
from gateway.state import GatewayState
from gateway.webhooks.delivery import emit

log = logging.getLogger("gateway.credits")

# Which service does each stage, and what a unit of its work is.
STAGE_SERVICE = {
    "script": ("script", "scenes"),
    "audio": ("audio", "seconds"),
    "images": ("image", "images"),
    "render": ("video", "seconds"),
    "subtitles": ("video", "seconds"),
}


def stage_prices(settings: GatewaySettings, stages: list[str]) -> dict[str, int]:
    return {stage: int(settings.credits_per_stage.get(stage, 0)) for stage in stages}


def price_of(settings: GatewaySettings, stages: list[str]) -> int:
    return sum(stage_prices(settings, stages).values())


def charged(principal: Principal | None) -> bool:
    return principal is not None and not principal.is_local


async def ensure_covers(
    state: GatewayState, principal: Principal, stages: list[str], count: int
) -> None:
    """402 up front when the balance cannot cover `count` jobs, so a batch is all or nothing
    (each job still reserves its own credits, which is what keeps the balance exact)."""
    if not charged(principal):
        return
    needed = price_of(state.settings, stages) * count
    balance, _ = await state.credits.balance(principal.user_id)
    if needed > balance:
        raise InsufficientCredits(balance, needed)


def ai_prices(settings: GatewaySettings, kind: str, stage: str) -> dict[str, int]:
    """A user's own AI job has one stage, priced by the job's kind."""
    return {stage: int(settings.credits_per_ai_job.get(kind, 0))}


async def reserve(
    state: GatewayState,
    principal: Principal | None,
    job_id: str,
    kind: str,
    stages: list[str],
    prices: dict[str, int] | None = None,
    what: str = "Video generation",
) -> Doc | None:
    """Take the job's credits (402 if the balance does not cover them); None when free."""
    if principal is None or not charged(principal):
        return None
    if prices is None:
        prices = stage_prices(state.settings, stages)
    total = sum(prices.values())
    if total > 0:
        entry, appended = await state.credits.post(
            principal.user_id,
            f"job:{job_id}:reserve",
            "deduction",
            -total,
            f"{what} ({kind})",
            job_id=job_id,
        )
        low = state.settings.credits_low_threshold
        if appended and entry["balance"] + total > low >= entry["balance"]:
            # Once, as the balance crosses the threshold, not on every job below it.
            await emit(
                state, principal.user_id, "credits.low", {"balance": entry["balance"], "below": low}
            )
    return {"user_id": principal.user_id, "reserved": total, "prices": prices, "state": "reserved"}


async def refund_record(state: GatewayState, job_id: str, record: Doc | None, why: str) -> None:
    if not record or not record.get("reserved"):
        return
    await state.credits.post(
        record["user_id"],
        f"job:{job_id}:refund",
        "refund",
        int(record["reserved"]),
        f"Refund: {why}",
        job_id=job_id,
    )


async def refund(state: GatewayState, doc: Doc, why: str) -> None:
    """Give back a failed or cancelled job's credits (once, whoever calls)."""
    record = doc.get("_credits")
    if not record or record.get("state") != "reserved":
        return
    try:
        await refund_record(state, doc["_id"], record, why)
    except ApiError as exc:  # the account is gone: nothing to give back to
        log.warning("job %s: no refund: %s", doc["_id"], exc.detail)
    await state.jobs.set(doc["_id"], **{"_credits.state": "refunded"})


async def settle(state: GatewayState, doc: Doc) -> None:
    if doc.get("_credits") and doc["_credits"].get("state") == "reserved":
        await state.jobs.set(doc["_id"], **{"_credits.state": "settled"})


async def settle_or_refund(state: GatewayState, doc: Doc) -> None:
    """For an ended job (the sweep's repair): whatever its end did not get to."""
    if doc["status"] == "done":
        await settle(state, doc)
    else:
        await refund(state, doc, f"the job {doc['status']}")


def stage_cost(settings_prices: dict[str, Any], stage: str, project: Doc) -> Doc:
    """What one stage used: the provider, how many units, and the credits it is priced at."""
    service, unit = STAGE_SERVICE.get(stage, (stage, "runs"))
    units: float = 1
    provider = service
    if stage == "script":
        provider = str(project.get("script_provider") or service)
        units = len(project.get("script_sections") or [])
    elif stage == "audio":
        units = round(float(project.get("audio_duration") or 0), 3)
    elif stage == "images":
        units = sum(1 for i in project.get("images") or [] if isinstance(i, dict) and i.get("url"))
    elif stage in ("render", "subtitles"):
        units = round(float(project.get("duration") or 0), 3)
    return {
        "provider": provider,
        "units": units,
        "unit": unit,
        "credits": int(settings_prices.get(stage, 0)),
    }


async def cost_fields(
    state: GatewayState, doc: Doc, stage: str, produced: Doc | None = None
) -> Doc:
    """The `_cost.<stage>` field to record on the job as the stage ends, from the project and
    what the stage produced but has not written yet (best effort: a cost that cannot be read
    must not fail the job)."""
    prices = (doc.get("_credits") or {}).get("prices") or stage_prices(state.settings, [stage])
    with contextlib.suppress(ApiError, ConnectionFailure):
        project = await state.projects.get(doc["project_id"])
        return {f"_cost.{stage}": stage_cost(prices, stage, {**project, **(produced or {})})}
    return {}
