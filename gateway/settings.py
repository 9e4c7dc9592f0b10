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

    # Uploads and the media/audio libraries (gateway/library): the largest file per route, and
    # the bytes each tier may keep in its libraries altogether.
    upload_max_media_bytes: int = Field(200_000_000, gt=0)
    upload_max_audio_bytes: int = Field(50_000_000, gt=0)
    upload_quota_bytes: dict[str, int] = Field(
        default_factory=lambda: {
            "free": 500_000_000,
            "pro": 10_000_000_000,
            "business": 100_000_000_000,
        }
    )
    # After the services failed to render the stock entries, how long listings go without them.
    library_stock_retry_seconds: float = Field(60.0, ge=0)
    # Credits, plans and payments (README "Credits and plans").
    # What each job stage costs, in credits; a job reserves the sum of its stages when queued.
    credits_per_stage: dict[str, int] = Field(
        default_factory=lambda: {"script": 0, "audio": 0, "images": 0, "render": 1, "subtitles": 0}
    )
    plan_prices: dict[str, float] = Field(
        default_factory=lambda: {"free": 0.0, "pro": 29.0, "business": 99.0}
    )
    plan_credits: dict[str, int] = Field(
        default_factory=lambda: {"free": 3, "pro": 30, "business": 100}
    )
    # A top-up buys between 1 and this many credits, each at credit_price_cents.
    credits_topup_max: int = Field(1000, ge=1)
    credit_price_cents: int = Field(100, ge=1)
    # A reservation that takes the balance to this or below sends the `credits.low` webhook.
    credits_low_threshold: int = Field(2, ge=0)
    # Stripe Checkout: top-ups answer 503 until stripe_api_key (and, for the webhook,
    # stripe_webhook_secret) are set.
    stripe_api_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str = "https://api.stripe.com"
    stripe_currency: str = Field("usd", pattern=r"^[a-z]{3}$")
    stripe_timeout_seconds: float = Field(20.0, gt=0)
    # A signed event older than this is refused (Stripe's own default tolerance).
    stripe_webhook_tolerance_seconds: int = Field(300, ge=1)
    # Where Checkout sends the buyer back; default public_base_url + /credits.
    stripe_success_url: str | None = None
    stripe_cancel_url: str | None = None
    # Drawn on the videos of plans without the no_watermark feature (the free tier).
    watermark_text: str = Field("AI Video Studio", min_length=1, max_length=40)
    # YouTube publishing and channels (README "YouTube and channels").
    youtube_client_id: str | None = None
    youtube_client_secret: str | None = None
    # Where Google sends the browser back; it must be registered with the OAuth client.
    youtube_redirect_uri: str = "http://localhost:8000/api/v1/youtube/oauth/callback"
    # The app's origin: the callback ends on its /settings page with ?auth=success or error.
    youtube_app_url: str = "http://localhost:3000"
    # kid -> secret (at least 32 characters) for the AES-GCM encryption of stored tokens; the
    # active kid encrypts, every listed kid decrypts, and a token read under an old kid is
    # encrypted again under the active one.
    youtube_token_keys: dict[str, str] = Field(default_factory=dict)
    youtube_token_active_kid: str | None = None
    youtube_auth_endpoint: str = "https://accounts.google.com/o/oauth2/v2/auth"
    youtube_token_endpoint: str = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL
    youtube_revoke_endpoint: str = "https://oauth2.googleapis.com/revoke"
    youtube_api_base_url: str = "https://www.googleapis.com/youtube/v3"
    youtube_upload_base_url: str = "https://www.googleapis.com/upload/youtube/v3"
    youtube_timeout_seconds: float = Field(30.0, gt=0)
    # Resumable upload chunk; YouTube wants a multiple of 256 KiB.
    youtube_chunk_bytes: int = Field(8 * 256 * 1024, ge=256 * 1024)
    youtube_oauth_state_ttl_seconds: int = Field(600, ge=60)
    # The API project's daily units (YouTube's default allocation) and what an upload costs.
    youtube_daily_quota: int = Field(10_000, ge=1)
    youtube_operations_per_hour: int = Field(50, ge=1)
    # How long the app's synchronous upload call waits for its job before answering 504.
    youtube_upload_wait_seconds: float = Field(1800.0, gt=0)
    # publish_at without a zone (the app sends local time) is read in this zone.
    youtube_default_timezone: str = "UTC"
    channels_limit: dict[str, int] = Field(
        default_factory=lambda: {"free": 1, "pro": 5, "business": 25}
    )
    daily_video_limit: dict[str, int] = Field(
        default_factory=lambda: {"free": 3, "pro": 20, "business": 100}
    )

    @field_validator("youtube_token_keys")
    @classmethod
    def _token_keys(cls, value: dict[str, str]) -> dict[str, str]:
        for kid, secret in value.items():
            if len(secret) < 32:
                raise ValueError(f"key {kid!r} must be at least 32 characters")
        return value

    @field_validator("youtube_chunk_bytes")
    @classmethod
    def _chunk_multiple(cls, value: int) -> int:
        if value % (256 * 1024):
            raise ValueError("must be a multiple of 262144 (256 KiB)")
        return value

    # Webhooks in and out, and analytics (issue 10).
    # Development only: lets endpoints on loopback, private or link-local addresses be registered.
    webhook_allow_private: bool = False
    webhook_timeout_seconds: float = Field(10.0, gt=0)
    # Tries per delivery; the wait before try n is webhook_backoff_seconds * 2**(n-2).
    webhook_max_attempts: int = Field(5, ge=1, le=20)
    webhook_backoff_seconds: float = Field(30.0, gt=0)
    # An endpoint is disabled after this many failed tries in a row (any success resets it).
    webhook_disable_after: int = Field(10, ge=1)
    # At most this much of a receiver's answer is kept in the delivery log.
    webhook_log_body_bytes: int = Field(2000, ge=0, le=65536)
    # Shared secret of n8n's calls (HMAC-SHA256 over "timestamp.body"); unset refuses them.
    webhook_n8n_secret: str | None = None
    # A signed call older or newer than this is refused, and a signature is accepted once.
    webhook_replay_window_seconds: int = Field(300, ge=10)
    # The hub.secret given to YouTube's PubSubHubbub hub (X-Hub-Signature: sha1=...).
    webhook_youtube_hub_secret: str | None = None
    # Wiring: credits for the user's own AI jobs, and the scheduled YouTube views pull.
    # What a user's own AI job costs, by kind: lip-sync renders a video, as a render does.
    credits_per_ai_job: dict[str, int] = Field(
        default_factory=lambda: {
            "audio_generation": 0,
            "music_generation": 0,
            "lip_sync": 1,
            "image_generation": 0,
        }
    )
    # How often the worker's beat pulls YouTube Analytics views; 0 never pulls.
    youtube_views_pull_interval_seconds: float = Field(6 * 3600.0, ge=0)

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
