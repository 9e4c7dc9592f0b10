"""The media an AI job may read: the caller's own stored files, named by our bucket or URL.

A job fetches what it is given, so a path is checked before anything is queued: only
`s3://<our bucket>/<key>` or one of our media URLs, and only a key that was produced for the
caller (or in a project they can read). Anything else is refused without being fetched.
"""

from __future__ import annotations

import posixpath

from contracts.avatars import AvatarsResponse
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


async def narration_words(state: GatewayState, principal: Principal, audio_key: str) -> str | None:
    """The word timings beside a narration of the caller's (the audio service writes
    words.json next to each), or None for any other audio."""
    words_key = posixpath.join(posixpath.dirname(audio_key), "words.json")
    record = await state.media_owners.collection.find_one({"_id": words_key})
    if record is None or record.get("owner") != principal.user_id:
        return None
    return words_key


async def avatar_poses(state: GatewayState, avatar_id: str) -> dict[str, str]:
    answer = await state.services.image.call("POST", "/avatars", AvatarsResponse)
    for avatar in answer.avatars:
        if avatar.id == avatar_id:
            return {pose: key for pose, key in avatar.poses.items()}
    known = ", ".join(a.id for a in answer.avatars)
    raise ApiError(422, f"avatarId: unknown avatar {avatar_id[:64]!r}; use one of {known}")
