"""The gateway's one settings object, read from the environment (names are case-insensitive)."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from runtime.servicetoken import ServiceTokenSettings
from runtime.storage import StorageSettings


class GatewaySettings(StorageSettings, ServiceTokenSettings):
    # Renamed fields keep their old environment names as aliases; code builds them by name.
    model_config = SettingsConfigDict(validate_by_name=True)

    # service_tokens (SERVICE_TOKENS): the first is sent on every service call; required with
    # auth_required, since a deployment that checks its users must not leave the services open.
    log_level: str = "INFO"
    access_log: bool = True
    mongodb_url: str = "mongodb://127.0.0.1:27017"
    mongodb_db: str = "ai_studio"
    # Seconds to find a reachable database (and to connect to it) before a request answers 503.
    mongodb_timeout_seconds: float = Field(
        5.0, gt=0, validation_alias=AliasChoices("mongodb_timeout_seconds", "mongodb_timeout")
    )
    # Absolute URLs handed to the browser are built from this (the app uses them verbatim as src).
    public_base_url: str = "http://localhost:8000"
    # NoDecode: the comma list reaches _comma_list as written (pydantic-settings would otherwise
    # demand JSON from the environment and fail on CORS_ORIGINS=http://localhost:3000).
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: [
            "http://localhost:3000",
            "http://127.0.0.1:3000",
            "http://localhost:5173",
            "http://127.0.0.1:5173",
        ]
    )
    max_body_bytes: int = 2_000_000

    # The job queue (Celery broker) and the bus that carries live events across replicas.
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Queue names start with this, so several deployments (or test runs) can share one Redis.
    queue_prefix: str = Field("studio", pattern=r"^[a-z0-9_-]{1,32}$")
    # A running job whose worker has not reported for this long is taken over.
    job_lease_seconds: float = Field(
        60.0, gt=0, validation_alias=AliasChoices("job_lease_seconds", "job_lease")
    )
    # How many times a job is started before a vanished worker fails it for good.
    job_max_attempts: int = Field(3, ge=1)
    # Longer than the longest render: a message unacknowledged for this long is delivered again.
    job_visibility_timeout_seconds: int = Field(
        7200,
        ge=60,
        validation_alias=AliasChoices("job_visibility_timeout_seconds", "job_visibility_timeout"),
    )
    # Per task: soft limit (the task is told to stop) and hard limit (its process is killed).
    job_soft_time_limit_seconds: int = Field(
        1800,
        ge=10,
        validation_alias=AliasChoices("job_soft_time_limit_seconds", "job_soft_time_limit"),
    )
    job_time_limit_seconds: int = Field(
        1900, ge=10, validation_alias=AliasChoices("job_time_limit_seconds", "job_time_limit")
    )
    # How long a job may wait for a busy service before it fails.
    job_max_wait_seconds: float = Field(
        3600.0, gt=0, validation_alias=AliasChoices("job_max_wait_seconds", "job_max_wait")
    )
    # Prefork processes per worker (Celery's `--concurrency`): each waits on one job's service.
    worker_concurrency: int = Field(2, ge=1, le=64)
    # How often beat sweeps for vanished workers, due schedules and stale projects.
    job_sweep_interval_seconds: float = Field(
        15.0,
        gt=0,
        validation_alias=AliasChoices("job_sweep_interval_seconds", "job_sweep_interval"),
    )

    script_service_url: str = "http://127.0.0.1:8001"
    audio_service_url: str = "http://127.0.0.1:8002"
    image_service_url: str = "http://127.0.0.1:8003"
    video_service_url: str = "http://127.0.0.1:8004"
    service_connect_timeout_seconds: float = Field(
        3.0,
        validation_alias=AliasChoices("service_connect_timeout_seconds", "service_connect_timeout"),
    )
    # Read timeouts per upstream: a render takes far longer than a script.
    script_timeout_seconds: float = Field(
        120.0, validation_alias=AliasChoices("script_timeout_seconds", "script_timeout")
    )
    audio_timeout_seconds: float = Field(
        120.0, validation_alias=AliasChoices("audio_timeout_seconds", "audio_timeout")
    )
    image_timeout_seconds: float = Field(
        180.0, validation_alias=AliasChoices("image_timeout_seconds", "image_timeout")
    )
    video_timeout_seconds: float = Field(
        900.0, validation_alias=AliasChoices("video_timeout_seconds", "video_timeout")
    )
    service_retries: int = 3

    # Accounts and security (README "Accounts and security"). Local mode (auth_required false)
    # serves anonymous loopback requests as a built-in local user so the unmodified app works.
    auth_required: bool = False
    # Serve anonymous requests as the local user even when they arrive on a non-loopback address.
    auth_allow_remote_anonymous: bool = False
    # kid -> HMAC secret (at least 32 characters); the active kid signs, every listed kid verifies.
    auth_jwt_keys: dict[str, str] = Field(default_factory=dict)
    auth_jwt_active_kid: str | None = None
    auth_jwt_issuer: str = "ai-studio-gateway"
    auth_access_ttl_seconds: int = Field(
        3600, ge=60, validation_alias=AliasChoices("auth_access_ttl_seconds", "auth_access_ttl")
    )
    auth_refresh_ttl_seconds: int = Field(
        7 * 24 * 3600,
        ge=300,
        validation_alias=AliasChoices("auth_refresh_ttl_seconds", "auth_refresh_ttl"),
    )
    auth_reset_ttl_seconds: int = Field(
        3600, ge=60, validation_alias=AliasChoices("auth_reset_ttl_seconds", "auth_reset_ttl")
    )
    auth_verify_ttl_seconds: int = Field(
        48 * 3600,
        ge=60,
        validation_alias=AliasChoices("auth_verify_ttl_seconds", "auth_verify_ttl"),
    )
    # Argon2 cost; the defaults are argon2-cffi's recommendation (64 MiB, 3 passes).
    auth_argon2_time_cost: int = Field(3, ge=1)
    auth_argon2_memory_kib: int = Field(65536, ge=1024)
    auth_hash_concurrency: int = Field(4, ge=1)
    auth_login_max_failures: int = Field(5, ge=1)
    auth_login_window_seconds: int = Field(
        900, ge=1, validation_alias=AliasChoices("auth_login_window_seconds", "auth_login_window")
    )
    auth_api_key_cache_ttl_seconds: float = Field(
        30.0,
        ge=0,
        validation_alias=AliasChoices("auth_api_key_cache_ttl_seconds", "auth_api_key_cache_ttl"),
    )
    auth_revocation_poll_seconds: float = Field(
        5.0,
        gt=0,
        validation_alias=AliasChoices("auth_revocation_poll_seconds", "auth_revocation_poll"),
    )
    # An authenticating proxy in front of the gateway may name the user in this header; it is
    # believed only from these peer addresses or networks.
    auth_proxy_header: str | None = None
    auth_proxy_trusted: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # An admin account created at start-up when missing (deployments need a first admin).
    auth_admin_email: str | None = None
    auth_admin_password: str | None = None
    auth_mail_sender: Literal["log", "smtp", "memory"] = "log"
    auth_mail_from: str = "AI Studio <no-reply@localhost>"
    auth_smtp_host: str = "localhost"
    auth_smtp_port: int = 587
    auth_smtp_username: str | None = None
    auth_smtp_password: str | None = None
    auth_smtp_starttls: bool = True
    auth_smtp_timeout_seconds: float = Field(
        10.0, validation_alias=AliasChoices("auth_smtp_timeout_seconds", "auth_smtp_timeout")
    )
    # Links in mails point here (the page that takes the token), default public_base_url.
    auth_link_base_url: str | None = None
    # With auth required, how long a signed media URL of a private project stays valid.
    media_url_ttl_seconds: int = Field(
        6 * 3600, ge=60, validation_alias=AliasChoices("media_url_ttl_seconds", "media_url_ttl")
    )
    rate_limit_enabled: bool = True
    rate_limit_per_minute: dict[str, int] = Field(
        default_factory=lambda: {"free": 100, "pro": 300, "business": 1000}
    )
    rate_limit_video_per_hour: dict[str, int] = Field(
        default_factory=lambda: {"free": 10, "pro": 30, "business": 100}
    )

    @field_validator("public_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("cors_origins", "auth_proxy_trusted", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        # Accept CORS_ORIGINS=a,b as well as a JSON list.
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [v.strip() for v in value.split(",") if v.strip()]
        return value
