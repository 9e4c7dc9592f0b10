"""The accounts API of the gateway (`/api/v1/auth`, `/api/v1/users`, API keys, project members).

Shapes follow seed 003 for the versioned auth routes (`access_token`, `refresh_token`,
`token_type`, `expires_in`, `user`) and seed 001 for its aliases (`{user, token}`). Passwords are
checked against the policy here so every entry point (register, reset, change) shares it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from contracts.text import Text

Role = Literal["admin", "user"]
ROLES: tuple[str, ...] = ("admin", "user")
Tier = Literal["free", "pro", "business"]
TIERS: tuple[str, ...] = ("free", "pro", "business")
MemberRole = Literal["viewer", "editor"]
MEMBER_ROLES: tuple[str, ...] = ("viewer", "editor")

PASSWORD_MIN = 10
# argon2 hashes any length, but a megabyte password is a cheap way to burn server CPU.
PASSWORD_MAX = 128
_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")


def check_password(value: str) -> str:
    if len(value) < PASSWORD_MIN:
        raise ValueError(f"password must be at least {PASSWORD_MIN} characters")
    if len(value) > PASSWORD_MAX:
        raise ValueError(f"password must be at most {PASSWORD_MAX} characters")
    if not _LETTER.search(value) or not _DIGIT.search(value):
        raise ValueError("password must contain at least one letter and one digit")
    if len(set(value)) < 4:
        raise ValueError("password must use at least 4 different characters")
    return value


Password = Annotated[Text, AfterValidator(check_password)]
Name = Annotated[Text, Field(min_length=1, max_length=100)]
# Login and reset accept any string: a malformed address simply matches no account.
LooseEmail = Annotated[Text, Field(min_length=1, max_length=320)]
Secret = Annotated[Text, Field(min_length=1, max_length=4096)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterRequest(_Strict):
    email: EmailStr
    password: Password
    name: Name


class LoginRequest(_Strict):
    email: LooseEmail
    password: Annotated[Text, Field(min_length=1, max_length=PASSWORD_MAX)]


class RefreshRequest(_Strict):
    refresh_token: Secret


class LogoutRequest(_Strict):
    # Optional: without it only the presented access token is revoked.
    refresh_token: Secret | None = None


class PasswordResetRequest(_Strict):
    email: LooseEmail


class PasswordResetConfirm(_Strict):
    token: Secret
    new_password: Password


class VerifyEmailRequest(_Strict):
    token: Secret


class User(BaseModel):
    id: str
    email: str
    name: str
    role: Role
    tier: Tier
    credits: int
    emailVerified: bool
    createdAt: str
    updatedAt: str


class TokenResponse(BaseModel):
    """Seed 003's login answer; register answers the same with 201."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth token type, not a secret)
    expires_in: int
    refresh_expires_in: int
    user: User


class LegacyAuthResponse(BaseModel):
    """Seed 001's `/users/register` and `/users/login` answer."""

    user: User
    token: str


class Message(BaseModel):
    message: str


class UserUpdate(_Strict):
    """PATCH /users/me (and seed 001's PUT /users/profile): a password change needs the old one."""

    name: Name | None = None
    current_password: Annotated[Text, Field(max_length=PASSWORD_MAX)] | None = None
    new_password: Password | None = None


class AdminUserUpdate(_Strict):
    role: Role | None = None
    tier: Tier | None = None


class RoleChange(_Strict):
    role: Role


class UserList(BaseModel):
    users: list[User]
    page: int
    limit: int
    total: int


class Limits(BaseModel):
    requests_per_minute: int
    video_generations_per_hour: int


class Usage(BaseModel):
    tier: Tier
    role: Role
    credits: int
    projects: int
    api_keys: int
    limits: Limits
    requests_this_minute: int
    video_generations_this_hour: int
    features: list[str]


class RoleInfo(BaseModel):
    name: Role
    permissions: list[str]


class ApiKeyCreate(_Strict):
    name: Annotated[Text, Field(min_length=1, max_length=100)]
    expires_in_days: Annotated[int, Field(ge=1, le=3650)] | None = None


class ApiKey(BaseModel):
    id: str
    name: str
    prefix: str
    createdAt: str
    expiresAt: str | None
    lastUsedAt: str | None
    revoked: bool


class ApiKeyCreated(ApiKey):
    # The secret itself: shown in this answer only, stored as a hash.
    key: str


class MemberAdd(_Strict):
    # Either the member's user id or their account email.
    user: Annotated[Text, Field(min_length=1, max_length=320)]
    role: MemberRole


class Member(BaseModel):
    userId: str
    email: str | None
    role: MemberRole


class Plan(BaseModel):
    id: Tier
    name: str
    features: list[str]
    requests_per_minute: int
    video_generations_per_hour: int
    # Seed 001's plan: price per month, credits per month, and the features in words.
    price: float
    currency: str
    credits: int
    highlights: list[str]


class Plans(BaseModel):
    plans: list[Plan]


class AuditEntry(BaseModel):
    id: str
    at: str
    action: str
    actor: str | None
    target: str | None
    ip: str | None
    outcome: str
    request_id: str | None
    details: dict[str, Any]
