"""Who is asking: the principal the auth middleware attaches to each request, and the checks.

Checks are FastAPI dependencies so a route states what it needs in its signature; they are
`async def` because FastAPI runs a plain `def` dependency in a worker thread.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import Depends, Request

from contracts.errors import ApiError
from gateway.auth.roles import ROLE_PERMISSIONS, TIER_FEATURES, permissions

Via = Literal["local", "token", "api_key", "proxy"]
LOCAL_USER_ID = "local"


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    role: str
    tier: str
    via: Via
    # The access token's id and refresh family, so logout can revoke exactly this session.
    token_id: str | None = None
    family: str | None = None
    token_exp: float | None = None
    perms: frozenset[str] = field(default=frozenset())

    def can(self, permission: str) -> bool:
        return permission in self.perms

    def has_feature(self, feature: str) -> bool:
        return feature in TIER_FEATURES.get(self.tier, ()) or self.role == "admin"

    @property
    def is_local(self) -> bool:
        return self.via == "local"


def principal_for(
    user_id: str,
    role: str,
    tier: str,
    via: Via,
    *,
    token_id: str | None = None,
    family: str | None = None,
    token_exp: float | None = None,
) -> Principal:
    return Principal(user_id, role, tier, via, token_id, family, token_exp, permissions(role))


# The operator of a loopback-only gateway: it sees every project, as the app did with JSON Server.
LOCAL = Principal(LOCAL_USER_ID, "admin", "business", "local", perms=ROLE_PERMISSIONS["admin"])


# Set by the auth middleware for the request being served, for code that loads a project
# without a FastAPI dependency in reach (generation helpers called with an id).
principal_var: ContextVar[Principal | None] = ContextVar("principal", default=None)


def request_principal() -> Principal | None:
    return principal_var.get()


async def optional_principal(request: Request) -> Principal | None:
    principal: Principal | None = request.scope.get("state", {}).get("principal")
    return principal


async def current_principal(request: Request) -> Principal:
    principal = await optional_principal(request)
    if principal is None:
        raise ApiError(401, "Authentication required", headers={"WWW-Authenticate": "Bearer"})
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def account_principal(principal: CurrentPrincipal) -> Principal:
    """Routes about one's own account: the built-in local user has none."""
    if principal.is_local:
        raise ApiError(
            401,
            "This route needs a user account; send a Bearer token or an X-API-Key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


AccountPrincipal = Annotated[Principal, Depends(account_principal)]


def require_permission(permission: str) -> Any:
    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.can(permission):
            raise ApiError(403, "Insufficient permissions", details={"required": permission})
        return principal

    return Depends(check)


def require_feature(principal: Principal, feature: str) -> None:
    if not principal.has_feature(feature):
        tiers = [t for t, features in TIER_FEATURES.items() if feature in features]
        raise ApiError(
            403,
            f"Your plan ({principal.tier}) does not include {feature}; available on: "
            + ", ".join(tiers),
            details={"feature": feature, "tiers": tiers},
        )
