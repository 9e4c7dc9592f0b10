"""The OAuth 2.0 web flow per user (or per channel): an authorization URL with PKCE and a
signed, single-use `state`; the callback that trades the code for tokens; disconnecting.

The state names who started the flow, so the callback (a browser redirect from Google, which
carries no credentials of ours) stores the grant for that user only, and a state that was
forged, used before or expired connects nobody.
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag

from contracts.errors import ApiError
from gateway.db import Doc
from gateway.youtube.google import pkce_pair
from gateway.youtube.hub import YouTube
from gateway.youtube.quota import READ_UNITS
from gateway.youtube.tokens import grant_key

log = logging.getLogger("gateway.youtube")


async def authorization_url(yt: YouTube, user_id: str, channel_id: str | None = None) -> str:
    yt.google.require()
    nonce = secrets.token_urlsafe(24)
    verifier, challenge = pkce_pair()
    expires = time.time() + yt.settings.youtube_oauth_state_ttl_seconds
    await yt.states.insert_one(
        {
            "_id": nonce,
            "user_id": user_id,
            "channel_id": channel_id,
            "verifier": verifier,
            "expiresAt": datetime.fromtimestamp(expires, UTC),
        }
    )
    return yt.google.auth_url(yt.sealer.sign(nonce), challenge)


async def complete(yt: YouTube, state: str | None, code: str | None) -> Doc:
    """Store the grant the callback brings; the flow's record (user, channel) on success."""
    nonce = yt.sealer.unsign(state or "")
    if nonce is None:
        raise ApiError(400, "state: not a state this server issued")
    flow = await yt.states.find_one_and_delete({"_id": nonce})
    if flow is None or _expired(flow):
        raise ApiError(400, "state: expired or already used; start the connection again")
    if not code:
        raise ApiError(400, "code: missing (the user declined, or Google sent an error)")
    tokens = await yt.google.exchange(code, flow["verifier"])
    key = grant_key(flow["user_id"], flow.get("channel_id"))
    await yt.tokens.save(
        key,
        flow["user_id"],
        str(tokens["access_token"]),
        tokens.get("refresh_token"),
        float(tokens.get("expires_in", 3600)),
    )
    channel = await own_channel(yt, key)
    if channel is not None:
        await yt.tokens.set_channel(key, str(channel["id"]))
        if flow.get("channel_id"):
            await yt.channels.update_one(
                {"_id": flow["channel_id"], "user_id": flow["user_id"]},
                {"$set": {"youtube_channel_id": channel["id"]}},
            )
    return flow


def _expired(flow: Doc) -> bool:
    expires = flow["expiresAt"]
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    return bool(expires < datetime.now(UTC))


async def own_channel(yt: YouTube, key: str) -> Doc | None:
    """The YouTube channel a grant acts for (channels.list mine=true), or None if it has none."""
    grant = await yt.google.grant(key)
    await yt.quota.spend(READ_UNITS)
    answer = await yt.google.json(
        grant, "GET", "/channels", params={"part": "snippet,statistics", "mine": "true"}
    )
    items = answer.get("items") or []
    return items[0] if items else None


async def connected(yt: YouTube, key: str) -> bool:
    return await yt.tokens.raw(key) is not None


async def disconnect(yt: YouTube, key: str) -> None:
    """Revoke the grant at Google and delete the tokens (deleted even if Google is away: the
    user asked that this server no longer act for them)."""
    try:
        grant = await yt.tokens.load(key)
    except (KeyError, ValueError, InvalidTag):
        grant = None  # sealed under a key no longer configured: nothing to revoke with
    if grant is not None:
        try:
            await yt.google.revoke(grant)
        except ApiError as exc:
            log.warning("youtube: revoking a grant failed (%s); deleting it anyway", exc.detail)
    await yt.tokens.delete(key)


async def access_token(yt: YouTube, owner: str, channel_id: str | None) -> str | None:
    """A usable access token of the owner's channel (their own connection when the channel is
    None), refreshed first if it is about to expire; None when there is no usable grant (not
    connected, revoked, or Google unreachable for now), so a caller skips it this time."""
    if not yt.google.configured:
        return None
    try:
        grant = await yt.google.grant(grant_key(owner, channel_id))
    except ApiError as exc:
        log.info("youtube: no token for %s/%s: %s", owner, channel_id, exc.detail)
        return None
    return grant.access_token
