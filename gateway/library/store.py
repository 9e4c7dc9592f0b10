"""Library entries in MongoDB (`library`), per-user favorites and the bytes each user stores.

One collection holds both libraries (`kind` media or audio), since an entry of either is the
same thing: a stored file with a title, a category, tags and who may see it. Stock entries
belong to no user; they are stored under the owner `STOCK`, not `null`, so "mine or stock" is
one `$in` that every MongoDB (and the embedded server) matches alike.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from gateway.clock import now_iso
from gateway.db import Database, Doc

Kind = Literal["media", "audio"]
# Where an entry came from: the media library's `source` values, used for audio entries too.
Source = Literal["stock", "uploaded", "ai"]
MediaType = Literal["image", "video", "gif"]
STOCK = "_stock"


@dataclass(frozen=True)
class Filters:
    """What a library listing asks for; `None` means any."""

    kind: Kind
    user_id: str
    sources: tuple[Source, ...] | None = None
    media_type: MediaType | None = None
    category: str | None = None
    tag: str | None = None
    search: str | None = None
    favorites_only: bool = False


@dataclass
class Page:
    items: list[Doc] = field(default_factory=list)
    total: int = 0
    favorites: set[str] = field(default_factory=set)


def _search_text(*parts: Any) -> str:
    words: list[str] = []
    for part in parts:
        if isinstance(part, list):
            words.extend(str(p) for p in part)
        elif part:
            words.append(str(part))
    return " ".join(words).lower()


class LibraryStore:
    def __init__(self, db: Database) -> None:
        self.entries = db.db["library"]
        self.favorites = db.db["library_favorites"]
        self.usage = db.db["library_usage"]

    async def ensure_indexes(self) -> None:
        await self.entries.create_index(
            [("kind", ASCENDING), ("owner", ASCENDING), ("createdAt", DESCENDING)], name="listing"
        )
        # One entry per stock item, however many replicas render it at once.
        await self.entries.create_index(
            [("stock_id", ASCENDING)], name="stock", unique=True, sparse=True
        )
        await self.entries.create_index([("key", ASCENDING)], name="key")
        await self.favorites.create_index([("user", ASCENDING)], name="user")

    async def add(
        self,
        kind: Kind,
        owner: str | None,
        *,
        source: Source,
        title: str,
        key: str,
        content_type: str,
        size_bytes: int,
        media_type: MediaType | None = None,
        category: str | None = None,
        tags: list[str] | None = None,
        width: int | None = None,
        height: int | None = None,
        duration: float | None = None,
        thumbnail_key: str | None = None,
        waveform_key: str | None = None,
        artist: str | None = None,
        ai_prompt: str | None = None,
        is_premium: bool = False,
        stock_id: str | None = None,
    ) -> Doc:
        """A new entry of `owner`'s library (`None`: a stock entry everyone sees) and the doc
        stored. The file under `key` must already be stored; the caller records its owner
        (gateway/media_owners.py) so account deletion removes it. With `stock_id` already
        present, the existing entry is returned instead and nothing is added."""
        tags = list(tags or [])
        doc: Doc = {
            "_id": uuid.uuid4().hex,
            "kind": kind,
            "owner": owner if owner is not None else STOCK,
            "source": source,
            "type": media_type if kind == "media" else None,
            "title": title,
            "artist": artist,
            "category": category,
            "category_lc": category.lower() if category else None,
            "tags": tags,
            "tags_lc": [t.lower() for t in tags],
            "key": key,
            "thumbnail_key": thumbnail_key,
            "waveform_key": waveform_key,
            "content_type": content_type,
            "size_bytes": size_bytes,
            "width": width,
            "height": height,
            "duration": duration,
            "ai_prompt": ai_prompt,
            "is_premium": is_premium,
            "createdAt": now_iso(),
            "_search": _search_text(title, artist, category, tags),
        }
        if stock_id is not None:
            doc["stock_id"] = stock_id
        try:
            await self.entries.insert_one(doc)
        except DuplicateKeyError:
            existing = await self.entries.find_one({"stock_id": stock_id})
            if stock_id is None or existing is None:
                raise
            return existing
        return doc

    async def get(
        self, entry_id: str, kind: Kind, user_id: str, any_owner: bool = False
    ) -> Doc | None:
        """The entry if `user_id` may see it (theirs or stock; any with `any_owner`)."""
        query: Doc = {"_id": entry_id, "kind": kind}
        if not any_owner:
            query["owner"] = {"$in": [STOCK, user_id]}
        return await self.entries.find_one(query)

    async def remove(self, entry_id: str) -> Doc | None:
        """Delete one entry (and everyone's favorite of it); the entry as it was, or None."""
        doc = await self.entries.find_one_and_delete({"_id": entry_id})
        if doc is not None:
            await self.favorites.delete_many({"entry": entry_id})
        return doc

    async def stock_ids(self, kind: Kind) -> set[str]:
        cursor = self.entries.find({"kind": kind, "owner": STOCK}, {"stock_id": 1})
        return {doc["stock_id"] async for doc in cursor if doc.get("stock_id")}

    async def list(self, filters: Filters, skip: int, limit: int) -> Page:
        query: Doc = {"kind": filters.kind}
        owners = [STOCK, filters.user_id]
        if filters.sources == ("stock",):
            owners = [STOCK]
        elif filters.sources is not None and "stock" not in filters.sources:
            owners = [filters.user_id]
        query["owner"] = {"$in": owners}
        if filters.sources is not None:
            query["source"] = {"$in": list(filters.sources)}
        if filters.media_type is not None:
            query["type"] = filters.media_type
        if filters.category:
            query["category_lc"] = filters.category.lower()
        if filters.tag:
            query["tags_lc"] = filters.tag.lower()
        if filters.search:
            # A lower-cased literal, escaped: matched in time linear in the text.
            query["_search"] = {"$regex": re.escape(filters.search.lower())}
        favorites = await self.favorite_ids(filters.user_id)
        if filters.favorites_only:
            query["_id"] = {"$in": sorted(favorites)}
        cursor = self.entries.find(query).sort([("createdAt", DESCENDING), ("_id", ASCENDING)])
        items = [doc async for doc in cursor.skip(skip).limit(limit)]
        answer = await self.entries.database.command("count", self.entries.name, query=query)
        return Page(items, int(answer["n"]), favorites)

    async def favorite_ids(self, user_id: str) -> set[str]:
        return {doc["entry"] async for doc in self.favorites.find({"user": user_id}, {"entry": 1})}

    async def set_favorite(self, user_id: str, entry_id: str, favorite: bool) -> None:
        """Idempotent either way: marking twice keeps one favorite."""
        fav_id = f"{user_id}:{entry_id}"
        if favorite:
            await self.favorites.update_one(
                {"_id": fav_id},
                {"$setOnInsert": {"user": user_id, "entry": entry_id, "createdAt": now_iso()}},
                upsert=True,
            )
        else:
            await self.favorites.delete_one({"_id": fav_id})

    async def used_bytes(self, user_id: str) -> int:
        doc = await self.usage.find_one({"_id": user_id})
        return int(doc["bytes"]) if doc else 0

    async def reserve(self, user_id: str, size: int, quota: int) -> bool:
        """Count `size` more bytes against `user_id` if that stays within `quota`, atomically:
        two uploads at once cannot both take the last of it."""
        await self.usage.update_one({"_id": user_id}, {"$setOnInsert": {"bytes": 0}}, upsert=True)
        found = await self.usage.find_one_and_update(
            {"_id": user_id, "bytes": {"$lte": quota - size}},
            {"$inc": {"bytes": size}},
            return_document=ReturnDocument.AFTER,
        )
        return found is not None

    async def release(self, user_id: str, size: int) -> None:
        await self.usage.update_one({"_id": user_id}, {"$inc": {"bytes": -size}})

    async def delete_user(self, user_id: str) -> int:
        """Everything of one user's libraries (account deletion); the files are removed with
        the rest of their media (gateway/media_owners.py)."""
        removed = await self.entries.delete_many({"owner": user_id})
        await self.favorites.delete_many({"user": user_id})
        await self.usage.delete_one({"_id": user_id})
        return removed.deleted_count
