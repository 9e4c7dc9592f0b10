"""FastAPI dependencies that hand out the accounts service and the caller's address."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.auth.service import Accounts


async def get_accounts(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.accounts
    return accounts


async def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


AccountsDep = Annotated[Accounts, Depends(get_accounts)]
ClientIp = Annotated[str | None, Depends(client_ip)]
