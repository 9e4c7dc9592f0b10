"""The FastAPI dependencies route modules declare, each defined once under one name."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.auth.service import Accounts
from gateway.projects.access import ProjectRef, project_ref
from gateway.projects.store import ProjectStore
from gateway.state import GatewayState, get_projects, get_state


async def get_accounts(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.accounts
    return accounts


async def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


State = Annotated[GatewayState, Depends(get_state)]
Store = Annotated[ProjectStore, Depends(get_projects)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
ClientIp = Annotated[str | None, Depends(client_ip)]
# The project a generation route names, which the caller must be allowed to edit.
EditableProject = Annotated[ProjectRef, Depends(project_ref)]
