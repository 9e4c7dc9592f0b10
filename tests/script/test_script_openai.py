"""The OpenAI-compatible provider against the documented chat-completions contract (respx)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
import respx

from services.script.app import build_app
from services.script.settings import ScriptSettings
from tests.support import serve

BASE = "https://llm.test/v1"
COMPLETIONS = f"{BASE}/chat/completions"
BODY = {"title": "Why we procrastinate", "language": "en", "nb_section": 3, "duration": 45}

Served = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def script_json(sections: int = 3, narration: str = "We all put things off. Part {n}.") -> str:
    return orjson.dumps(
        {
            "title": "Why we procrastinate",
            "video_description": "What really happens when we put things off.",
            "keywords": ["procrastination", "habits"],
            "sections": [
                {
                    "narration": narration.format(n=i + 1),
                    "image_prompt": "A cluttered desk at night under a single lamp, close-up",
                }
                for i in range(sections)
            ],
        }
    ).decode()


def completion(content: str, finish_reason: str = "stop") -> httpx.Response:
    """A chat completion as the OpenAI API documents it."""
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "test-model",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30},
        },
    )


def api_error(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"error": {"message": "upstream secret detail", "type": "server_error", "code": None}}
    return httpx.Response(status, json=body, headers=headers)


@pytest.fixture
def served(respx_mock: respx.MockRouter) -> Served:
    respx_mock.route(host="127.0.0.1").pass_through()

    @asynccontextmanager
    async def run(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        values: dict[str, Any] = {
            "script_provider": "openai",
            "script_openai_base_url": BASE,
            "script_openai_api_key": "sk-test",
            "script_openai_model": "test-model",
            "script_openai_backoff_seconds": 0.01,
            "script_openai_total_timeout_seconds": 10,
        }
        settings = ScriptSettings.model_validate({**values, **overrides})
        async with (
            serve(build_app(settings)) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as client,
        ):
            yield client

    return run


def sent(route: respx.Route, call: int = 0) -> dict[str, Any]:
    body: dict[str, Any] = orjson.loads(route.calls[call].request.content)
    return body


def assert_failure(response: httpx.Response, status: int, *phrases: str) -> None:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert "openai" in detail
    for phrase in phrases:
        assert phrase in detail
    assert "upstream secret detail" not in response.text


async def test_success_follows_the_contract(served: Served, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(COMPLETIONS).mock(return_value=completion(script_json()))
    async with served() as client:
        health = (await client.get("/health")).json()
        response = await client.post("/generate", json={**BODY, "language": "fr"})
    assert health["details"] == {"provider": "openai", "model": "test-model"}
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["provider"] == "openai"
    assert data["model"] == "test-model"
    assert len(data["sections"]) == 3
    assert data["sections"][1]["narration"] == "We all put things off. Part 2."
    assert data["script_text"].count("\n\n") == 2
    assert data["keywords"] == "procrastination, habits"
    assert data["word_count"] == 21
    request = route.calls[0].request
    assert request.headers["authorization"] == "Bearer sk-test"
    body = sent(route)
    assert body["model"] == "test-model"
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["strict"] is True
    system, user = body["messages"]
    assert system["role"] == "system"
    assert "exactement 3 sections" in system["content"]
    assert "{" not in system["content"].replace("{{", "").split("Réponds")[0]
    assert orjson.loads(user["content"])["title"] == "Why we procrastinate"


async def test_json_object_mode_and_fenced_answers(
    served: Served, respx_mock: respx.MockRouter
) -> None:
    fenced = f"```json\n{script_json()}\n```"
    route = respx_mock.post(COMPLETIONS).mock(return_value=completion(fenced))
    async with served(script_openai_response_format="json_object") as client:
        response = await client.post("/generate", json=BODY)
    assert response.status_code == 200, response.text
    assert sent(route)["response_format"] == {"type": "json_object"}


async def test_429_then_success_honours_retry_after(
    served: Served, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(COMPLETIONS).mock(
        side_effect=[api_error(429, {"Retry-After": "1"}), completion(script_json())]
    )
    async with served() as client:
        started = time.monotonic()
        response = await client.post("/generate", json=BODY)
        elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert route.call_count == 2
    assert elapsed >= 0.9


async def test_429_with_a_long_retry_after_is_a_prompt_503(
    served: Served, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(COMPLETIONS).mock(return_value=api_error(429, {"Retry-After": "600"}))
    async with served() as client:
        response = await client.post("/generate", json=BODY)
    assert_failure(response, 503, "HTTP 429")
    assert response.headers["retry-after"] == "600"
    assert route.call_count == 1


async def test_429_exhausted_is_503(served: Served, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(COMPLETIONS).mock(return_value=api_error(429))
    async with served() as client:
        response = await client.post("/generate", json=BODY)
    assert_failure(response, 503, "rate limited", "HTTP 429")
    assert route.call_count == 3


async def test_502_then_success(served: Served, respx_mock: respx.MockRouter) -> None:
    # A completion only computes an answer, so a gateway error in front of the LLM is retried.
    route = respx_mock.post(COMPLETIONS).mock(
        side_effect=[api_error(502), completion(script_json())]
    )
    async with served() as client:
        response = await client.post("/generate", json=BODY)
    assert response.status_code == 200, response.text
    assert route.call_count == 2


async def test_500_is_502_naming_the_status_and_not_retried(
    served: Served, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(COMPLETIONS).mock(return_value=api_error(500))
    async with served() as client:
        response = await client.post("/generate", json=BODY)
    assert_failure(response, 502, "HTTP 500", "test-model", "llm.test")
    assert response.json()["error"]["details"]["upstream_status"] == 500
    assert route.call_count == 1


async def test_502_exhausted_is_502_naming_the_status(
    served: Served, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(COMPLETIONS).mock(return_value=api_error(502))
    async with served() as client:
        response = await client.post("/generate", json=BODY)
    assert_failure(response, 502, "HTTP 502", "test-model", "llm.test")
    assert route.call_count == 3


async def test_client_errors_are_not_retried(served: Served, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(COMPLETIONS).mock(return_value=api_error(401))
    async with served() as client:
        response = await client.post("/generate", json=BODY)
    assert_failure(response, 502, "HTTP 401")
    assert route.call_count == 1


async def test_read_timeout_is_504(served: Served, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(COMPLETIONS).mock(side_effect=httpx.ReadTimeout("slow"))
    async with served() as client:
        response = await client.post("/generate", json=BODY)
    assert_failure(response, 504, "timed out")
    assert route.call_count == 1


async def test_slow_provider_is_cut_off_at_the_total_bound(
    served: Served, respx_mock: respx.MockRouter
) -> None:
    async def stall(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return completion(script_json())

    respx_mock.post(COMPLETIONS).mock(side_effect=stall)
    async with served(script_openai_total_timeout_seconds=0.5) as client:
        started = time.monotonic()
        response = await client.post("/generate", json=BODY)
        elapsed = time.monotonic() - started
    assert_failure(response, 504, "within 0.5 s")
    assert elapsed < 3


async def test_unreachable_provider_is_503(served: Served, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(COMPLETIONS).mock(side_effect=httpx.ConnectError("refused"))
    async with served() as client:
        response = await client.post("/generate", json=BODY)
    assert_failure(response, 503, "unreachable")
    assert route.call_count == 3


async def test_malformed_json_body_is_502(served: Served, respx_mock: respx.MockRouter) -> None:
    respx_mock.post(COMPLETIONS).mock(return_value=httpx.Response(200, text="<html>gateway</html>"))
    async with served() as client:
        response = await client.post("/generate", json=BODY)
    assert_failure(response, 502, "malformed")


async def test_wrong_section_count_is_repaired_once(
    served: Served, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(COMPLETIONS).mock(
        side_effect=[completion(script_json(sections=2)), completion(script_json())]
    )
    async with served() as client:
        response = await client.post("/generate", json=BODY)
    assert response.status_code == 200, response.text
    assert len(response.json()["sections"]) == 3
    messages = sent(route, 1)["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[2]["content"] == script_json(sections=2)
    assert "expected exactly 3 sections, got 2" in messages[3]["content"]


@pytest.mark.parametrize(
    "content",
    [
        "Sure! Here is your script: once upon a time",
        script_json(narration="   "),
        orjson.dumps({"title": "x", "sections": []}).decode(),
    ],
)
async def test_invalid_answer_twice_is_502(
    served: Served, respx_mock: respx.MockRouter, content: str
) -> None:
    route = respx_mock.post(COMPLETIONS).mock(return_value=completion(content))
    async with served() as client:
        response = await client.post("/generate", json=BODY)
    assert_failure(response, 502, "invalid answer twice")
    assert route.call_count == 2


async def test_truncated_answer_is_repaired(served: Served, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(COMPLETIONS).mock(
        side_effect=[
            completion(script_json()[:50], finish_reason="length"),
            completion(script_json()),
        ]
    )
    async with served() as client:
        response = await client.post("/generate", json=BODY)
    assert response.status_code == 200, response.text
    assert "cut off" in sent(route, 1)["messages"][3]["content"]


async def test_description_through_the_provider(
    served: Served, respx_mock: respx.MockRouter
) -> None:
    answer = orjson.dumps({"contextual_description": "  A calm look at   delay. "}).decode()
    route = respx_mock.post(COMPLETIONS).mock(return_value=completion(answer))
    async with served() as client:
        response = await client.post(
            "/description/generate",
            json={"title": "Procrastination", "language": "de", "duration": 90},
        )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "contextual_description": "A calm look at delay.",
        "language": "de",
        "provider": "openai",
        "model": "test-model",
    }
    body = sent(route)
    assert body["response_format"]["json_schema"]["name"] == "description"
    assert "Geplante Länge: 90 s" in body["messages"][0]["content"]
