"""Stateful property-based requests in auth mode, two users: no 5xx and no access across users.

Schemathesis follows OpenAPI links (create -> read -> update -> generate -> delete) that this
test adds to the gateway's document in memory (the published document has none). Each scenario
runs as one of two users, alternating; every project a scenario creates is then probed by the
other user on every route that names a project, and each probe must answer exactly as it does
for a project that does not exist (404), leaving the owner's project untouched.

The gateway and the real script service run under uvicorn in a background thread (schemathesis
calls are synchronous), against the test session's database. Bounded: derandomized examples.
"""

from __future__ import annotations

import contextlib
import copy
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from pymongo import MongoClient
from schemathesis.generation import GenerationMode

from gateway.app import build_app as build_gateway
from services.script.app import build_app as build_script
from tests.auth.conftest import PASSWORD, auth_settings
from tests.support import serve, served_in_thread

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SCENARIOS = 24
STEPS_PER_SCENARIO = 8
MISSING = "no-such-project"

# The operations a scenario may chain, by (path, method) of the gateway's document.
OPERATIONS: dict[str, tuple[str, ...]] = {
    "/projects": ("post",),
    "/projects/{project_id}": ("get", "put", "patch", "delete"),
    "/projects/{project_id}/generate-script": ("post",),
    "/scripts/{project_id}": ("post",),
    "/api/v1/projects/{project_id}": ("get", "patch", "delete"),
}
# Where a created project's id leads (OpenAPI links, by target path and method). Only creation
# links out, so every scenario starts by creating a project; the state machine draws the same
# created project again for later steps, which chains read -> update -> generate -> delete.
FOLLOW_UPS: tuple[tuple[str, str], ...] = (
    ("/projects/{project_id}", "get"),
    ("/projects/{project_id}", "put"),
    ("/projects/{project_id}", "patch"),
    ("/projects/{project_id}/generate-script", "post"),
    ("/scripts/{project_id}", "post"),
    ("/api/v1/projects/{project_id}", "get"),
    ("/api/v1/projects/{project_id}", "patch"),
    ("/projects/{project_id}", "delete"),
    ("/api/v1/projects/{project_id}", "delete"),
)

# Every route that names a project, as the other user calls it: (method, path, JSON body).
Probes = tuple[tuple[str, str, dict[str, Any] | None], ...]
PROBES: Probes = (
    ("GET", "/projects/{p}", None),
    ("PUT", "/projects/{p}", {"title": "taken over"}),
    ("PATCH", "/projects/{p}", {"title": "taken over"}),
    ("GET", "/api/v1/projects/{p}", None),
    ("PATCH", "/api/v1/projects/{p}", {"title": "taken over"}),
    ("GET", "/api/v1/projects/{p}/members", None),
    ("POST", "/projects/{p}/generate-script", {}),
    ("POST", "/scripts/{p}", {}),
    ("POST", "/projects/{p}/generate-audio", {}),
    ("POST", "/audios/{p}", {}),
    ("GET", "/audios/generate-subtitle?project_id={p}", None),
    ("POST", "/projects/{p}/generate-images", {}),
    ("POST", "/images/{p}", {}),
    ("POST", "/projects/{p}/generate-images/0", {}),
    ("POST", "/images/{p}/0", {"prompt": "a lighthouse"}),
    ("POST", "/projects/{p}/generate-video", {}),
    ("POST", "/video/{p}", {}),
    ("POST", "/subtitles/{p}", {}),
    ("DELETE", "/projects/{p}", None),
    ("DELETE", "/api/v1/projects/{p}", None),
)
# After each change the owner makes: one read, one write, one generation, one delete.
QUICK_PROBES: Probes = (PROBES[0], PROBES[2], PROBES[6], PROBES[-2])


@dataclass
class User:
    id: str
    headers: dict[str, str]


@dataclass
class Stack:
    url: str
    db_name: str


@pytest.fixture(scope="module")
def stack(mongo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    media: Path = tmp_path_factory.mktemp("stateful-media")
    # Only the script service is real: it is the one generation step a scenario chains. Every
    # other service address refuses connections, so a probe that got past the access check
    # would answer 503, not 404, and fail.
    # Every POST to a video route counts against the hourly video limit, refused ones included,
    # and the other user's probes make many: lift it so a probe's answer is the access check's.
    unlimited = {"free": 10_000, "pro": 10_000, "business": 10_000}
    gateway_settings = auth_settings(mongo_url, media, rate_limit_video_per_hour=unlimited)

    async def start(stack: contextlib.AsyncExitStack) -> str:
        script_url = await stack.enter_async_context(serve(build_script()))
        wired = gateway_settings.model_copy(update={"script_service_url": script_url})
        return await stack.enter_async_context(serve(build_gateway(wired)))

    with served_in_thread(start) as url:
        yield Stack(url, gateway_settings.mongodb_db)
    client: MongoClient[dict[str, Any]] = MongoClient(mongo_url)
    client.drop_database(gateway_settings.mongodb_db)
    client.close()


def register(url: str, name: str) -> User:
    email = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
    r = httpx.post(
        f"{url}/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "name": name},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    return User(body["user"]["id"], {"Authorization": f"Bearer {body['access_token']}"})


def linked_document(document: dict[str, Any]) -> dict[str, Any]:
    """The gateway's document cut down to OPERATIONS, with links from a created project to every
    follow-up on it, and with three flaws of the published document mended so that the
    requests it calls valid are ones the gateway accepts (otherwise most chains end at a 422):

    - numeric bounds are published as `ge`/`le`, which JSON Schema ignores (pydantic writes them
      so when a BeforeValidator precedes the Field): here they become `minimum`/`maximum`;
    - project bodies are `anyOf [ProjectFields, null]` and optional, yet null or no body is
      refused: here the body is a required ProjectFields;
    - any extra field name is allowed, yet `$`, `.`, NUL and a leading `_` are refused.

    A created project also gets a title, since generating a script needs one.
    """
    doc = copy.deepcopy(document)
    doc["paths"] = {
        path: {m: op for m, op in doc["paths"][path].items() if m in methods}
        for path, methods in OPERATIONS.items()
    }
    schemas = doc["components"]["schemas"]
    fields = schemas["ProjectFields"]
    for prop in fields["properties"].values():
        for variant in [prop, *prop.get("anyOf", [])]:
            for loose, strict in (("ge", "minimum"), ("le", "maximum")):
                if loose in variant:
                    variant[strict] = variant.pop(loose)
    fields["propertyNames"] = {"pattern": "^[A-Za-z][A-Za-z0-9_-]{0,30}$"}
    created = copy.deepcopy(fields)
    created["required"] = ["title"]
    created["properties"]["title"]["minLength"] = 1
    schemas["NewProject"] = created
    for path, methods in OPERATIONS.items():
        for method in methods:
            operation = doc["paths"][path][method]
            if "requestBody" in operation:
                name = "NewProject" if method == "post" else "ProjectFields"
                operation["requestBody"] = {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}
                    },
                }
    doc["paths"]["/projects"]["post"]["responses"]["201"]["links"] = {
        f"{method}_{path}".replace("/", "_").replace("{", "").replace("}", ""): {
            "operationId": doc["paths"][path][method]["operationId"],
            "parameters": {"project_id": "$response.body#/id"},
        }
        for path, method in FOLLOW_UPS
    }
    return doc


def touched_project(case: schemathesis.Case[Any], response: Any, status: int) -> str | None:
    """The project a successful call created or acted on, if any."""
    if case.method == "POST" and case.path == "/projects" and status == 201:
        return str(response.json()["id"])
    if 200 <= status < 300 and case.method != "DELETE" and case.path_parameters:
        return str(case.path_parameters.get("project_id"))
    return None


class CrossingChecks:
    """What every scenario checks besides the schema: no 5xx, and nothing crosses users.

    Mixed into the state machine schemathesis builds; `scenario_machine` gives each machine
    its stack, its users and records of its own."""

    url: ClassVar[str]
    users: ClassVar[tuple[User, User]]
    runs: ClassVar[int]
    # "METHOD /path status" for every call a scenario made, and every broken promise.
    calls: ClassVar[Counter[str]]
    failures: ClassVar[list[str]]
    # What the other user gets for a project that does not exist, per probe.
    for_missing: ClassVar[dict[tuple[str, str], int]]
    probed: ClassVar[set[str]]
    owners_probed: ClassVar[set[str]]

    def setup(self) -> None:
        # Scenarios alternate between the two users, so each owns projects the other probes.
        type(self).runs += 1
        self.me, self.other = self.users if self.runs % 2 else self.users[::-1]
        self.http = httpx.Client(base_url=self.url, timeout=60)

    def teardown(self) -> None:
        self.http.close()

    def get_call_kwargs(self, case: schemathesis.Case[Any]) -> dict[str, Any]:
        return {"base_url": self.url, "headers": self.me.headers, "timeout": 60}

    def validate_response(
        self, response: Any, case: schemathesis.Case[Any], *args: Any, **kwargs: Any
    ) -> None:
        status = int(response.status_code)
        self.calls[f"{case.method} {case.path} {status}"] += 1
        if status >= 500:
            self.failures.append(
                f"{case.method} {case.formatted_path} -> {status}: {response.text[:200]}"
            )
        project_id = touched_project(case, response, status)
        if project_id is None:
            return
        if project_id not in self.probed:
            self.probed.add(project_id)
            self.probe(project_id, PROBES)
        elif case.method != "GET":
            # An update or a generation must not loosen who may see the project (as
            # replacing the stored document instead of setting fields would).
            self.probe(project_id, QUICK_PROBES)

    def probe(self, project_id: str, probes: Probes) -> None:
        """The other user tries routes on the project: each must answer as for a project
        that does not exist, and the project must come through unchanged."""
        self.owners_probed.add(self.me.id)
        path = f"/projects/{project_id}"
        before = self.http.get(path, headers=self.me.headers)
        assert before.status_code == 200, before.text
        for method, template, body in probes:
            self.probe_route(project_id, method, template, body)
        listed = self.http.get("/projects", params={"id": project_id}, headers=self.other.headers)
        if listed.status_code != 200 or listed.json() != []:
            self.failures.append(f"other user lists {project_id}: {listed.text[:200]}")
        after = self.http.get(path, headers=self.me.headers)
        if after.status_code != 200 or after.json() != before.json():
            self.failures.append(f"{project_id} changed under the other user's probes")

    def probe_route(
        self, project_id: str, method: str, template: str, body: dict[str, Any] | None
    ) -> None:
        answer = self.http.request(
            method, template.format(p=project_id), json=body, headers=self.other.headers
        )
        key = (method, template)
        if key not in self.for_missing:
            missing = self.http.request(
                method, template.format(p=MISSING), json=body, headers=self.other.headers
            )
            self.for_missing[key] = missing.status_code
        expected = self.for_missing[key]
        if answer.status_code != 404 or expected != 404:
            self.failures.append(
                f"other user {method} {template}: {answer.status_code} "
                f"(missing project: {expected}) {answer.text[:200]}"
            )


def scenario_machine(stack: Stack, users: tuple[User, User]) -> type[Any]:
    document = httpx.get(f"{stack.url}/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(linked_document(document))
    # Only the links above: inferred ones (e.g. from the list's items) would make a scenario's
    # draws depend on what earlier scenarios left in the database, which Hypothesis refuses.
    schema.config.phases.stateful.inference.algorithms = []
    # Valid requests only: an invalid one ends its chain at a 422, before anything crosses.
    schema.config.generation.modes = [GenerationMode.POSITIVE]
    base: type[Any] = schema.as_state_machine()
    machine_users = users

    class Scenarios(CrossingChecks, base):  # type: ignore[misc]
        url = stack.url
        users = machine_users
        runs = 0
        calls: ClassVar[Counter[str]] = Counter()
        failures: ClassVar[list[str]] = []
        for_missing: ClassVar[dict[tuple[str, str], int]] = {}
        probed: ClassVar[set[str]] = set()
        owners_probed: ClassVar[set[str]] = set()

    return Scenarios


def test_two_users_chained_requests_never_fail_and_never_cross(stack: Stack) -> None:
    users = (register(stack.url, "alice"), register(stack.url, "bob"))
    machine = scenario_machine(stack, users)
    machine.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS_PER_SCENARIO,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    calls: Counter[str] = machine.calls
    assert machine.failures == [], "\n".join(machine.failures)
    # The links were followed: each step of the life cycle succeeded at least once, and the
    # other user probed projects of both users.
    for step in (
        "POST /projects 201",
        "GET /projects/{project_id} 200",
        "PUT /projects/{project_id} 200",
        "POST /projects/{project_id}/generate-script 200",
        "DELETE /projects/{project_id} 204",
    ):
        assert calls[step] > 0, "\n".join(f"{k}: {n}" for k, n in sorted(calls.items()))
    assert machine.owners_probed == {u.id for u in users}
