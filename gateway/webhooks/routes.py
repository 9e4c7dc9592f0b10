"""`/api/v1/webhooks`: a user's endpoints and their delivery log, and the signed calls n8n and
YouTube make to the gateway."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from contracts.errors import ApiError
from contracts.webhooks import (
    MAX_ENDPOINTS_PER_USER,
    InboundReceipt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
)
from gateway.auth.principal import CurrentPrincipal
from gateway.deps import State
from gateway.webhooks.addresses import check_url
from gateway.webhooks.inbound import hub_challenge, receive_n8n, receive_youtube
from gateway.webhooks.store import to_endpoint

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])
N8nEvent = Literal["video-complete", "youtube-upload", "cost-alert"]


@router.post("/endpoints", status_code=201, response_model=WebhookEndpointCreated)
async def create_endpoint(
    body: WebhookEndpointCreate, principal: CurrentPrincipal, state: State
) -> WebhookEndpointCreated:
    await check_url(body.url, state.settings.webhook_allow_private)
    if await state.webhooks.count_for(principal.user_id) >= MAX_ENDPOINTS_PER_USER:
        raise ApiError(409, f"At most {MAX_ENDPOINTS_PER_USER} webhook endpoints per user")
    return await state.webhooks.create(principal.user_id, body)


@router.get("/endpoints", response_model=list[WebhookEndpoint])
async def list_endpoints(principal: CurrentPrincipal, state: State) -> list[WebhookEndpoint]:
    return await state.webhooks.list_for(principal.user_id)


@router.get("/endpoints/{endpoint_id}", response_model=WebhookEndpoint)
async def get_endpoint(
    endpoint_id: str, principal: CurrentPrincipal, state: State
) -> WebhookEndpoint:
    return to_endpoint(await state.webhooks.owned(principal.user_id, endpoint_id))


@router.delete("/endpoints/{endpoint_id}", status_code=204)
async def delete_endpoint(endpoint_id: str, principal: CurrentPrincipal, state: State) -> None:
    await state.webhooks.delete(principal.user_id, endpoint_id)


@router.get("/endpoints/{endpoint_id}/deliveries", response_model=list[WebhookDelivery])
async def endpoint_deliveries(
    endpoint_id: str,
    principal: CurrentPrincipal,
    state: State,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> list[WebhookDelivery]:
    await state.webhooks.owned(principal.user_id, endpoint_id)
    return await state.webhooks.deliveries_of(endpoint_id, limit)


@router.post("/n8n/{event}", response_model=InboundReceipt)
async def n8n_webhook(event: N8nEvent, request: Request, state: State) -> InboundReceipt:
    return await receive_n8n(state, event, dict(request.headers), await request.body())


@router.post("/youtube/callback", response_model=InboundReceipt)
async def youtube_push(request: Request, state: State) -> InboundReceipt:
    return await receive_youtube(state, dict(request.headers), await request.body())


@router.get("/youtube/callback", response_class=PlainTextResponse)
async def youtube_verify(
    mode: Annotated[str | None, Query(alias="hub.mode", max_length=20)] = None,
    topic: Annotated[str | None, Query(alias="hub.topic", max_length=2000)] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge", max_length=500)] = None,
) -> str:
    return hub_challenge(mode, topic, challenge)
