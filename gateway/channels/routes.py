"""`/api/v1/channels` (seed 003): CRUD, connecting a channel to YouTube (the OAuth flow of
gateway/youtube/connect.py, with a grant of the channel's own) and its statistics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from contracts.errors import ApiError
from gateway.auth.principal import CurrentPrincipal, Principal
from gateway.channels.models import (
    Channel,
    ChannelCreate,
    ChannelStats,
    ChannelUpdate,
    ConnectUrl,
)
from gateway.channels.plan import daily_limit
from gateway.channels.store import ChannelStore, shown
from gateway.db import Doc
from gateway.deps import State
from gateway.state import GatewayState
from gateway.youtube import connect
from gateway.youtube.quota import DAY
from gateway.youtube.tokens import grant_key

router = APIRouter(prefix="/api/v1/channels", tags=["channels"])
ChannelId = Annotated[str, Path(max_length=64)]


async def _shown(state: GatewayState, doc: Doc) -> Channel:
    connected = await connect.connected(state.youtube, grant_key(doc["user_id"], doc["_id"]))
    return Channel.model_validate(shown(doc, connected))


def _limit(state: GatewayState, principal: Principal) -> int:
    limits = state.settings.channels_limit
    return limits.get(principal.tier, limits.get("free", 1))


@router.get("", response_model=list[Channel])
@router.get("/", response_model=list[Channel], include_in_schema=False)
async def list_channels(state: State, principal: CurrentPrincipal) -> list[Channel]:
    docs = await ChannelStore(state.db).list(principal.user_id)
    return [await _shown(state, doc) for doc in docs]


@router.post("", status_code=201, response_model=Channel)
@router.post("/", status_code=201, response_model=Channel, include_in_schema=False)
async def create_channel(body: ChannelCreate, state: State, principal: CurrentPrincipal) -> Channel:
    store = ChannelStore(state.db)
    limit = _limit(state, principal)
    if await store.count(principal.user_id) >= limit:
        raise ApiError(
            403,
            f"Your plan ({principal.tier}) allows {limit} channel(s); delete one or upgrade",
            details={"channels_limit": limit},
        )
    doc = await store.create(principal.user_id, body.model_dump(mode="json"))
    return await _shown(state, doc)


@router.get("/{channel_id}", response_model=Channel)
async def get_channel(channel_id: ChannelId, state: State, principal: CurrentPrincipal) -> Channel:
    return await _shown(state, await ChannelStore(state.db).get(principal.user_id, channel_id))


@router.patch("/{channel_id}", response_model=Channel)
async def update_channel(
    channel_id: ChannelId, body: ChannelUpdate, state: State, principal: CurrentPrincipal
) -> Channel:
    changes = body.model_dump(mode="json", exclude_unset=True)
    nulls = [
        name for name, value in changes.items() if value is None and name != "publish_schedule"
    ]
    if nulls:
        raise ApiError(422, f"{nulls[0]}: give a value (null only clears publish_schedule)")
    store = ChannelStore(state.db)
    if not changes:
        return await _shown(state, await store.get(principal.user_id, channel_id))
    return await _shown(state, await store.update(principal.user_id, channel_id, changes))


@router.delete("/{channel_id}", status_code=204, response_class=Response)
async def delete_channel(
    channel_id: ChannelId, state: State, principal: CurrentPrincipal
) -> Response:
    store = ChannelStore(state.db)
    await store.get(principal.user_id, channel_id)
    # Its grant goes with it: revoked at Google, deleted here.
    await connect.disconnect(state.youtube, grant_key(principal.user_id, channel_id))
    await store.delete(principal.user_id, channel_id)
    return Response(status_code=204)


@router.post("/{channel_id}/connect", response_model=ConnectUrl)
async def connect_channel(
    channel_id: ChannelId, state: State, principal: CurrentPrincipal
) -> ConnectUrl:
    await ChannelStore(state.db).get(principal.user_id, channel_id)
    url = await connect.authorization_url(state.youtube, principal.user_id, channel_id)
    return ConnectUrl(auth_url=url)


@router.get("/{channel_id}/stats", response_model=ChannelStats)
async def channel_stats(
    channel_id: ChannelId, state: State, principal: CurrentPrincipal
) -> ChannelStats:
    doc = await ChannelStore(state.db).get(principal.user_id, channel_id)
    key = grant_key(principal.user_id, channel_id)
    connected = await connect.connected(state.youtube, key)
    live: Doc = {}
    if connected:
        found = await connect.own_channel(state.youtube, key)
        live = (found or {}).get("statistics") or {}
    projects = state.db.db["projects"]
    total = await projects.database.command(
        "count", "projects", query={"channel_id": channel_id, "_owner": principal.user_id}
    )
    published = await projects.database.command(
        "count",
        "projects",
        query={
            "channel_id": channel_id,
            "_owner": principal.user_id,
            "youtube_video_id": {"$nin": [None, ""]},
        },
    )

    def number(name: str) -> int | None:
        value = live.get(name)
        return int(value) if value is not None and str(value).isdigit() else None

    return ChannelStats(
        channel_id=channel_id,
        connected=connected,
        youtube_channel_id=doc.get("youtube_channel_id"),
        total_videos=int(total["n"]),
        published_videos=int(published["n"]),
        videos_today=await state.youtube.channel_videos.peek(f"channel:{channel_id}", DAY),
        daily_video_limit=daily_limit(state, principal),
        subscriber_count=number("subscriberCount"),
        view_count=number("viewCount"),
        video_count=number("videoCount"),
    )
