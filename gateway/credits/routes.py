"""Credits over HTTP: the balance and its history, top-ups through Stripe Checkout, Stripe's
payment webhook, and an admin's grant (audited)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request

from contracts.credits import (
    CreditBalance,
    CreditEntry,
    GrantRequest,
    GrantResult,
    StripeWebhookAck,
    TopupRequest,
    TopupSession,
)
from contracts.errors import ApiError
from gateway.auth.principal import AccountPrincipal, Principal, require_permission
from gateway.auth.roles import USERS_MANAGE
from gateway.deps import AccountsDep, ClientIp, State

router = APIRouter(prefix="/api/v1", tags=["credits"])
Manager = Annotated[Principal, require_permission(USERS_MANAGE)]
IdempotencyKey = Annotated[str | None, Header(max_length=200, pattern=r"^[\x21-\x7e]+$")]


@router.get("/credits/balance", response_model=CreditBalance)
async def balance(
    principal: AccountPrincipal,
    state: State,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CreditBalance:
    amount, tier = await state.credits.balance(principal.user_id)
    history = await state.credits.history(principal.user_id, limit)
    return CreditBalance.model_validate(
        {
            "balance": amount,
            "tier": tier,
            "history": [CreditEntry.model_validate(h) for h in history],
        }
    )


@router.post("/credits/topup", response_model=TopupSession)
async def topup(body: TopupRequest, principal: AccountPrincipal, state: State) -> TopupSession:
    return await state.payments.create_topup(principal.user_id, body.quantity)


@router.post(
    "/webhooks/stripe/payment",
    response_model=StripeWebhookAck,
    tags=["webhooks"],
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {}}}},
)
async def stripe_payment(
    request: Request,
    state: State,
    stripe_signature: Annotated[str | None, Header(max_length=2000)] = None,
) -> StripeWebhookAck:
    # The signature covers the exact bytes Stripe sent, so the body is read raw.
    return await state.payments.webhook(await request.body(), stripe_signature)


@router.post("/admin/users/{user_id}/grant-credits", response_model=GrantResult, tags=["users"])
async def grant_credits(
    user_id: str,
    body: GrantRequest,
    admin: Manager,
    state: State,
    accounts: AccountsDep,
    ip: ClientIp,
    idempotency_key: IdempotencyKey = None,
) -> GrantResult:
    key = f"grant:{idempotency_key}" if idempotency_key else f"grant:{uuid.uuid4().hex}"
    entry, appended = await state.credits.post(
        user_id, key, "grant", body.amount, body.reason, granted_by=admin.user_id
    )
    if not appended and (entry["amount"] != body.amount or entry["description"] != body.reason):
        raise ApiError(409, "This Idempotency-Key was used for a different grant")
    if appended:
        await accounts.audit.record(
            "credits.grant",
            actor=admin.user_id,
            target=user_id,
            ip=ip,
            amount=body.amount,
            reason=body.reason,
        )
    balance, _ = await state.credits.balance(user_id)
    message = "Credits granted successfully" if appended else "Credits were already granted"
    return GrantResult(userId=user_id, newBalance=balance, message=message)
