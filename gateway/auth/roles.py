"""Roles, their permissions, and what each plan tier unlocks (seeds 000 and 002).

A user has one role and a role many permissions; the definitions are written to the `roles`
collection at start-up so the database describes itself, and are read from here at run time.
"""

from __future__ import annotations

# Read or change any user's projects and media, not only one's own or shared ones.
PROJECTS_ANY = "projects:any"
PROJECTS_OWN = "projects:own"
USERS_READ = "users:read"
USERS_MANAGE = "users:manage"
AUDIT_READ = "audit:read"
API_KEYS = "api-keys:own"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {PROJECTS_ANY, PROJECTS_OWN, USERS_READ, USERS_MANAGE, AUDIT_READ, API_KEYS}
    ),
    "user": frozenset({PROJECTS_OWN, API_KEYS}),
}

# Seed 002: free = basic features (watermarked), pro = stock assets and no watermark,
# business = API access, team collaboration, white-label. Each tier includes the ones below.
FEATURE_API_ACCESS = "api_access"
FEATURE_TEAM = "team_collaboration"
TIER_FEATURES: dict[str, tuple[str, ...]] = {
    "free": ("basic", "watermark"),
    "pro": ("basic", "stock_assets", "no_watermark"),
    "business": (
        "basic",
        "stock_assets",
        "no_watermark",
        FEATURE_API_ACCESS,
        FEATURE_TEAM,
        "white_label",
    ),
}


def permissions(role: str) -> frozenset[str]:
    return ROLE_PERMISSIONS.get(role, frozenset())
