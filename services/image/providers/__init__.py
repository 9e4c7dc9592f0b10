"""Image providers behind one interface, chosen by `IMAGE_PROVIDER`."""

from __future__ import annotations

import httpx

from runtime.upstream import ProviderHttp
from services.image.providers.automatic1111 import Automatic1111Provider
from services.image.providers.base import ImageProvider
from services.image.providers.local import LocalProvider
from services.image.providers.openai import OpenAIProvider
from services.image.providers.stability import StabilityProvider
from services.image.settings import ImageSettings


def _http(label: str, settings: ImageSettings) -> ProviderHttp:
    return ProviderHttp(
        label,
        httpx.AsyncClient(follow_redirects=False),
        timeout_seconds=settings.image_http_timeout_seconds,
        connect_timeout_seconds=min(10.0, settings.image_http_timeout_seconds),
        attempts=settings.image_http_attempts,
        backoff_seconds=settings.image_http_backoff_seconds,
        max_backoff_seconds=settings.image_http_max_backoff_seconds,
        max_bytes=settings.image_max_download_bytes,
    )


def build_provider(settings: ImageSettings) -> ImageProvider:
    match settings.image_provider:
        case "openai":
            assert settings.image_openai_api_key  # checked when the settings were read
            return OpenAIProvider(
                _http("openai", settings),
                api_key=settings.image_openai_api_key,
                base_url=settings.image_openai_base_url,
                model=settings.image_openai_model,
                quality=settings.image_openai_quality,
            )
        case "stability":
            assert settings.image_stability_api_key
            return StabilityProvider(
                _http("stability", settings),
                api_key=settings.image_stability_api_key,
                base_url=settings.image_stability_base_url,
            )
        case "automatic1111":
            auth = None
            if settings.image_sd_username and settings.image_sd_password:
                auth = (settings.image_sd_username, settings.image_sd_password)
            return Automatic1111Provider(
                _http("automatic1111", settings),
                base_url=settings.image_sd_base_url,
                steps=settings.image_sd_steps,
                cfg_scale=settings.image_sd_cfg_scale,
                max_side=settings.image_sd_max_side,
                auth=auth,
            )
        case _:
            return LocalProvider()
