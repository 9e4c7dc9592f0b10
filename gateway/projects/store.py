"""Projects in MongoDB: string ids, insertion order, server-owned timestamps, merge updates.

Stored documents carry internal fields the API never shows: `_seq` (insertion order, from an
atomic counter, so display order survives concurrent creates across replicas), `_search`
(every string value lower-cased, what `q` searches), `_media` (the storage keys its fields refer
to, so a file still in use is never deleted with another account), `_rev` (a version counter: a
write lands only on the version it was derived from, so `_search` and `_media` never lag behind
the fields), `_owner` (the creating user's id), `_members` (`[{user, role}]`, people the owner
shared the project with), `_active_job` (the job that holds the project: one render or
pipeline at a time) and `_scenes` (the editor's scenes and their layers, gateway/editor/).

Access: methods take the caller's principal (None for the gateway's own internal calls). A
project the caller may not see answers 404, exactly like a missing one, so ids do not leak.
"""

from __future__ import annotations

import asyncio
import random
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from pydantic import ValidationError
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from contracts.errors import ApiError
from contracts.project import SERVER_OWNED, ProjectFields
from gateway.auth.principal import Principal
from gateway.auth.roles import PROJECTS_ANY
from gateway.clock import now_iso
from gateway.db import Database, Doc
from gateway.media_urls import MediaUrls
from gateway.projects.query import ListQuery, search_text
from gateway.projects.textmatch import TextFilter, projection
from runtime.errors import validation_message

ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"
ID_LENGTH = 7
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# `new` is a route of the app and `temp` names an unsaved project in generation calls.
RESERVED_IDS = {"new", "temp"}
# No projection: nx-27017 applies one slowly (a 100-project list took twice as long), and
# to_api drops the internal fields anyway.
MAX_DEPTH = 12
# Fields the app does not know are kept as sent, up to this much JSON per project: every list
# answer carries them, and MongoDB refuses a document over 16 MB.
MAX_EXTRA_BYTES = 1_000_000
# Optimistic writes: how often a merge is re-derived when another writer got there first.
MAX_WRITE_ATTEMPTS = 50
# Candidates fetched per batch for the gateway-side text filters.
TEXT_BATCH = 500
INTERNAL = (
    "_seq", "_search", "_media", "_rev", "_owner", "_members", "_active_job", "_scenes",
)  # fmt: skip
Need = Literal["read", "write", "owner"]
# `list` is also a method name of ProjectStore, which shadows the builtin in its annotations.
Members = list[Doc]
Ids = list[str]
TextFilters = list[TextFilter]
Locks = list[tuple[str, str]]
# Internal fields a write derives from the stored document (None: nothing to write).
Edit = Callable[[Doc], Doc | None]


@dataclass(frozen=True)
class Lock:
    """The job lock a write expects to find (`expect`) and leaves (`then`); None is free."""

    expect: str | None
    then: str | None


class ProjectBusy(ApiError):
    def __init__(self, project_id: str, job_id: str) -> None:
        super().__init__(
            409,
            f"Project {project_id} already has a render queued or running (job {job_id})",
            details={"job_id": job_id},
        )
        self.project_id = project_id
        self.job_id = job_id


def new_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def to_api(doc: Doc) -> Doc:
    """A stored document as the API shows it: `id` first, internals dropped."""
    out: Doc = {"id": doc.pop("_id")}
    for name in INTERNAL:
        doc.pop(name, None)
    out.update(doc)
    return out


def member_role(doc: Doc, user_id: str) -> str | None:
    for member in doc.get("_members") or ():
        if isinstance(member, dict) and member.get("user") == user_id:
            return str(member.get("role"))
    return None


def can_access(doc: Doc, principal: Principal | None, need: Need) -> bool:
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
    if principal is None or principal.can(PROJECTS_ANY):
        return None
    return {"$or": [{"_owner": principal.user_id}, {"_members.user": principal.user_id}]}


def check_keys(value: Any, depth: int = 0, top: bool = True) -> None:
    """Refuse keys MongoDB would treat as operators or paths, internal names, and NUL in text
    (C-string based tools and the BSON key format cut at it)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ApiError(422, "Text values must not contain NUL characters")
        return
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
    extra = len(orjson.dumps(model.model_extra or {}))
    if extra > MAX_EXTRA_BYTES:
        raise ApiError(
            413,
            f"The project's fields beyond the known ones would take {extra:,} bytes;"
            f" the limit is {MAX_EXTRA_BYTES:,}",
        )
    return model.model_dump(mode="json")


def _client_fields(body: Doc) -> Doc:
    return {k: v for k, v in body.items() if k not in SERVER_OWNED}


class ProjectStore:
    def __init__(self, db: Database, urls: MediaUrls) -> None:
        self.db = db
        self.urls = urls

    def _shown(self, doc: Doc) -> Doc:
        """A stored document as the API shows it; a private project's media URLs signed."""
        out = to_api(doc)
        return out if out.get("visibility") == "public" else dict(self.urls.signed(out))

    def _derived(self, fields: Doc, scenes: Any = None) -> Doc:
        """The internal copies computed from a project's fields (and the media its editor
        layers refer to), written with them."""
        media = sorted({*self.urls.keys_in(fields), *self.urls.keys_in(scenes or [])})
        return {"_search": search_text(fields), "_media": media}

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
        fields = validate_fields(self.urls.plain(_client_fields(body)))
        stamp = now_iso()
        doc: Doc = {"_id": project_id, **fields, "createdAt": stamp, "updatedAt": stamp}
        doc.update(self._derived(fields))
        doc["_rev"] = 0
        doc["_seq"] = await self._next_seq()
        doc["_owner"] = owner
        doc["_members"] = []
        try:
            await self.db.projects.insert_one(doc)
        except DuplicateKeyError:
            raise ApiError(409, f"A project with id {project_id!r} already exists") from None
        return self._shown(doc)

    async def get(
        self, project_id: str, principal: Principal | None = None, need: Need = "read"
    ) -> Doc:
        doc = await self.db.projects.find_one({"_id": project_id})
        return self._shown(check_access(doc, project_id, principal, need))

    async def list(
        self, query: ListQuery, principal: Principal | None = None
    ) -> tuple[list[Doc], int | None]:
        visible = visible_to(principal)
        clauses = [query.filter] if query.filter else []
        for path, clause in query.fields:
            if await self._some_project_has(path, visible):
                clauses.append(clause)
        if visible is not None:
            clauses.append(visible)
        query.filter = {"$and": clauses} if len(clauses) > 1 else (clauses or [{}])[0]
        total = None
        if query.text:
            ids = await self._text_matches(query.filter, query.text)
            query.filter = {"$and": [query.filter, {"_id": {"$in": ids}}]}
        if query.limit == 0:
            return [], await self._count(query.filter) if query.want_total else None
        cursor = self.db.projects.find(query.filter, sort=query.sort, skip=query.skip)
        if query.limit is not None:
            cursor = cursor.limit(query.limit)
        items = [self._shown(doc) async for doc in cursor]
        if query.want_total:
            # A page that is not full (and not past the end) tells the total by itself.
            partial = query.limit is not None and len(items) < query.limit
            known = partial and (items or query.skip == 0)
            total = query.skip + len(items) if known else await self._count(query.filter)
        return items, total

    async def _some_project_has(self, path: str, visible: Doc | None) -> bool:
        # Among the projects the caller can see: whether another user's projects hold a field
        # is not the caller's to learn.
        has: Doc = {path: {"$exists": True}}
        condition = has if visible is None else {"$and": [has, visible]}
        return await self.db.projects.find_one(condition, {"_id": 1}) is not None

    async def _count(self, query: Doc) -> int:
        # The `count` command, not count_documents: the embedded server runs the aggregation
        # count_documents sends by decoding every document in Python, and the command by index.
        # Exact on a MongoDB that is not sharded, which is what this gateway runs on.
        answer = await self.db.db.command("count", "projects", query=query)
        return int(answer["n"])

    async def _text_matches(self, base: Doc, filters: TextFilters) -> Ids:
        """Ids of the projects matching `base` whose fields the RE2 filters also match."""

        def keep(batch: Members) -> Ids:
            return [doc["_id"] for doc in batch if all(f.matches(doc) for f in filters)]

        ids: Ids = []
        batch: Members = []
        async for doc in self.db.projects.find(base, projection(filters)):
            batch.append(doc)
            if len(batch) >= TEXT_BATCH:
                ids += await asyncio.to_thread(keep, batch)
                batch = []
        ids += await asyncio.to_thread(keep, batch)
        return ids

    async def update(
        self,
        project_id: str,
        body: Doc,
        principal: Principal | None = None,
        edit: Edit | None = None,
    ) -> Doc:
        """Merge `body` into the stored project (the guide's partial update) and return it whole.

        The merged document is validated as a whole, but only the sent fields are written, so two
        clients updating different fields at once do not undo each other. The derived copies
        (`_search`, `_media`) come from the whole merge, so the write lands only on the version
        it was derived from; a writer that lost the race derives again from the new version.
        """
        check_keys(body)
        changes = self.urls.plain(_client_fields(body))
        changes.pop("id", None)
        doc = await self._write(project_id, changes, principal, edit=edit)
        assert doc is not None
        return self._shown(doc)

    async def stored(self, project_id: str, principal: Principal | None, need: Need) -> Doc:
        """The stored document, internal fields included, if the caller has `need` access."""
        doc = await self.db.projects.find_one({"_id": project_id})
        return check_access(doc, project_id, principal, need)

    async def edit(self, project_id: str, principal: Principal | None, edit: Edit) -> Doc:
        """One versioned write of the internal fields `edit` derives from the stored document
        (re-derived if another writer got there first); the stored document after it."""
        doc = await self._write(project_id, {}, principal, edit=edit)
        assert doc is not None
        return doc

    async def _write(
        self,
        project_id: str,
        changes: Doc,
        principal: Principal | None,
        lock: Lock | None = None,
        edit: Edit | None = None,
    ) -> Doc | None:
        """The versioned merge of `update`; with `lock`, also take or release the project's job
        lock in the same write, or return None when the lock is not as `lock` expects; with
        `edit`, also write the internal fields it derives from the version written on."""
        for _ in range(MAX_WRITE_ATTEMPTS):
            current = check_access(
                await self.db.projects.find_one({"_id": project_id}),
                project_id,
                principal,
                "write",
            )
            internal: Doc = {}
            if lock is not None:
                held = current.get("_active_job")
                if held != lock.expect:
                    if lock.expect is None:
                        raise ProjectBusy(project_id, str(held))
                    return None
                internal["_active_job"] = lock.then
            if edit is not None:
                derived = edit(current)
                if derived is None and not changes:
                    return current
                internal.update(derived or {})
            revision = current.get("_rev")
            merged = validate_fields({**to_api(dict(current)), **changes})
            merged.pop("id", None)
            sets = {key: merged[key] for key in changes}
            sets["updatedAt"] = now_iso()
            sets.update(self._derived(merged, internal.get("_scenes", current.get("_scenes"))))
            doc = await self.db.projects.find_one_and_update(
                # `_rev: None` also matches a project stored before versions existed.
                {"_id": project_id, "_rev": revision},
                {"$set": {**sets, **internal}, "$inc": {"_rev": 1}},
                return_document=ReturnDocument.AFTER,
            )
            if doc is not None:
                return doc
            # Lost the race (or the project was deleted: the next read says 404); jitter so
            # the writers that lost together do not collide again.
            await asyncio.sleep(random.uniform(0, 0.01))  # noqa: S311 - jitter, not a secret
        raise ApiError(
            409,
            "The project is being changed by many clients at once; try again",
            headers={"Retry-After": "1"},
        )

    # --- the job lock: one render (or pipeline) per project at a time ------------------------

    async def acquire(
        self, project_id: str, job_id: str, changes: Doc, principal: Principal | None
    ) -> Doc:
        """Take the project for a job and write `changes`; ProjectBusy if a job holds it."""
        doc = await self._write(project_id, changes, principal, Lock(None, job_id))
        assert doc is not None
        return self._shown(doc)

    async def release(self, project_id: str, job_id: str, changes: Doc) -> bool:
        """Write a job's outcome and free the project, if this job still holds it (False when
        the project was deleted or a newer job took it over: the project is not changed)."""
        try:
            doc = await self._write(project_id, changes, None, Lock(job_id, None))
        except ApiError as exc:
            if exc.status == 404:
                return False
            raise
        return doc is not None

    async def locked(self) -> Locks:
        """(project id, job id) of every held lock, for the sweep."""
        query = {"_active_job": {"$exists": True, "$ne": None}}
        cursor = self.db.projects.find(query, {"_active_job": 1})
        return [
            (doc["_id"], str(doc["_active_job"])) async for doc in cursor if doc.get("_active_job")
        ]

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

    # --- for account deletion (gateway/auth/service.py) --------------------------------------

    async def owned_ids(self, user_id: str) -> Ids:
        return [doc["_id"] async for doc in self.db.projects.find({"_owner": user_id}, {"_id": 1})]

    async def delete_owned_by(self, user_id: str) -> int:
        result = await self.db.projects.delete_many({"_owner": user_id})
        return int(result.deleted_count)

    async def drop_member_everywhere(self, user_id: str) -> int:
        result = await self.db.projects.update_many(
            {"_members.user": user_id}, {"$pull": {"_members": {"user": user_id}}}
        )
        return int(result.modified_count)

    async def media_readable(self, key: str, principal: Principal | None) -> bool:
        """Whether a public project, or one the caller may read, refers to this key."""
        readable: list[Doc] = [{"visibility": "public"}]
        if principal is not None:
            readable.append(visible_to(principal) or {"_media": key})
        found = await self.db.projects.find_one({"_media": key, "$or": readable}, {"_id": 1})
        return found is not None

    async def referenced(self, keys: Ids) -> set[str]:
        """Those of `keys` that some stored project still refers to."""
        if not keys:
            return set()
        cursor = self.db.projects.find({"_media": {"$in": keys}}, {"_media": 1})
        wanted = set(keys)
        return {key async for doc in cursor for key in doc.get("_media") or () if key in wanted}
