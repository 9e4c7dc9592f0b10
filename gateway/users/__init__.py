"""User accounts: profiles, roles and permissions, plan tiers, API keys."""
