"""`/api/v1/auth`: register, login, refresh, logout, password reset, email verification."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from contracts.auth import (
    LoginRequest,
    LogoutRequest,
    Message,
    PasswordResetConfirm,
    PasswordResetRequest,
    RefreshRequest,
    RegisterRequest,
    TokenResponse,
    User,
    VerifyEmailRequest,
)
from gateway.auth.principal import AccountPrincipal
from gateway.deps import AccountsDep, ClientIp
from gateway.users.store import user_out

router = APIRouter(prefix="/api/v1", tags=["auth"])
RESET_SENT = "If an account exists for this email, a reset link has been sent"


@router.post("/auth/register", status_code=201, response_model=TokenResponse)
async def register(body: RegisterRequest, accounts: AccountsDep, ip: ClientIp) -> TokenResponse:
    user = await accounts.register(body.email, body.password, body.name, ip)
    return await accounts.tokens_for(user)


@router.post("/auth/login", response_model=TokenResponse)
async def login(body: LoginRequest, accounts: AccountsDep, ip: ClientIp) -> TokenResponse:
    user = await accounts.login(body.email, body.password, ip)
    return await accounts.tokens_for(user)


@router.post("/auth/refresh", response_model=TokenResponse)
async def refresh(body: RefreshRequest, accounts: AccountsDep, ip: ClientIp) -> TokenResponse:
    return await accounts.refresh(body.refresh_token, ip)


@router.post("/auth/logout", response_model=Message)
async def logout(
    principal: AccountPrincipal, accounts: AccountsDep, body: LogoutRequest | None = None
) -> Message:
    await accounts.logout(principal, body.refresh_token if body else None)
    return Message(message="Logged out")


@router.post("/auth/password-reset", status_code=202, response_model=Message)
async def password_reset(
    body: PasswordResetRequest, accounts: AccountsDep, ip: ClientIp
) -> Message:
    await accounts.request_reset(body.email, ip)
    return Message(message=RESET_SENT)


@router.post("/auth/password-reset/confirm", response_model=Message)
async def password_reset_confirm(
    body: PasswordResetConfirm, accounts: AccountsDep, ip: ClientIp
) -> Message:
    await accounts.confirm_reset(body.token, body.new_password, ip)
    return Message(message="Password changed; every session has been signed out")


@router.get("/auth/verify-email", response_model=User)
async def verify_email(
    token: Annotated[str, Query(min_length=1, max_length=4096)], accounts: AccountsDep
) -> User:
    return user_out(await accounts.verify_email(token))


@router.post("/auth/verify-email", response_model=User)
async def verify_email_post(body: VerifyEmailRequest, accounts: AccountsDep) -> User:
    return user_out(await accounts.verify_email(body.token))


@router.post("/auth/verify-email/resend", status_code=202, response_model=Message)
async def resend_verification(principal: AccountPrincipal, accounts: AccountsDep) -> Message:
    user = await accounts.users.get(principal.user_id)
    if not user.get("emailVerified"):
        await accounts.send_verification(user)
    return Message(message="A verification link has been sent if the address is unconfirmed")
