"""Sending events to the endpoints that asked for them: one delivery per endpoint, signed with
the Standard Webhooks scheme, tried on the queue with exponential backoff, every try logged.

Emitting never fails the work that emits: an event that cannot be queued is logged and dropped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks import Webhook

from contracts.errors import ApiError
from gateway.clock import now_iso
from gateway.db import Doc
from gateway.jobs.store import to_job
from gateway.state import GatewayState
from gateway.webhooks.addresses import check_url

log = logging.getLogger("gateway.webhooks")
DELIVER = "studio.deliver_webhook"
USER_AGENT = "ai-studio-webhooks/1"


async def _enqueue(state: GatewayState, delivery_id: str, countdown: float = 0) -> None:
    queue = state.queue
    await asyncio.to_thread(
        queue.celery.send_task,
        DELIVER,
        args=[delivery_id],
        queue=queue.jobs_queue,
        countdown=countdown,
    )


async def emit(state: GatewayState, owner: str, event: str, data: dict[str, Any]) -> list[str]:
    """Queue `event` for each of the owner's active endpoints subscribed to it; the delivery ids.

    For other features to call: `video.published` with the project, `credits.low` with the
    balance."""
    payload = {"type": event, "timestamp": now_iso(), "data": data}
    ids: list[str] = []
    try:
        for endpoint in await state.webhooks.subscribed(owner, event):
            delivery_id = await state.webhooks.new_delivery(endpoint, event, payload)
            await _enqueue(state, delivery_id)
            ids.append(delivery_id)
    except Exception:
        log.exception("could not queue the %s webhook of %s", event, owner)
    return ids


async def job_ended(state: GatewayState, job_id: str) -> None:
    """`job.done` or `job.failed` for the job's owner, with the job as the API shows it."""
    try:
        doc = await state.jobs.doc(job_id)
    except Exception:
        log.exception("could not read job %s for its webhook", job_id)
        return
    owner, status = doc.get("_owner"), doc.get("status")
    if owner and status in ("done", "failed"):
        await emit(state, owner, f"job.{status}", to_job(doc).model_dump(mode="json"))
    result = doc.get("result") or {}
    if owner and status == "done" and result.get("youtube_video_id"):
        # An upload (or a pipeline that published) ended: its outcome is on the project now.
        await emit(state, owner, "video.published", {"project_id": doc.get("project_id"), **result})


def signed_headers(secret: str, msg_id: str, body: str) -> dict[str, str]:
    stamp = datetime.now(UTC)
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, stamp, body),
    }


async def _post(state: GatewayState, endpoint: Doc, msg_id: str, body: str) -> Doc:
    """One try: its log entry, with `error` None when the receiver took it (a 2xx)."""
    s = state.settings
    started = time.monotonic()
    entry: Doc = {"at": now_iso(), "status_code": None, "response": None, "error": None}
    try:
        # Checked again at send time: the name may resolve elsewhere than when it was registered.
        await check_url(endpoint["url"], s.webhook_allow_private)
        headers = signed_headers(endpoint["_secret"], msg_id, body)
        async with (
            httpx.AsyncClient(timeout=s.webhook_timeout_seconds, follow_redirects=False) as client,
            client.stream("POST", endpoint["url"], content=body, headers=headers) as answer,
        ):
            kept = b""
            async for chunk in answer.aiter_bytes():
                kept += chunk
                if len(kept) >= s.webhook_log_body_bytes:
                    break
            entry["status_code"] = answer.status_code
            entry["response"] = kept[: s.webhook_log_body_bytes].decode("utf-8", "replace")
            if not 200 <= answer.status_code < 300:
                entry["error"] = f"the endpoint answered {answer.status_code}"
    except ApiError as exc:
        entry["error"] = exc.detail
    except httpx.HTTPError as exc:
        entry["error"] = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    entry["seconds"] = round(time.monotonic() - started, 3)
    return entry


async def attempt(state: GatewayState, delivery_id: str) -> float | None:
    """Try a delivery once; the seconds to wait before the next try, or None when it is over."""
    s, store = state.settings, state.webhooks
    delivery = await store.delivery(delivery_id)
    if delivery is None or delivery["status"] != "pending":
        return None  # a duplicate message of a delivery already over
    endpoint = await store.endpoint(delivery["endpoint_id"])
    if endpoint is None or not endpoint["active"]:
        reason = "the endpoint was disabled" if endpoint else "the endpoint was deleted"
        entry: Doc = {"at": now_iso(), "status_code": None, "response": None, "seconds": 0.0}
        await store.log_attempt(delivery, {**entry, "error": reason}, "failed")
        return None
    body = json.dumps(delivery["payload"], separators=(",", ":"))
    entry = await _post(state, endpoint, delivery_id, body)
    if entry["error"] is None:
        await store.log_attempt(delivery, entry, "delivered")
        await store.succeeded(endpoint["_id"])
        return None
    number = len(delivery["attempts"]) + 1
    after = await store.failed_try(endpoint["_id"], s.webhook_disable_after)
    if number >= s.webhook_max_attempts or after is None or not after["active"]:
        await store.log_attempt(delivery, entry, "failed")
        log.warning("webhook %s to %s failed: %s", delivery_id, endpoint["url"], entry["error"])
        return None
    await store.log_attempt(delivery, entry, "pending")
    return float(s.webhook_backoff_seconds * 2 ** (number - 1))


async def again(state: GatewayState, delivery_id: str, wait: float) -> None:
    await _enqueue(state, delivery_id, wait)
