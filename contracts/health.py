"""What a deployable's GET /health answers: that it is up, and how it is set up."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Health(BaseModel):
    status: str
    service: str
    version: str
    details: dict[str, Any] = {}
