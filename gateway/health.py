"""Liveness, readiness (database, storage, Redis and each service) and a summary for people."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from contracts.health import GatewayHealth, Live, Readiness
from gateway.deps import State
from gateway.state import GatewayState

router = APIRouter(tags=["health"])
CHECK_TIMEOUT = 3.0


async def _check(coro: Any) -> dict[str, Any]:
    try:
        details = await asyncio.wait_for(coro, CHECK_TIMEOUT)
    except TimeoutError:
        return {"status": "down", "reason": "timed out"}
    except Exception as exc:
        # The exception's class is enough for an operator; its text may carry internals.
        return {"status": "down", "reason": type(exc).__name__}
    out = {"status": "ok"}
    if isinstance(details, dict):
        out.update({k: v for k, v in details.items() if k in ("version", "details")})
    return out


async def components(state: GatewayState) -> dict[str, dict[str, Any]]:
    # Redis is the job queue: without it nothing can be queued (submits answer 503).
    names = ["database", "storage", "redis"] + [s.name for s in state.services.all()]
    checks: list[Coroutine[Any, Any, Any]] = [
        state.db.ping(),
        state.storage.ping(),
        state.queue.ping(),
    ]
    checks += [s.health() for s in state.services.all()]
    results = await asyncio.gather(*(_check(c) for c in checks))
    return dict(zip(names, results, strict=True))


@router.get("/health/live")
async def live() -> Live:
    return Live(status="ok")


# The component checks are documented by model but sent as they are, so an absent field stays
# absent rather than null.
@router.get("/health/ready", response_model=None, responses={200: {"model": Readiness}})
async def ready(state: State) -> JSONResponse:
    parts = await components(state)
    ok = all(p["status"] == "ok" for p in parts.values())
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "components": parts}, 200 if ok else 503
    )


@router.get("/health", response_model=None, responses={200: {"model": GatewayHealth}})
async def health(state: State) -> dict[str, Any]:
    parts = await components(state)
    ok = all(p["status"] == "ok" for p in parts.values())
    return {"status": "ok" if ok else "degraded", "service": "gateway", "components": parts}
