"""The image service's one settings object (environment variables, case-insensitive)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from runtime.servicetoken import ServiceTokenSettings
from runtime.storage import StorageSettings

LOCAL_CONCURRENCY = 2  # procedural drawing is CPU work: about one image per core
CLOUD_CONCURRENCY = 4  # cloud calls mostly wait on the network


class ImageSettings(StorageSettings, ServiceTokenSettings):
    image_host: str = "127.0.0.1"
    image_port: int = 8003
    log_level: str = "INFO"
    # A full batch: 200 prompts of up to 4,000 characters.
    max_body_bytes: int = 1_000_000
    image_provider: Literal["local", "openai", "stability", "automatic1111"] = "local"
    # Images drawn or requested at once across all requests; unset: 2 local, 4 cloud.
    image_max_concurrency: int | None = Field(default=None, ge=1, le=64)
    image_jpeg_quality: int = Field(default=90, ge=50, le=100)
    # Under the gateway's client timeout, so it hears our 504 rather than its own.
    image_provider_deadline_seconds: float = Field(default=170.0, gt=0)

    # Cloud providers: per-attempt timeout, attempts (retries on connect errors, 429, 502-504
    # only), first backoff (doubling), the longest wait honoured, the largest answer accepted.
    image_http_timeout_seconds: float = Field(default=120.0, gt=0)
    image_http_attempts: int = Field(default=3, ge=1, le=10)
    image_http_backoff_seconds: float = Field(default=0.5, ge=0)
    image_http_max_backoff_seconds: float = Field(default=10.0, ge=0)
    image_max_download_bytes: int = Field(default=25_000_000, ge=1_000)

    image_openai_api_key: str | None = Field(default=None, repr=False)
    image_openai_base_url: str = "https://api.openai.com/v1"
    image_openai_model: str = "gpt-image-1"
    image_openai_quality: str | None = None

    image_stability_api_key: str | None = Field(default=None, repr=False)
    image_stability_base_url: str = "https://api.stability.ai"

    # A self-hosted Automatic1111 web UI started with --api (optionally --api-auth user:pass).
    image_sd_base_url: str = "http://127.0.0.1:7860"
    image_sd_steps: int = Field(default=25, ge=1, le=150)
    image_sd_cfg_scale: float = Field(default=7.0, ge=1, le=30)
    # SD checkpoints are trained near 512-1024 px: draw there, then scale to the asked size.
    image_sd_max_side: int = Field(default=1024, ge=256, le=2048)
    image_sd_username: str | None = None
    image_sd_password: str | None = Field(default=None, repr=False)

    @model_validator(mode="after")
    def _keys_present(self) -> ImageSettings:
        if self.image_provider == "openai" and not self.image_openai_api_key:
            raise ValueError("IMAGE_OPENAI_API_KEY is required when IMAGE_PROVIDER=openai")
        if self.image_provider == "stability" and not self.image_stability_api_key:
            raise ValueError("IMAGE_STABILITY_API_KEY is required when IMAGE_PROVIDER=stability")
        return self

    @property
    def concurrency(self) -> int:
        if self.image_max_concurrency is not None:
            return self.image_max_concurrency
        return LOCAL_CONCURRENCY if self.image_provider == "local" else CLOUD_CONCURRENCY
