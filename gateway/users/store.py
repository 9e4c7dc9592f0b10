"""User documents in MongoDB, and the `roles` collection that describes the roles."""

from __future__ import annotations

import re
import uuid
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from contracts.auth import User
from contracts.errors import ApiError
from gateway.auth.roles import ROLE_PERMISSIONS
from gateway.clock import now_iso
from gateway.db import Database, Doc

# Seed 001: a new free account starts with three credits.
STARTING_CREDITS = 3


def user_out(doc: Doc) -> User:
    return User(
        id=doc["_id"],
        email=doc["email"],
        name=doc["name"],
        role=doc["role"],
        tier=doc["tier"],
        credits=int(doc.get("credits", 0)),
        emailVerified=bool(doc.get("emailVerified", False)),
        createdAt=doc["createdAt"],
        updatedAt=doc["updatedAt"],
    )


def normalize_email(email: str) -> str:
    return email.strip().lower()


class UserStore:
    def __init__(self, db: Database) -> None:
        self.users = db.db["users"]
        self.roles = db.db["roles"]

    async def ensure_indexes(self) -> None:
        await self.users.create_index([("email", ASCENDING)], name="email", unique=True)
        await self.users.create_index([("tier", ASCENDING)], name="tier")
        for name, perms in ROLE_PERMISSIONS.items():
            await self.roles.replace_one(
                {"_id": name}, {"_id": name, "permissions": sorted(perms)}, upsert=True
            )

    async def create(
        self, email: str, name: str, password_hash: str, *, role: str = "user", verified: bool
    ) -> Doc:
        stamp = now_iso()
        doc: Doc = {
            "_id": uuid.uuid4().hex,
            "email": normalize_email(email),
            "name": name,
            "password": password_hash,
            "role": role,
            "tier": "free",
            "credits": STARTING_CREDITS,
            "emailVerified": verified,
            "createdAt": stamp,
            "updatedAt": stamp,
        }
        try:
            await self.users.insert_one(doc)
        except DuplicateKeyError:
            raise ApiError(
                409, "An account with this email already exists", details={"field": "email"}
            ) from None
        return doc

    async def by_email(self, email: str) -> Doc | None:
        return await self.users.find_one({"email": normalize_email(email)})

    async def by_id(self, user_id: str) -> Doc | None:
        return await self.users.find_one({"_id": user_id})

    async def get(self, user_id: str) -> Doc:
        doc = await self.by_id(user_id)
        if doc is None:
            raise ApiError(404, f"User not found: {user_id}")
        return doc

    async def update(self, user_id: str, sets: dict[str, Any]) -> Doc:
        doc = await self.users.find_one_and_update(
            {"_id": user_id},
            {"$set": {**sets, "updatedAt": now_iso()}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            raise ApiError(404, f"User not found: {user_id}")
        return doc

    async def list(
        self, search: str | None, tier: str | None, page: int, limit: int
    ) -> tuple[list[Doc], int]:
        clauses: list[Doc] = []
        if search:
            pattern = re.escape(search)
            clauses.append(
                {
                    "$or": [
                        {"email": {"$regex": pattern, "$options": "i"}},
                        {"name": {"$regex": pattern, "$options": "i"}},
                    ]
                }
            )
        if tier:
            clauses.append({"tier": tier})
        query: Doc = {"$and": clauses} if len(clauses) > 1 else (clauses or [{}])[0]
        total = await self.users.count_documents(query)
        cursor = self.users.find(
            query, sort=[("createdAt", ASCENDING), ("_id", ASCENDING)], skip=(page - 1) * limit
        ).limit(limit)
        return [doc async for doc in cursor], total

    async def delete(self, user_id: str) -> None:
        await self.users.delete_one({"_id": user_id})
