"""`/api/v1/users`: one's own profile, usage and account deletion; admin listing and role
changes; seed 001's `/users/register`, `/users/login` (which answer `{user, token}`) and
`/users/profile` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from contracts.auth import (
    AdminUserUpdate,
    LegacyAuthResponse,
    Limits,
    LoginRequest,
    Message,
    RegisterRequest,
    RoleChange,
    Tier,
    Usage,
    User,
    UserList,
    UserUpdate,
)
from contracts.errors import ApiError
from contracts.text import Text
from gateway.auth.principal import (
    AccountPrincipal,
    Principal,
    require_permission,
)
from gateway.auth.roles import (
    TIER_FEATURES,
    USERS_MANAGE,
    USERS_READ,
)
from gateway.auth.service import Accounts
from gateway.deps import AccountsDep, ClientIp
from gateway.users.store import user_out

router = APIRouter(prefix="/api/v1", tags=["users"])
Reader = Annotated[Principal, require_permission(USERS_READ)]
Manager = Annotated[Principal, require_permission(USERS_MANAGE)]


@router.post("/users/register", status_code=201, response_model=LegacyAuthResponse)
async def register_legacy(
    body: RegisterRequest, accounts: AccountsDep, ip: ClientIp
) -> LegacyAuthResponse:
    user = await accounts.register(body.email, body.password, body.name, ip)
    return accounts.legacy(await accounts.tokens_for(user))


@router.post("/users/login", response_model=LegacyAuthResponse)
async def login_legacy(
    body: LoginRequest, accounts: AccountsDep, ip: ClientIp
) -> LegacyAuthResponse:
    user = await accounts.login(body.email, body.password, ip)
    return accounts.legacy(await accounts.tokens_for(user))


async def _update_me(principal: Principal, body: UserUpdate, accounts: Accounts) -> User:
    user = await accounts.users.get(principal.user_id)
    if body.new_password is not None:
        await accounts.change_password(user, body.current_password, body.new_password)
    if body.name is not None:
        user = await accounts.users.update(principal.user_id, {"name": body.name})
    return user_out(user)


@router.get("/users/me", response_model=User)
async def me(principal: AccountPrincipal, accounts: AccountsDep) -> User:
    return user_out(await accounts.users.get(principal.user_id))


@router.patch("/users/me", response_model=User)
async def update_me(principal: AccountPrincipal, body: UserUpdate, accounts: AccountsDep) -> User:
    return await _update_me(principal, body, accounts)


@router.get("/users/profile", response_model=User)
async def profile(principal: AccountPrincipal, accounts: AccountsDep) -> User:
    return user_out(await accounts.users.get(principal.user_id))


@router.put("/users/profile", response_model=User)
async def update_profile(
    principal: AccountPrincipal, body: UserUpdate, accounts: AccountsDep
) -> User:
    return await _update_me(principal, body, accounts)


@router.delete("/users/me", response_model=Message)
async def delete_me(principal: AccountPrincipal, accounts: AccountsDep) -> Message:
    gone = await accounts.delete_account(principal.user_id, principal.user_id)
    return Message(
        message=f"Account deleted with {gone['projects']} projects and {gone['media']} media files"
    )


@router.get("/users/me/usage", response_model=Usage)
async def usage(principal: AccountPrincipal, accounts: AccountsDep) -> Usage:
    s = accounts.settings
    user = await accounts.users.get(principal.user_id)
    tier = user["tier"]
    return Usage(
        tier=tier,
        role=user["role"],
        credits=int(user.get("credits", 0)),
        projects=await accounts.db.projects.count_documents({"_owner": principal.user_id}),
        api_keys=await accounts.api_keys.count(principal.user_id),
        limits=Limits(
            requests_per_minute=s.rate_limit_per_minute.get(tier, 0),
            video_generations_per_hour=s.rate_limit_video_per_hour.get(tier, 0),
        ),
        requests_this_minute=await accounts.rate.peek(f"req:{principal.user_id}", 60),
        video_generations_this_hour=await accounts.rate.peek(f"video:{principal.user_id}", 3600),
        features=list(TIER_FEATURES.get(tier, ())),
    )


async def _list_users(
    accounts: Accounts, search: str | None, tier: Tier | None, page: int, limit: int
) -> UserList:
    docs, total = await accounts.users.list(search, tier, page, limit)
    return UserList(users=[user_out(d) for d in docs], page=page, limit=limit, total=total)


Search = Annotated[Text | None, Query(max_length=100)]
Page = Annotated[int, Query(ge=1, le=100_000)]
Limit = Annotated[int, Query(ge=1, le=100)]


# Seed 003's `/users` and seed 001's `/admin/users`: one handler under both paths.
@router.get("/users", response_model=UserList, operation_id="list_users")
@router.get("/admin/users", response_model=UserList, operation_id="admin_list_users")
async def list_users(
    _: Reader,
    accounts: AccountsDep,
    search: Search = None,
    tier: Tier | None = None,
    page: Page = 1,
    limit: Limit = 20,
) -> UserList:
    return await _list_users(accounts, search, tier, page, limit)


@router.get("/users/{user_id}", response_model=User)
async def get_user(user_id: str, _: Reader, accounts: AccountsDep) -> User:
    return user_out(await accounts.users.get(user_id))


@router.patch("/users/{user_id}", response_model=User)
async def admin_update_user(
    user_id: str, body: AdminUserUpdate, admin: Manager, accounts: AccountsDep
) -> User:
    changes = body.model_dump(exclude_none=True)
    if not changes:
        raise ApiError(422, "Send role and/or tier to change")
    return user_out(await accounts.set_role_or_tier(admin, user_id, changes))


@router.put("/users/{user_id}/role", response_model=User)
async def change_role(
    user_id: str, body: RoleChange, admin: Manager, accounts: AccountsDep
) -> User:
    return user_out(await accounts.set_role_or_tier(admin, user_id, {"role": body.role}))


@router.delete("/users/{user_id}", response_model=Message)
async def admin_delete_user(user_id: str, admin: Manager, accounts: AccountsDep) -> Message:
    await accounts.users.get(user_id)
    gone = await accounts.delete_account(user_id, admin.user_id)
    return Message(
        message=f"User deleted with {gone['projects']} projects and {gone['media']} media files"
    )
