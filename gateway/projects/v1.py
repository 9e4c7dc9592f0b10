"""The versioned `/api/v1/projects` (seeds 000/001): the same store and query parser as the
app's `/projects`, a `{projects, page, limit, total}` envelope, and sharing with members."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from contracts.auth import Member, MemberAdd, Message
from contracts.errors import ApiError
from contracts.project import Project, ProjectFields, ProjectPage
from gateway.auth.principal import CurrentPrincipal, require_feature
from gateway.auth.roles import FEATURE_TEAM
from gateway.auth.service import Accounts
from gateway.deps import AccountsDep, Store
from gateway.json_body import json_object
from gateway.projects.query import parse_list_query
from gateway.projects.routes import BODY_REQUIRED, PROJECT_BODY
from gateway.projects.store import Members

router = APIRouter(prefix="/api/v1", tags=["projects v1"])
DEFAULT_LIMIT = 20


# Documented by the model, sent as stored (as the app's `GET /projects` sends them).
@router.get("/projects", response_model=None, responses={200: {"model": ProjectPage}})
async def list_projects(request: Request, store: Store, principal: CurrentPrincipal) -> Any:
    params = request.query_params.multi_items()
    names = {k for k, _ in params}
    if not names & {"page", "_page"}:
        params.append(("page", "1"))
    if not names & {"limit", "_limit"}:
        params.append(("limit", str(DEFAULT_LIMIT)))
    query = parse_list_query(params)
    items, total = await store.list(query, principal)
    return {"projects": items, "page": query.page, "limit": query.per_page, "total": total}


@router.get("/projects/{project_id}", response_model=Project)
async def get_project(project_id: str, store: Store, principal: CurrentPrincipal) -> Any:
    return await store.get(project_id, principal)


@router.post("/projects", status_code=201, response_model=Project, openapi_extra=BODY_REQUIRED)
async def create_project(
    request: Request, store: Store, principal: CurrentPrincipal, _: ProjectFields = PROJECT_BODY
) -> Any:
    return await store.create(await json_object(request), principal.user_id)


@router.patch("/projects/{project_id}", response_model=Project, openapi_extra=BODY_REQUIRED)
async def patch_project(
    project_id: str,
    request: Request,
    store: Store,
    principal: CurrentPrincipal,
    _: ProjectFields = PROJECT_BODY,
) -> Any:
    return await store.update(project_id, await json_object(request), principal)


@router.delete("/projects/{project_id}", response_model=Message)
async def delete_project(project_id: str, store: Store, principal: CurrentPrincipal) -> Message:
    await store.delete(project_id, principal)
    return Message(message="Project deleted successfully")


async def _members_out(members: Members, accounts: Accounts) -> list[Member]:
    out = []
    for member in members:
        user = await accounts.users.by_id(member["user"])
        email = user["email"] if user else None
        out.append(Member(userId=member["user"], email=email, role=member["role"]))
    return out


@router.get("/projects/{project_id}/members", response_model=list[Member])
async def list_members(
    project_id: str, store: Store, principal: CurrentPrincipal, accounts: AccountsDep
) -> list[Member]:
    return await _members_out(await store.members(project_id, principal), accounts)


@router.post("/projects/{project_id}/members", status_code=201, response_model=list[Member])
async def add_member(
    project_id: str,
    body: MemberAdd,
    store: Store,
    principal: CurrentPrincipal,
    accounts: AccountsDep,
) -> list[Member]:
    require_feature(principal, FEATURE_TEAM)
    user = await accounts.users.by_id(body.user) or await accounts.users.by_email(body.user)
    if user is None:
        raise ApiError(404, f"User not found: {body.user}", details={"field": "user"})
    members = await store.set_member(project_id, principal, user["_id"], body.role)
    await accounts.audit.record(
        "project.share", actor=principal.user_id, target=project_id, member=user["_id"]
    )
    return await _members_out(members, accounts)


@router.delete("/projects/{project_id}/members/{user_id}", status_code=204)
async def remove_member(
    project_id: str, user_id: str, store: Store, principal: CurrentPrincipal
) -> Response:
    await store.set_member(project_id, principal, user_id, None)
    return Response(status_code=204)
