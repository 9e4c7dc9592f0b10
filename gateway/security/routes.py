"""`/api/v1/roles`, `/plans`, `/api-keys` and `/audit`: who may do what, the keys that act
for a user, and the record of sensitive actions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from contracts.auth import (
    TIERS,
    ApiKey,
    ApiKeyCreate,
    ApiKeyCreated,
    AuditEntry,
    Plan,
    Plans,
    RoleInfo,
)
from contracts.text import Text
from gateway.auth.principal import (
    AccountPrincipal,
    CurrentPrincipal,
    Principal,
    require_feature,
    require_permission,
)
from gateway.auth.roles import AUDIT_READ, FEATURE_API_ACCESS, ROLE_PERMISSIONS, TIER_FEATURES
from gateway.credits.plans import plan_highlights
from gateway.deps import AccountsDep

router = APIRouter(prefix="/api/v1")
Auditor = Annotated[Principal, require_permission(AUDIT_READ)]


@router.get("/roles", response_model=list[RoleInfo], tags=["roles"])
async def roles(_: CurrentPrincipal) -> list[RoleInfo]:
    return [
        RoleInfo.model_validate({"name": name, "permissions": sorted(perms)})
        for name, perms in ROLE_PERMISSIONS.items()
    ]


@router.get("/plans", tags=["roles"])
async def plans(accounts: AccountsDep) -> Plans:
    s = accounts.settings
    return Plans(
        plans=[
            Plan(
                id=tier,
                name=tier.capitalize(),
                features=list(TIER_FEATURES[tier]),
                requests_per_minute=s.rate_limit_per_minute.get(tier, 0),
                video_generations_per_hour=s.rate_limit_video_per_hour.get(tier, 0),
                price=s.plan_prices.get(tier, 0.0),
                currency=s.stripe_currency,
                credits=s.plan_credits.get(tier, 0),
                highlights=plan_highlights(s, tier),
            )
            for tier in TIERS
        ]
    )


@router.get("/audit", response_model=list[AuditEntry], tags=["audit"])
async def audit(
    _: Auditor,
    accounts: AccountsDep,
    action: Annotated[Text | None, Query(max_length=64)] = None,
    actor: Annotated[Text | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> list[dict[str, Any]]:
    return await accounts.audit.latest(action, actor, limit)


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated, tags=["api keys"])
async def create_api_key(
    body: ApiKeyCreate, principal: AccountPrincipal, accounts: AccountsDep
) -> ApiKeyCreated:
    require_feature(principal, FEATURE_API_ACCESS)
    created = await accounts.api_keys.create(principal.user_id, body.name, body.expires_in_days)
    await accounts.audit.record("api_key.create", actor=principal.user_id, target=created.id)
    return created


@router.get("/api-keys", response_model=list[ApiKey], tags=["api keys"])
async def list_api_keys(principal: AccountPrincipal, accounts: AccountsDep) -> list[ApiKey]:
    return await accounts.api_keys.list(principal.user_id)


@router.delete("/api-keys/{key_id}", status_code=204, tags=["api keys"])
async def revoke_api_key(key_id: str, principal: AccountPrincipal, accounts: AccountsDep) -> None:
    await accounts.api_keys.revoke(principal.user_id, key_id)
    accounts.forget_cached()
    await accounts.audit.record("api_key.revoke", actor=principal.user_id, target=key_id)
