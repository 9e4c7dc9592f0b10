"""Auth-required gateways for tests: their settings, the accounts tests act as, and the handle."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from gateway.auth.mail import MemoryMailSender
from gateway.auth.service import Accounts
from gateway.settings import GatewaySettings
from tests.support.gateway import gateway_settings

KEY_A = "a" * 40
KEY_B = "b" * 40
PASSWORD = "Correct-Horse-42"
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "Admin-Password-1"


def auth_settings(mongo_url: str, media: Path, **overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "auth_required": True,
        "auth_jwt_keys": {"k1": KEY_A},
        "auth_mail_sender": "memory",
        # Cheap hashes keep the suite fast; the cost is a setting, the algorithm is the same.
        "auth_argon2_time_cost": 1,
        "auth_argon2_memory_kib": 8192,
        "auth_admin_email": ADMIN_EMAIL,
        "auth_admin_password": ADMIN_PASSWORD,
        "auth_revocation_poll_seconds": 0.2,
        "rate_limit_per_minute": {"free": 10_000, "pro": 10_000, "business": 10_000},
    }
    values.update(overrides)
    return gateway_settings(mongo_url, media, **values)


@dataclass
class Account:
    id: str
    email: str
    access: str
    refresh: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


@dataclass
class AuthGateway:
    url: str
    http: httpx.AsyncClient
    settings: GatewaySettings
    app: FastAPI

    @property
    def accounts(self) -> Accounts:
        accounts: Accounts = self.app.state.accounts
        return accounts

    @property
    def outbox(self) -> MemoryMailSender:
        sender = self.accounts.mail
        assert isinstance(sender, MemoryMailSender)
        return sender

    async def register(self, name: str = "user") -> Account:
        email = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
        r = await self.http.post(
            "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "name": name}
        )
        assert r.status_code == 201, r.text
        body = r.json()
        return Account(body["user"]["id"], email, body["access_token"], body["refresh_token"])

    async def login(self, email: str, password: str) -> Account:
        r = await self.http.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        body = r.json()
        return Account(body["user"]["id"], email, body["access_token"], body["refresh_token"])

    async def admin(self) -> Account:
        return await self.login(ADMIN_EMAIL, ADMIN_PASSWORD)
