"""What each plan offers, in the words seed 001 shows them (its feature codes stay as they are),
and whether a plan's videos carry the watermark."""

from __future__ import annotations

from gateway.auth.principal import Principal
from gateway.auth.roles import TIER_FEATURES
from gateway.settings import GatewaySettings

NO_WATERMARK = "no_watermark"
# Feature code -> how a plan page says it; codes without words are not listed.
WORDS = {
    "watermark": "Watermarked videos",
    "no_watermark": "No watermark",
    "stock_assets": "Stock assets",
    "api_access": "API access",
    "team_collaboration": "Team collaboration",
    "white_label": "White label",
}


def plan_highlights(settings: GatewaySettings, tier: str) -> list[str]:
    features = TIER_FEATURES.get(tier, ())
    words = [WORDS[f] for f in features if f in WORDS]
    per_video = settings.credits_per_stage.get("render", 0) + sum(
        settings.credits_per_stage.get(stage, 0) for stage in ("script", "audio", "images")
    )
    credits = settings.plan_credits.get(tier, 0)
    if per_video > 0:
        words.append(f"{credits // per_video} videos/month")
    else:
        words.append(f"{credits} credits/month")
    return words


def watermarked(principal: Principal | None) -> bool:
    """The free tier's videos carry the watermark; the local user (the operator) has none."""
    return principal is not None and not principal.has_feature(NO_WATERMARK)
