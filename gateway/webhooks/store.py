"""Webhook endpoints (`webhook_endpoints`) and their deliveries (`webhook_deliveries`).

An endpoint document holds its owner (`_owner`), signing secret (`_secret`) and the count of
failed tries in a row; a delivery holds its payload, the try log and whether it is done.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument

from contracts.errors import ApiError
from contracts.webhooks import (
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
)
from gateway.clock import now_iso
from gateway.db import Database, Doc


class EndpointNotFound(ApiError):
    def __init__(self, endpoint_id: str) -> None:
        super().__init__(404, f"Webhook endpoint not found: {endpoint_id}")


def _public(doc: Doc) -> dict[str, Any]:
    return {"id": doc["_id"], **{k: v for k, v in doc.items() if not k.startswith("_")}}


def to_endpoint(doc: Doc) -> WebhookEndpoint:
    return WebhookEndpoint.model_validate(_public(doc))


def to_delivery(doc: Doc) -> WebhookDelivery:
    return WebhookDelivery.model_validate(_public(doc))


class WebhookStore:
    def __init__(self, db: Database) -> None:
        self.endpoints = db.db["webhook_endpoints"]
        self.deliveries = db.db["webhook_deliveries"]

    async def ensure_indexes(self) -> None:
        await self.endpoints.create_index([("_owner", ASCENDING)], name="owner")
        await self.deliveries.create_index(
            [("endpoint_id", ASCENDING), ("createdAt", DESCENDING)], name="endpoint"
        )

    async def count_for(self, owner: str) -> int:
        answer = await self.endpoints.database.command(
            "count", self.endpoints.name, query={"_owner": owner}
        )
        return int(answer["n"])

    async def create(self, owner: str, body: WebhookEndpointCreate) -> WebhookEndpointCreated:
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        doc: Doc = {
            "_id": uuid.uuid4().hex,
            "url": body.url,
            "events": sorted(set(body.events)),
            "description": body.description,
            "active": True,
            "consecutive_failures": 0,
            "disabled_reason": None,
            "createdAt": now_iso(),
            "_owner": owner,
            "_secret": secret,
        }
        await self.endpoints.insert_one(doc)
        return WebhookEndpointCreated.model_validate({**_public(doc), "secret": secret})

    async def list_for(self, owner: str) -> list[WebhookEndpoint]:
        cursor = self.endpoints.find({"_owner": owner}, sort=[("createdAt", ASCENDING)])
        return [to_endpoint(doc) async for doc in cursor]

    async def owned(self, owner: str, endpoint_id: str) -> Doc:
        doc = await self.endpoints.find_one({"_id": endpoint_id, "_owner": owner})
        if doc is None:
            raise EndpointNotFound(endpoint_id)
        return doc

    async def delete(self, owner: str, endpoint_id: str) -> None:
        result = await self.endpoints.delete_one({"_id": endpoint_id, "_owner": owner})
        if result.deleted_count == 0:
            raise EndpointNotFound(endpoint_id)
        await self.deliveries.delete_many({"endpoint_id": endpoint_id})

    async def delete_all(self, owner: str) -> None:
        """An account's endpoints and their log, when the account is deleted."""
        await self.deliveries.delete_many({"_owner": owner})
        await self.endpoints.delete_many({"_owner": owner})

    async def subscribed(self, owner: str, event: str) -> list[Doc]:
        cursor = self.endpoints.find({"_owner": owner, "active": True, "events": event})
        return [doc async for doc in cursor]

    async def endpoint(self, endpoint_id: str) -> Doc | None:
        return await self.endpoints.find_one({"_id": endpoint_id})

    async def failed_try(self, endpoint_id: str, disable_after: int) -> Doc | None:
        """Count a failed try; the endpoint after it, disabled when the count reached the limit."""
        doc = await self.endpoints.find_one_and_update(
            {"_id": endpoint_id},
            {"$inc": {"consecutive_failures": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is not None and doc["active"] and doc["consecutive_failures"] >= disable_after:
            reason = f"disabled after {doc['consecutive_failures']} failed deliveries in a row"
            doc = await self.endpoints.find_one_and_update(
                {"_id": endpoint_id, "active": True},
                {"$set": {"active": False, "disabled_reason": reason}},
                return_document=ReturnDocument.AFTER,
            )
        return doc

    async def succeeded(self, endpoint_id: str) -> None:
        await self.endpoints.update_one({"_id": endpoint_id}, {"$set": {"consecutive_failures": 0}})

    async def new_delivery(self, endpoint: Doc, event: str, payload: Doc) -> str:
        stamp = now_iso()
        delivery_id = "msg_" + uuid.uuid4().hex
        await self.deliveries.insert_one(
            {
                "_id": delivery_id,
                "endpoint_id": endpoint["_id"],
                "event": event,
                "status": "pending",
                "attempts": [],
                "payload": payload,
                "createdAt": stamp,
                "updatedAt": stamp,
                "_owner": endpoint["_owner"],
            }
        )
        return delivery_id

    async def delivery(self, delivery_id: str) -> Doc | None:
        return await self.deliveries.find_one({"_id": delivery_id})

    async def log_attempt(self, delivery: Doc, attempt: Doc, status: str) -> None:
        # The whole list is set, not `$push`ed: the embedded test server stores a pushed
        # document as a string. Only the one task holding the message writes a delivery.
        await self.deliveries.update_one(
            {"_id": delivery["_id"]},
            {
                "$set": {
                    "attempts": [*delivery["attempts"], attempt],
                    "status": status,
                    "updatedAt": now_iso(),
                }
            },
        )

    async def deliveries_of(self, endpoint_id: str, limit: int) -> list[WebhookDelivery]:
        cursor = self.deliveries.find(
            {"endpoint_id": endpoint_id}, sort=[("createdAt", DESCENDING)], limit=limit
        )
        return [to_delivery(doc) async for doc in cursor]
