"""A generation that names a channel: the channel's defaults fill what the request left out,
its daily video limit applies, and with auto_publish the pipeline ends by publishing to the
channel (at the next slot of its publish_schedule, if it has one)."""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts.errors import ApiError
from contracts.jobs import GenerateOptions
from gateway.auth.principal import Principal
from gateway.channels.store import ChannelStore
from gateway.db import Doc
from gateway.security.counters import too_many
from gateway.state import GatewayState
from gateway.youtube.quota import DAY
from gateway.youtube.tokens import grant_key

# GenerateOptions field <- channel field.
DEFAULTS = {
    "language": "language",
    "voice": "voice",
    "style": "style",
    "image_style": "image_style",
    "resolution": "resolution",
    "auto_publish": "auto_publish",
}


@dataclass
class Plan:
    options: GenerateOptions
    # Fields the new project takes besides those the options give.
    project_fields: Doc = field(default_factory=dict)
    # The publish stage's parameters when the pipeline ends on YouTube.
    publish: Doc | None = None

    async def undo(self, state: GatewayState, count: int) -> None:
        """Give back what `plan` counted for videos that were not made after all."""
        channel_id = self.project_fields.get("channel_id")
        if channel_id and count:
            await state.youtube.channel_videos.hit(f"channel:{channel_id}", 0, DAY, -count)
            await ChannelStore(state.db).count_video(channel_id, -count)


def daily_limit(state: GatewayState, principal: Principal) -> int:
    limits = state.settings.daily_video_limit
    return limits.get(principal.tier, limits.get("free", 3))


async def plan(
    state: GatewayState, principal: Principal, options: GenerateOptions, count: int
) -> Plan:
    if options.channel_id is None:
        if options.auto_publish:
            raise ApiError(
                422, "auto_publish: name the channel_id of a channel connected to YouTube"
            )
        return Plan(options)
    channel = await ChannelStore(state.db).get(principal.user_id, options.channel_id)
    if not channel.get("is_active", True):
        raise ApiError(409, f"Channel {channel['_id']} is paused (is_active is false)")
    sent = options.model_fields_set
    filled = {name: channel[source] for name, source in DEFAULTS.items() if name not in sent}
    options = options.model_copy(update={**filled, "channel_id": channel["_id"]})
    publish = None
    if options.auto_publish:
        key = grant_key(principal.user_id, channel["_id"])
        if await state.youtube.tokens.raw(key) is None:
            raise ApiError(
                409,
                f"auto_publish: channel {channel['_id']} is not connected to YouTube; "
                f"connect it with POST /api/v1/channels/{channel['_id']}/connect",
            )
        publish = {
            "youtube": {
                "grant": key,
                "privacy_status": channel.get("privacy_status", "public"),
                "publish_at": None,
                "schedule": channel.get("publish_schedule"),
                "is_premiere": False,
            }
        }
    limit = daily_limit(state, principal)
    window = await state.youtube.channel_videos.hit(f"channel:{channel['_id']}", limit, DAY, count)
    if window.exceeded:
        await state.youtube.channel_videos.hit(f"channel:{channel['_id']}", limit, DAY, -count)
        raise too_many(
            f"Daily video limit of channel {channel['_id']} reached: {limit} per day "
            f"on the {principal.tier} plan",
            window,
        )
    await ChannelStore(state.db).count_video(channel["_id"], count)
    return Plan(
        options,
        {
            "channel_id": channel["_id"],
            "video_template_path": channel.get("template", "ken_burns"),
            "aspect": channel.get("aspect", "16:9"),
        },
        publish,
    )
