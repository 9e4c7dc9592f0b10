"""What a video cost: each step its jobs ran (provider, units, credits), from what the jobs
recorded as their stages ended, and the credits charged and refunded."""

from __future__ import annotations

from pymongo import ASCENDING

from contracts.videos import StepCost, VideoCost
from gateway.state import GatewayState

# A reservation in these states is (or will be) charged; a refunded one is not.
CHARGED = ("reserved", "settled")
MAX_JOBS = 1000


async def video_cost(state: GatewayState, video_id: str) -> VideoCost:
    cursor = state.jobs.collection.find(
        {"project_id": video_id}, sort=[("createdAt", ASCENDING), ("_id", ASCENDING)]
    ).limit(MAX_JOBS)
    steps: list[StepCost] = []
    total = refunded = 0
    async for job in cursor:
        record = job.get("_credits") or {}
        charged = record.get("state") in CHARGED
        if charged:
            total += int(record.get("reserved") or 0)
        elif record.get("state") == "refunded":
            refunded += int(record.get("reserved") or 0)
        costs = job.get("_cost") or {}
        for stage in job["stages"]:
            cost = costs.get(stage)
            if cost is None:
                continue  # not run (yet)
            steps.append(
                StepCost(
                    job_id=job["_id"],
                    kind=job["kind"],
                    stage=stage,
                    job_status=job["status"],
                    provider=cost["provider"],
                    units=cost["units"],
                    unit=cost["unit"],
                    price=cost["credits"],
                    credits=cost["credits"] if charged else 0,
                )
            )
    return VideoCost(video_id=video_id, total_credits=total, refunded_credits=refunded, steps=steps)
