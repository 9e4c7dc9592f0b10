"""The gateway's one settings object, read from the environment (names are case-insensitive)."""

from __future__ import annotations

from pydantic import Field, field_validator

from contracts.storage import StorageSettings


class GatewaySettings(StorageSettings):
    log_level: str = "INFO"
    access_log: bool = True
    mongodb_url: str = "mongodb://127.0.0.1:27017"
    mongodb_db: str = "ai_studio"
    # Absolute URLs handed to the browser are built from this (the app uses them verbatim as src).
    public_base_url: str = "http://localhost:8000"
    cors_origins: list[str] = Field(
        default_factory=lambda: [
            "http://localhost:3000",
            "http://127.0.0.1:3000",
            "http://localhost:5173",
            "http://127.0.0.1:5173",
        ]
    )
    max_body_bytes: int = 2_000_000

    script_service_url: str = "http://127.0.0.1:8001"
    audio_service_url: str = "http://127.0.0.1:8002"
    image_service_url: str = "http://127.0.0.1:8003"
    video_service_url: str = "http://127.0.0.1:8004"
    service_connect_timeout: float = 3.0
    # Read timeouts per upstream: a render takes far longer than a script.
    script_timeout: float = 120.0
    audio_timeout: float = 120.0
    image_timeout: float = 180.0
    video_timeout: float = 900.0
    service_retries: int = 3

    @field_validator("public_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        # Accept CORS_ORIGINS=a,b as well as a JSON list.
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value
