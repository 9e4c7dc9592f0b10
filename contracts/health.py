"""What a deployable's GET /health answers: that it is up, and how it is set up."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel


class Health(BaseModel):
    status: str
    service: str
    version: str
    details: dict[str, Any] = {}


class Live(BaseModel):
    status: Literal["ok"]


class ComponentHealth(BaseModel):
    """One dependency as the gateway sees it; a service's own health adds its version."""

    status: Literal["ok", "down"]
    reason: str | None = None  # why it is down
    version: str | None = None
    details: dict[str, Any] | None = None


class Readiness(BaseModel):
    """`GET /health/ready`: 503 with `unavailable` while any component is down."""

    status: Literal["ok", "unavailable"]
    components: dict[str, ComponentHealth]


class GatewayHealth(BaseModel):
    status: Literal["ok", "degraded"]
    service: str
    components: dict[str, ComponentHealth]
