"""The media an AI job may read: the caller's own stored files, named by our bucket or URL.

A job fetches what it is given, so a path is checked before anything is queued: only
`s3://<our bucket>/<key>` or one of our media URLs, and only a key that was produced for the
caller (or in a project they can read). Anything else is refused without being fetched.
"""

from __future__ import annotations

from contracts.errors import ApiError
from contracts.media_keys import validate_key
from gateway.auth.principal import Principal
from gateway.state import GatewayState


def _key_of(state: GatewayState, value: str, field: str) -> str:
    settings = state.settings
    bucket = f"s3://{settings.s3_bucket}/"
    try:
        if value.startswith(bucket):
            return validate_key(value[len(bucket) :].removeprefix(settings.s3_prefix))
        key = state.media_key(value)
    except ApiError:
        key = None
    if key is None:
        raise ApiError(
            422,
            f"{field} must name one of your stored files: {bucket}<key> or a media URL of "
            "this server",
        )
    return key


async def own_key(state: GatewayState, principal: Principal, value: str, field: str) -> str:
    key = _key_of(state, value, field)
    record = await state.media_owners.collection.find_one({"_id": key})
    if record is not None and record.get("owner") == principal.user_id:
        return key
    if record is not None and record.get("project"):
        try:
            await state.projects.get(record["project"], principal)
        except ApiError:
            pass
        else:
            return key
    # Someone else's file answers as a missing one does: its existence is not told.
    raise ApiError(422, f"{field} names no stored file of yours: {value[:200]}")
