"""The script service's one settings object (environment variables, case-insensitive)."""

from __future__ import annotations

from typing import Literal

from contracts.storage import StorageSettings


class ScriptSettings(StorageSettings):
    log_level: str = "INFO"
    max_body_bytes: int = 1_000_000
    script_provider: Literal["template", "openai"] = "template"
