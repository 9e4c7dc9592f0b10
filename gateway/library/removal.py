"""Deleting a library entry: its files go, unless a project still uses them, and its bytes are
given back to the owner's quota."""

from __future__ import annotations

import logging

from contracts.errors import ApiError
from gateway.auth.principal import Principal
from gateway.auth.roles import PROJECTS_ANY
from gateway.library.store import STOCK, Kind
from gateway.state import GatewayState

log = logging.getLogger("gateway.library")
LABELS = {"media": "Media", "audio": "Audio"}


async def remove_entry(
    state: GatewayState, principal: Principal, kind: Kind, entry_id: str
) -> None:
    label = LABELS[kind]
    entry = await state.library.get(entry_id, kind, principal.user_id, principal.can(PROJECTS_ANY))
    if entry is None:
        raise ApiError(404, f"{label} not found: {entry_id}")
    if entry["owner"] == STOCK:
        raise ApiError(403, f"{label} {entry_id} is a stock entry; it cannot be deleted")
    removed = await state.library.remove(entry_id)
    if removed is None:
        raise ApiError(404, f"{label} not found: {entry_id}")
    await state.library.release(removed["owner"], int(removed.get("size_bytes") or 0))
    keys = [removed.get(k) for k in ("key", "thumbnail_key", "waveform_key")]
    candidates = [k for k in keys if k]
    in_use = await state.projects.referenced(candidates)
    gone = [k for k in candidates if k not in in_use]
    for key in gone:
        try:
            await state.storage.delete(key)
        except Exception:
            log.warning("could not delete media %s of entry %s", key, entry_id, exc_info=True)
    await state.media_owners.forget(gone)
