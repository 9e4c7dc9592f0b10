"""Settings pick the one script writer a process uses, and build it with its HTTP client."""

from __future__ import annotations

import httpx

from services.script.openai_writer import OpenAIWriter
from services.script.settings import ScriptSettings
from services.script.template_writer import TemplateWriter
from services.script.writer import ScriptWriter


def _openai_client(settings: ScriptSettings) -> httpx.AsyncClient:
    key = settings.script_openai_api_key
    connect = settings.script_openai_connect_timeout_seconds
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            connect=connect,
            read=settings.script_openai_read_timeout_seconds,
            write=30,
            pool=connect,
        ),
        # Local servers (Ollama, vLLM) take no key.
        headers={"Authorization": f"Bearer {key.get_secret_value()}"} if key else {},
    )


def build_writer(settings: ScriptSettings) -> ScriptWriter:
    if settings.script_provider == "openai":
        return OpenAIWriter(
            _openai_client(settings),
            base_url=settings.script_openai_base_url,
            model=settings.script_openai_model,
            response_format=settings.script_openai_response_format,
            temperature=settings.script_openai_temperature,
            max_tokens=settings.script_openai_max_tokens,
            total_timeout_seconds=settings.script_openai_total_timeout_seconds,
            concurrency=settings.script_openai_concurrency,
            attempts=settings.script_openai_max_attempts,
            backoff_seconds=settings.script_openai_backoff_seconds,
            max_retry_wait_seconds=settings.script_openai_max_retry_wait_seconds,
        )
    return TemplateWriter()
