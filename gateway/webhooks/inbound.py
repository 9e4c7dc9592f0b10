"""Signed calls other systems make to the gateway: n8n's workflows (a shared secret HMAC with a
timestamp, each signature accepted once within the replay window) and YouTube's PubSubHubbub
push notifications (X-Hub-Signature over the Atom feed). Every accepted call is recorded in
`webhook_events`; a refused one leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any
from xml.etree import ElementTree

from pymongo.errors import DuplicateKeyError

from contracts.errors import ApiError
from contracts.webhooks import InboundReceipt
from gateway.clock import now_iso
from gateway.db import Doc
from gateway.state import GatewayState

TIMESTAMP_HEADER = "x-webhook-timestamp"
SIGNATURE_HEADER = "x-webhook-signature"
HUB_SIGNATURE_HEADER = "x-hub-signature"
ATOM = "{http://www.w3.org/2005/Atom}"
YT = "{http://www.youtube.com/xml/schemas/2015}"


def n8n_signature(secret: str, timestamp: str, body: bytes) -> str:
    """sha256=<hex HMAC-SHA256 of "timestamp." + body>, what n8n's call must carry."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def hub_signature(secret: str, body: bytes) -> str:
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def _unauthorized(detail: str) -> ApiError:
    return ApiError(401, detail)


def _check_n8n(state: GatewayState, headers: dict[str, str], body: bytes) -> str:
    """The verified signature, or a 401 saying what is wrong with it."""
    s = state.settings
    if not s.webhook_n8n_secret:
        raise _unauthorized("n8n webhooks are not enabled on this server: no shared secret is set")
    timestamp, signature = headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER)
    if not timestamp or not signature:
        raise _unauthorized(
            "Missing signature: send X-Webhook-Timestamp (Unix seconds) and "
            "X-Webhook-Signature (sha256=HMAC-SHA256 of 'timestamp.body')"
        )
    try:
        sent = int(timestamp)
    except ValueError:
        raise _unauthorized("X-Webhook-Timestamp must be Unix seconds") from None
    if abs(time.time() - sent) > s.webhook_replay_window_seconds:
        raise _unauthorized(
            f"X-Webhook-Timestamp is more than {s.webhook_replay_window_seconds} seconds "
            "away from the server's time"
        )
    expected = n8n_signature(s.webhook_n8n_secret, timestamp, body)
    if not hmac.compare_digest(expected, signature.strip()):
        raise _unauthorized("Invalid signature")
    return expected


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(422, "body: must be a JSON object") from None
    if not isinstance(value, dict):
        raise ApiError(422, "body: must be a JSON object")
    return value


async def receive_n8n(
    state: GatewayState, event: str, headers: dict[str, str], body: bytes
) -> InboundReceipt:
    signature = _check_n8n(state, headers, body)
    payload = _json_object(body)
    # The signature is the event's id: a second call with it (a replay) cannot be stored.
    event_id = "n8n-" + hashlib.sha256(signature.encode()).hexdigest()[:32]
    try:
        await state.db.db["webhook_events"].insert_one(
            {
                "_id": event_id,
                "source": "n8n",
                "event": event,
                "payload": payload,
                "receivedAt": now_iso(),
            }
        )
    except DuplicateKeyError:
        raise _unauthorized("Replayed signature: this call was already received") from None
    return InboundReceipt(received=True, id=event_id, event=event)


def _entries(body: bytes) -> list[Doc]:
    # A feed has no DTD; refusing one rules out entity expansion, the XML attack left to guard.
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise ApiError(422, "body: an Atom feed must not declare a DOCTYPE or entities")
    try:
        root = ElementTree.fromstring(body)  # noqa: S314 (no DTD reaches it, see above)
    except ElementTree.ParseError:
        raise ApiError(422, "body: must be an Atom feed") from None
    entries: list[Doc] = []
    for entry in root.iter(f"{ATOM}entry"):
        video_id = entry.findtext(f"{YT}videoId")
        if video_id:
            entries.append(
                {
                    "video_id": video_id,
                    "channel_id": entry.findtext(f"{YT}channelId"),
                    "title": entry.findtext(f"{ATOM}title"),
                    "published": entry.findtext(f"{ATOM}published"),
                    "updated": entry.findtext(f"{ATOM}updated"),
                }
            )
    for deleted in root.iter("{http://purl.org/atompub/tombstones/1.0}deleted-entry"):
        ref = deleted.get("ref", "")
        entries.append({"video_id": ref.rsplit(":", 1)[-1], "deleted": True})
    return entries


async def receive_youtube(
    state: GatewayState, headers: dict[str, str], body: bytes
) -> InboundReceipt:
    secret = state.settings.webhook_youtube_hub_secret
    if not secret:
        raise _unauthorized(
            "YouTube push notifications are not enabled on this server: no hub secret is set"
        )
    signature = headers.get(HUB_SIGNATURE_HEADER)
    if not signature:
        raise _unauthorized("Missing X-Hub-Signature (sha1=HMAC-SHA1 of the body)")
    if not hmac.compare_digest(hub_signature(secret, body), signature.strip()):
        raise _unauthorized("Invalid signature")
    entries = _entries(body)
    event_id = "youtube-" + uuid.uuid4().hex
    await state.db.db["webhook_events"].insert_one(
        {
            "_id": event_id,
            "source": "youtube",
            "event": "youtube.feed",
            "payload": {"entries": entries},
            "receivedAt": now_iso(),
        }
    )
    for entry in entries:
        changes: Doc = {"youtube_notified_at": now_iso()}
        if entry.get("deleted"):
            changes["youtube_deleted"] = True
        else:
            changes.update(
                youtube_title=entry["title"],
                youtube_published_at=entry["published"],
                youtube_channel_id=entry["channel_id"],
            )
        await state.db.projects.update_many(
            {"youtube_video_id": entry["video_id"]}, {"$set": changes}
        )
    return InboundReceipt(received=True, id=event_id, event="youtube.feed")


def hub_challenge(mode: str | None, topic: str | None, challenge: str | None) -> str:
    """The hub's verification of a (un)subscription: echo the challenge."""
    if mode not in ("subscribe", "unsubscribe"):
        raise ApiError(422, "hub.mode: must be subscribe or unsubscribe")
    if not topic or not topic.startswith("https://www.youtube.com/xml/feeds/videos.xml"):
        raise ApiError(422, "hub.topic: must be a YouTube channel feed URL")
    if not challenge:
        raise ApiError(422, "hub.challenge: is required")
    return challenge
