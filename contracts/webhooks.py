"""Webhooks: endpoints a user registers for events, their delivery log, and the answers to the
signed calls other systems make (`/api/v1/webhooks/...`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.text import Text

WebhookEvent = Literal["job.done", "job.failed", "video.published", "credits.low"]
WEBHOOK_EVENTS: tuple[str, ...] = ("job.done", "job.failed", "video.published", "credits.low")
DeliveryStatus = Literal["pending", "delivered", "failed"]
MAX_ENDPOINTS_PER_USER = 20


class WebhookEndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[Text, Field(min_length=8, max_length=2000)]
    events: list[WebhookEvent] = Field(min_length=1, max_length=len(WEBHOOK_EVENTS))
    description: Annotated[Text, Field(max_length=200)] = ""


class WebhookEndpoint(BaseModel):
    id: str
    url: str
    events: list[WebhookEvent]
    description: str
    active: bool
    # Failed tries in a row; at the server's limit the endpoint is disabled.
    consecutive_failures: int
    disabled_reason: str | None
    createdAt: str


class WebhookEndpointCreated(WebhookEndpoint):
    # The signing secret (Standard Webhooks, whsec_...): shown in this answer only.
    secret: str


class DeliveryAttempt(BaseModel):
    at: str
    status_code: int | None
    # The start of the receiver's answer, or why no answer came.
    response: str | None
    error: str | None
    seconds: float


class WebhookDelivery(BaseModel):
    id: str
    endpoint_id: str
    event: WebhookEvent
    status: DeliveryStatus
    attempts: list[DeliveryAttempt]
    payload: dict[str, Any]
    createdAt: str
    updatedAt: str


class InboundReceipt(BaseModel):
    """What a signed incoming call is answered once it is recorded."""

    received: bool
    id: str
    event: str
