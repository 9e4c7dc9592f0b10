"""The service token: the services answer only the gateway, and the gateway always presents it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from gateway.app import build_app as build_gateway
from gateway.clients import ServiceTokenConfigError
from gateway.settings import GatewaySettings
from services.audio.app import build_app as build_audio
from services.audio.settings import AudioSettings
from services.image.app import build_app as build_image
from services.image.settings import ImageSettings
from services.script.app import build_app as build_script
from services.script.settings import ScriptSettings
from services.video.app import build_app as build_video
from services.video.settings import VideoSettings
from studio.stack import plan
from tests.gateway.conftest import gateway_settings
from tests.support import serve

NEW = "new-service-token-0123456789abcdefghij"
OLD = "old-service-token-0123456789abcdefghij"
BRIEF = {"title": "Morning habits of the Stoics", "language": "en"}


def build_service(name: str, media: Path, tokens: list[str]) -> FastAPI:
    values = {"media_root": media, "service_tokens": tokens}
    builders: dict[str, Callable[[], FastAPI]] = {
        "script": lambda: build_script(ScriptSettings.model_validate(values)),
        "audio": lambda: build_audio(AudioSettings.model_validate(values)),
        "image": lambda: build_image(ImageSettings.model_validate(values)),
        "video": lambda: build_video(VideoSettings.model_validate(values)),
    }
    return builders[name]()


@pytest.fixture
async def script(tmp_path: Path) -> AsyncIterator[str]:
    """The script service mid-rotation: the new token and the old one both accepted."""
    async with serve(build_service("script", tmp_path, [NEW, OLD])) as url:
        yield url


def assert_refused(response: httpx.Response, detail: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["detail"] == detail
    assert body["error"]["code"] == "UNAUTHORIZED"
    assert body["error"]["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize("name", ["script", "audio", "image", "video"])
async def test_every_service_refuses_calls_without_the_token_but_not_probes(
    name: str, tmp_path: Path
) -> None:
    async with (
        serve(build_service(name, tmp_path, [NEW])) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        assert_refused(await http.get("/openapi.json"), "Missing service token")
        assert (await http.get("/health")).status_code == 200
        bearer = {"Authorization": f"Bearer {NEW}"}
        assert (await http.get("/openapi.json", headers=bearer)).status_code == 200


async def test_a_wrong_or_malformed_token_is_refused(script: str) -> None:
    async with httpx.AsyncClient(base_url=script) as http:
        for value in (f"Bearer {NEW[:-1]}x", f"Bearer {NEW}x", NEW, f"Basic {NEW}", "Bearer"):
            response = await http.post(
                "/description/generate", json=BRIEF, headers={"Authorization": value}
            )
            assert_refused(response, "Invalid service token")


@pytest.mark.parametrize("token", [NEW, OLD])
async def test_the_current_and_the_rotated_older_token_are_accepted(
    script: str, token: str
) -> None:
    async with httpx.AsyncClient(base_url=script, timeout=10) as http:
        response = await http.post(
            "/description/generate", json=BRIEF, headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200, response.text
    assert "Stoics" in response.json()["contextual_description"]


async def call_through_gateway(
    mongo_url: str, tmp_path: Path, script_url: str, tokens: list[str]
) -> httpx.Response:
    settings = gateway_settings(
        mongo_url, tmp_path / "media", script_service_url=script_url, service_tokens=tokens
    )
    async with AsyncExitStack() as stack:
        base = await stack.enter_async_context(serve(build_gateway(settings)))
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=base, timeout=30))
        return await http.post("/scripts/description/generate", json=BRIEF)


async def test_the_gateway_presents_its_first_token_on_service_calls(
    mongo_url: str, tmp_path: Path, script: str
) -> None:
    # The gateway already rotated to NEW (sent), and one not yet rotated still sending OLD.
    for tokens in ([NEW, OLD], [OLD]):
        response = await call_through_gateway(mongo_url, tmp_path, script, tokens)
        assert response.status_code == 200, response.text
        assert "Stoics" in response.json()["contextual_description"]


async def test_a_gateway_with_another_token_gets_a_502_naming_the_service(
    mongo_url: str, tmp_path: Path, script: str
) -> None:
    response = await call_through_gateway(mongo_url, tmp_path, script, ["x" * 40, NEW])
    assert response.status_code == 502
    assert response.json()["detail"] == "The script service failed (status 401)"


def test_auth_mode_without_a_service_token_refuses_to_start(tmp_path: Path) -> None:
    keys = {"k1": "k" * 40}
    settings = GatewaySettings(auth_required=True, auth_jwt_keys=keys, media_root=tmp_path)
    with pytest.raises(ServiceTokenConfigError, match="SERVICE_TOKENS"):
        build_gateway(settings)
    # Local mode may run without one: its services are on loopback beside it.
    build_gateway(GatewaySettings(media_root=tmp_path))


def test_tokens_come_from_a_comma_or_json_list_and_short_ones_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SERVICE_TOKENS", f"{NEW}, {OLD}")
    assert ScriptSettings().service_token_values() == [NEW, OLD]
    monkeypatch.setenv("SERVICE_TOKENS", f'["{OLD}"]')
    assert GatewaySettings().service_token_values() == [OLD]
    assert OLD not in repr(GatewaySettings())
    monkeypatch.setenv("SERVICE_TOKENS", "short")
    with pytest.raises(ValidationError, match="at least 32 characters"):
        VideoSettings()


def test_studio_up_gives_every_process_one_fresh_token(tmp_path: Path) -> None:
    environ = {"MONGODB_URL": "mongodb://127.0.0.1:1"}
    _, first = plan("127.0.0.1", 8000, 27017, tmp_path, environ)
    _, second = plan("127.0.0.1", 8000, 27017, tmp_path, environ)
    assert len(first["SERVICE_TOKENS"]) >= 32
    assert first["SERVICE_TOKENS"] != second["SERVICE_TOKENS"]
    # A token the operator set is kept (it may be shared with services run elsewhere).
    _, kept = plan("127.0.0.1", 8000, 27017, tmp_path, {**environ, "SERVICE_TOKENS": NEW})
    assert kept["SERVICE_TOKENS"] == NEW
