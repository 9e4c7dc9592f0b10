"""`/projects`: JSON Server semantics for the app and the integration guide's CRUD."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Body, Request
from fastapi.responses import Response

from contracts.project import Project, ProjectFields
from gateway.auth.principal import CurrentPrincipal
from gateway.deps import Store
from gateway.json_body import json_object
from gateway.projects.query import parse_list_query

router = APIRouter(tags=["projects"])

# FastAPI validates the body against ProjectFields (and documents it), but the handlers use the
# raw JSON: unknown fields must be kept and a PATCH must see only the fields that were sent. The
# parameter defaults to None so that the handler's reader answers a missing body (400) and a
# JSON null (422) itself; the document still says what is accepted: a required object.
PROJECT_BODY: Any = Body(None)
BODY_REQUIRED: dict[str, Any] = {"requestBody": {"required": True}}


def _json(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(content), status, headers, media_type="application/json")


def _links(request: Request, page: int, per_page: int, total: int) -> str | None:
    """JSON Server's Link header: first/prev/next/last, only when the page splits the list."""
    last = max((total + per_page - 1) // per_page, 1)
    if total <= per_page and page == 1:
        return None
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("_page", "page")]
    key = (
        "page"
        if "page" in request.query_params and "_page" not in request.query_params
        else "_page"
    )
    base = str(request.url.replace(query=""))

    def link(target: int, rel: str) -> str:
        return f'<{base}?{urlencode([*params, (key, str(target))])}>; rel="{rel}"'

    parts = [link(1, "first")]
    if page > 1:
        parts.append(link(page - 1, "prev"))
    if page < last:
        parts.append(link(page + 1, "next"))
    parts.append(link(last, "last"))
    return ", ".join(parts)


@router.get("/projects", response_model=list[Project])
async def list_projects(request: Request, store: Store, principal: CurrentPrincipal) -> Response:
    query = parse_list_query(request.query_params.multi_items())
    items, total = await store.list(query, principal)
    headers: dict[str, str] = {}
    if total is not None:
        headers["X-Total-Count"] = str(total)
        expose = ["X-Total-Count"]
        if query.page is not None and query.per_page is not None:
            expose.append("Link")
            if link := _links(request, query.page, query.per_page, total):
                headers["Link"] = link
        headers["Access-Control-Expose-Headers"] = ", ".join(expose)
    return _json(items, headers=headers)


@router.get("/projects/{project_id}", response_model=Project)
async def get_project(project_id: str, store: Store, principal: CurrentPrincipal) -> Response:
    return _json(await store.get(project_id, principal))


@router.post("/projects", status_code=201, response_model=Project, openapi_extra=BODY_REQUIRED)
async def create_project(
    request: Request, store: Store, principal: CurrentPrincipal, _: ProjectFields = PROJECT_BODY
) -> Response:
    project = await store.create(await json_object(request), principal.user_id)
    location = str(request.url_for("get_project", project_id=project["id"]))
    return _json(project, 201, {"Location": location})


@router.put("/projects/{project_id}", response_model=Project, openapi_extra=BODY_REQUIRED)
async def put_project(
    project_id: str,
    request: Request,
    store: Store,
    principal: CurrentPrincipal,
    _: ProjectFields = PROJECT_BODY,
) -> Response:
    return _json(await store.update(project_id, await json_object(request), principal))


@router.patch("/projects/{project_id}", response_model=Project, openapi_extra=BODY_REQUIRED)
async def patch_project(
    project_id: str,
    request: Request,
    store: Store,
    principal: CurrentPrincipal,
    _: ProjectFields = PROJECT_BODY,
) -> Response:
    return _json(await store.update(project_id, await json_object(request), principal))


@router.delete("/projects/{project_id}", status_code=204)
async def delete_project(project_id: str, store: Store, principal: CurrentPrincipal) -> Response:
    await store.delete(project_id, principal)
    return Response(status_code=204)
