"""Projects in MongoDB: string ids, insertion order, server-owned timestamps, merge updates.

Stored documents carry two internal fields the API never shows: `_seq` (insertion order, from an
atomic counter, so display order survives concurrent creates across replicas) and `_search`
(every string value lower-cased, what `q` searches).
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from contracts.errors import ApiError, validation_message
from contracts.project import SERVER_OWNED, ProjectFields
from gateway.db import Database, Doc
from gateway.projects.query import ListQuery, search_text

ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"
ID_LENGTH = 7
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# `new` is a route of the app and `temp` names an unsaved project in generation calls.
RESERVED_IDS = {"new", "temp"}
HIDDEN = {"_search": 0, "_seq": 0}
MAX_DEPTH = 12


def new_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_api(doc: Doc) -> Doc:
    """A stored document as the API shows it: `id` first, internals dropped."""
    out: Doc = {"id": doc.pop("_id")}
    doc.pop("_seq", None)
    doc.pop("_search", None)
    out.update(doc)
    return out


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

    async def create(self, body: Doc) -> Doc:
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
        try:
            await self.db.projects.insert_one(doc)
        except DuplicateKeyError:
            raise ApiError(409, f"A project with id {project_id!r} already exists") from None
        return to_api(doc)

    async def get(self, project_id: str) -> Doc:
        doc = await self.db.projects.find_one({"_id": project_id}, HIDDEN)
        if doc is None:
            raise ApiError(404, f"Project not found: {project_id}")
        return to_api(doc)

    async def list(self, query: ListQuery) -> tuple[list[Doc], int | None]:
        total = None
        if query.want_total:
            total = await self.db.projects.count_documents(query.filter)
        if query.limit == 0:
            return [], total
        cursor = self.db.projects.find(query.filter, HIDDEN, sort=query.sort, skip=query.skip)
        if query.limit is not None:
            cursor = cursor.limit(query.limit)
        return [to_api(doc) async for doc in cursor], total

    async def update(self, project_id: str, body: Doc) -> Doc:
        """Merge `body` into the stored project (the guide's partial update) and return it whole.

        The merged document is validated as a whole, but only the sent fields are written, so two
        clients updating different fields at once do not undo each other.
        """
        check_keys(body)
        changes = _client_fields(body)
        changes.pop("id", None)
        current = await self.db.projects.find_one({"_id": project_id}, HIDDEN)
        if current is None:
            raise ApiError(404, f"Project not found: {project_id}")
        merged = validate_fields({**to_api(dict(current)), **changes})
        merged.pop("id", None)
        sets = {key: merged[key] for key in changes}
        sets["updatedAt"] = now_iso()
        sets["_search"] = search_text(merged)
        doc = await self.db.projects.find_one_and_update(
            {"_id": project_id},
            {"$set": sets},
            projection=HIDDEN,
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            raise ApiError(404, f"Project not found: {project_id}")
        return to_api(doc)

    async def delete(self, project_id: str) -> None:
        result = await self.db.projects.delete_one({"_id": project_id})
        if result.deleted_count == 0:
            raise ApiError(404, f"Project not found: {project_id}")
