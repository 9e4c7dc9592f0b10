"""The script service's one settings object (environment variables, case-insensitive)."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from runtime.servicetoken import ServiceTokenSettings
from runtime.storage import StorageSettings

ResponseFormat = Literal["json_schema", "json_object"]


class ScriptSettings(StorageSettings, ServiceTokenSettings):
    # Renamed fields keep their old environment names as aliases; code builds them by name.
    model_config = SettingsConfigDict(validate_by_name=True)

    log_level: str = "INFO"
    max_body_bytes: int = 1_000_000
    script_host: str = "127.0.0.1"
    script_port: int = 8001
    script_provider: Literal["template", "openai"] = "template"

    # Any OpenAI-compatible chat endpoint: OpenAI, DeepSeek, Ollama (http://host:11434/v1),
    # vLLM, OpenRouter. Local servers need no key.
    script_openai_base_url: str = "https://api.openai.com/v1"
    script_openai_api_key: SecretStr | None = Field(default=None, repr=False)
    script_openai_model: str = "gpt-4o-mini"
    # json_schema where the server supports structured outputs; json_object for the others
    # (DeepSeek, older servers). Either way the answer is validated here.
    script_openai_response_format: ResponseFormat = "json_schema"
    script_openai_temperature: float = Field(default=0.7, ge=0, le=2)
    script_openai_max_tokens: int | None = Field(default=None, ge=64)
    script_openai_connect_timeout_seconds: float = Field(
        default=5,
        gt=0,
        validation_alias=AliasChoices(
            "script_openai_connect_timeout_seconds", "script_openai_connect_timeout_s"
        ),
    )
    script_openai_read_timeout_seconds: float = Field(
        default=90,
        gt=0,
        validation_alias=AliasChoices(
            "script_openai_read_timeout_seconds", "script_openai_read_timeout_s"
        ),
    )
    # Bound on one whole request to this service, retries and repair included.
    script_openai_total_timeout_seconds: float = Field(
        default=180,
        gt=0,
        validation_alias=AliasChoices(
            "script_openai_total_timeout_seconds", "script_openai_total_timeout_s"
        ),
    )
    script_openai_max_attempts: int = Field(default=3, ge=1, le=10)
    script_openai_backoff_seconds: float = Field(
        default=1.0,
        ge=0,
        validation_alias=AliasChoices("script_openai_backoff_seconds", "script_openai_backoff_s"),
    )
    # A Retry-After longer than this is not waited for: the caller gets a 503 at once.
    script_openai_max_retry_wait_seconds: float = Field(
        default=20,
        ge=0,
        validation_alias=AliasChoices(
            "script_openai_max_retry_wait_seconds", "script_openai_max_retry_wait_s"
        ),
    )
    script_openai_concurrency: int = Field(default=4, ge=1)
