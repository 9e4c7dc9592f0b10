"""Projects in MongoDB: string ids, insertion order, server-owned timestamps, merge updates.

Stored documents carry internal fields the API never shows: `_seq` (insertion order, from an
atomic counter, so display order survives concurrent creates across replicas), `_search`
(every string value lower-cased, what `q` searches), `_owner` (the creating user's id) and
`_members` (`[{user, role}]`, people the owner shared the project with).

Access: methods take the caller's principal (None for the gateway's own internal calls). A
project the caller may not see answers 404, exactly like a missing one, so ids do not leak.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ValidationError
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from contracts.errors import ApiError, validation_message
from contracts.project import SERVER_OWNED, ProjectFields
from gateway.auth.principal import Principal
from gateway.db import Database, Doc
from gateway.projects.query import ListQuery, search_text

ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"
ID_LENGTH = 7
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# `new` is a route of the app and `temp` names an unsaved project in generation calls.
RESERVED_IDS = {"new", "temp"}
# No projection: nx-27017 applies one slowly (a 100-project list took twice as long), and
# to_api drops the internal fields anyway.
MAX_DEPTH = 12
Need = Literal["read", "write", "owner"]
# `list` is also a method name of ProjectStore, which shadows the builtin in its annotations.
Members = list[Doc]


def new_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_api(doc: Doc) -> Doc:
    """A stored document as the API shows it: `id` first, internals dropped."""
    out: Doc = {"id": doc.pop("_id")}
    doc.pop("_seq", None)
    doc.pop("_search", None)
    doc.pop("_owner", None)
    doc.pop("_members", None)
    out.update(doc)
    return out


def member_role(doc: Doc, user_id: str) -> str | None:
    for member in doc.get("_members") or ():
        if isinstance(member, dict) and member.get("user") == user_id:
            return str(member.get("role"))
    return None


def can_access(doc: Doc, principal: Principal | None, need: Need) -> bool:
    # Imported here: roles would otherwise load before the store in every import order.
    from gateway.users.roles import PROJECTS_ANY

    if principal is None or principal.can(PROJECTS_ANY):
        return True
    if doc.get("_owner") == principal.user_id:
        return True
    role = member_role(doc, principal.user_id)
    if role is None or need == "owner":
        return False
    return need == "read" or role == "editor"


def check_access(doc: Doc | None, project_id: str, principal: Principal | None, need: Need) -> Doc:
    if doc is None or not can_access(doc, principal, "read"):
        raise ApiError(404, f"Project not found: {project_id}")
    if not can_access(doc, principal, need):
        raise ApiError(
            403,
            "Only the owner can do this" if need == "owner" else "You have read-only access",
        )
    return doc


def visible_to(principal: Principal | None) -> Doc | None:
    """The filter clause limiting a list to what the caller may read (None: everything)."""
    from gateway.users.roles import PROJECTS_ANY

    if principal is None or principal.can(PROJECTS_ANY):
        return None
    return {"$or": [{"_owner": principal.user_id}, {"_members.user": principal.user_id}]}


def check_keys(value: Any, depth: int = 0, top: bool = True) -> None:
    """Refuse keys MongoDB would treat as operators or paths, and internal names."""
    if depth > MAX_DEPTH:
        raise ApiError(422, f"Body nests deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            if key.startswith("$") or "." in key or "\x00" in key:
                raise ApiError(422, f"Invalid field name {key[:64]!r}: no '$', '.' or NUL")
            if top and key.startswith("_"):
                raise ApiError(422, f"Field names starting with '_' are reserved: {key[:64]!r}")
            check_keys(item, depth + 1, top=False)
    elif isinstance(value, list):
        for item in value:
            check_keys(item, depth + 1, top=False)


def validate_fields(data: Doc) -> Doc:
    try:
        model = ProjectFields.model_validate(data)
    except ValidationError as exc:
        message, errors = validation_message(exc.errors())
        raise ApiError(422, message, details={"errors": errors}) from None
    return model.model_dump(mode="json")


def _client_fields(body: Doc) -> Doc:
    return {k: v for k, v in body.items() if k not in SERVER_OWNED}


class ProjectStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def _next_seq(self) -> int:
        counter = await self.db.counters.find_one_and_update(
            {"_id": "projects"},
            {"$inc": {"seq": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert counter is not None
        return int(counter["seq"])

    async def create(self, body: Doc, owner: str | None = None) -> Doc:
        check_keys(body)
        project_id = body.get("id")
        if project_id is None:
            project_id = new_id()
        elif not isinstance(project_id, str) or not _CLIENT_ID.match(project_id):
            raise ApiError(422, "id must be 1-64 characters of letters, digits, '_' or '-'")
        elif project_id in RESERVED_IDS:
            raise ApiError(422, f"id {project_id!r} is reserved")
        fields = validate_fields(_client_fields(body))
        stamp = now_iso()
        doc: Doc = {"_id": project_id, **fields, "createdAt": stamp, "updatedAt": stamp}
        doc["_search"] = search_text(fields)
        doc["_seq"] = await self._next_seq()
        doc["_owner"] = owner
        doc["_members"] = []
        try:
            await self.db.projects.insert_one(doc)
        except DuplicateKeyError:
            raise ApiError(409, f"A project with id {project_id!r} already exists") from None
        return to_api(doc)

    async def get(
        self, project_id: str, principal: Principal | None = None, need: Need = "read"
    ) -> Doc:
        doc = await self.db.projects.find_one({"_id": project_id})
        return to_api(check_access(doc, project_id, principal, need))

    async def list(
        self, query: ListQuery, principal: Principal | None = None
    ) -> tuple[list[Doc], int | None]:
        if (clause := visible_to(principal)) is not None:
            query.filter = {"$and": [query.filter, clause]} if query.filter else clause
        total = None
        if query.want_total:
            total = await self.db.projects.count_documents(query.filter)
        if query.limit == 0:
            return [], total
        cursor = self.db.projects.find(query.filter, sort=query.sort, skip=query.skip)
        if query.limit is not None:
            cursor = cursor.limit(query.limit)
        return [to_api(doc) async for doc in cursor], total

    async def update(self, project_id: str, body: Doc, principal: Principal | None = None) -> Doc:
        """Merge `body` into the stored project (the guide's partial update) and return it whole.

        The merged document is validated as a whole, but only the sent fields are written, so two
        clients updating different fields at once do not undo each other.
        """
        check_keys(body)
        changes = _client_fields(body)
        changes.pop("id", None)
        current = check_access(
            await self.db.projects.find_one({"_id": project_id}),
            project_id,
            principal,
            "write",
        )
        merged = validate_fields({**to_api(dict(current)), **changes})
        merged.pop("id", None)
        sets = {key: merged[key] for key in changes}
        sets["updatedAt"] = now_iso()
        sets["_search"] = search_text(merged)
        doc = await self.db.projects.find_one_and_update(
            {"_id": project_id},
            {"$set": sets},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            raise ApiError(404, f"Project not found: {project_id}")
        return to_api(doc)

    async def delete(self, project_id: str, principal: Principal | None = None) -> None:
        if visible_to(principal) is not None:
            doc = await self.db.projects.find_one({"_id": project_id}, {"_owner": 1, "_members": 1})
            check_access(doc, project_id, principal, "owner")
        result = await self.db.projects.delete_one({"_id": project_id})
        if result.deleted_count == 0:
            raise ApiError(404, f"Project not found: {project_id}")

    async def members(self, project_id: str, principal: Principal | None) -> Members:
        doc = await self.db.projects.find_one({"_id": project_id}, {"_owner": 1, "_members": 1})
        return list(check_access(doc, project_id, principal, "read").get("_members") or [])

    async def set_member(
        self, project_id: str, principal: Principal | None, user_id: str, role: str | None
    ) -> Members:
        """Add or change a member (`role`), or remove one (`role` None); owner or admin only."""
        doc = check_access(
            await self.db.projects.find_one({"_id": project_id}, {"_owner": 1, "_members": 1}),
            project_id,
            principal,
            "owner",
        )
        if user_id == doc.get("_owner"):
            raise ApiError(422, "The owner is not a member; they always have full access")
        members = [m for m in doc.get("_members") or [] if m.get("user") != user_id]
        if role is None and len(members) == len(doc.get("_members") or []):
            raise ApiError(404, f"Not a member of this project: {user_id}")
        if role is not None:
            members.append({"user": user_id, "role": role})
        await self.db.projects.update_one({"_id": project_id}, {"$set": {"_members": members}})
        return members
