"""OpenAI and ElevenLabs against their documented HTTP contracts, mocked with respx.

OpenAI: POST {base}/audio/speech with {model, input, voice, speed, response_format} and a Bearer
key answers MP3 bytes. ElevenLabs: POST /v1/text-to-speech/{voice_id}/with-timestamps with an
xi-api-key header answers {audio_base64, alignment: {characters,
character_start_times_seconds, character_end_times_seconds}}.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest
import respx

from runtime.probe import probe
from services.audio.app import build_app
from services.audio.settings import AudioSettings
from tests.audio.conftest import tone_mp3
from tests.support import serve

OPENAI = "https://api.openai.test/v1/audio/speech"
ELEVEN = "https://api.elevenlabs.test/v1/text-to-speech/{voice}/with-timestamps"
RACHEL = "21m00Tcm4TlvDq8ikWAM"  # the default ElevenLabs voice for "alloy"
TEXT = "Hello brave new world. Stay calm, and carry on."

Client = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="module")
def tone(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return tone_mp3(2.0, 24000, tmp_path_factory.mktemp("tone"))


@pytest.fixture
def client(tmp_path: Path, respx_mock: respx.MockRouter) -> Client:
    respx_mock.route(host="127.0.0.1").pass_through()

    @asynccontextmanager
    async def start(provider: str, **overrides: object) -> AsyncIterator[httpx.AsyncClient]:
        values: dict[str, object] = {
            "media_root": tmp_path,
            "audio_provider": provider,
            "audio_openai_api_key": "sk-test",
            "audio_openai_base_url": "https://api.openai.test/v1",
            "audio_elevenlabs_api_key": "xi-test",
            "audio_elevenlabs_base_url": "https://api.elevenlabs.test",
            "audio_http_attempts": 3,
            "audio_http_max_backoff_seconds": 0.05,
            "audio_http_timeout_seconds": 2,
            **overrides,
        }
        settings = AudioSettings.model_validate(values)
        async with (
            serve(build_app(settings)) as base,
            httpx.AsyncClient(base_url=base, timeout=30) as http,
        ):
            yield http

    return start


def alignment_for(text: str, step: float = 0.05) -> dict[str, list[object]]:
    return {
        "characters": list(text),
        "character_start_times_seconds": [round(i * step, 3) for i in range(len(text))],
        "character_end_times_seconds": [round((i + 1) * step, 3) for i in range(len(text))],
    }


def eleven_body(mp3: bytes, text: str) -> dict[str, object]:
    return {
        "audio_base64": base64.b64encode(mp3).decode(),
        "alignment": alignment_for(text),
        "normalized_alignment": alignment_for(text),
    }


def no_files(root: Path) -> bool:
    return not any(p.is_file() for p in root.rglob("*"))


# ---------------------------------------------------------------- OpenAI


async def test_openai_success_sends_the_documented_request(
    client: Client, respx_mock: respx.MockRouter, tone: bytes, tmp_path: Path
) -> None:
    route = respx_mock.post(OPENAI).respond(
        200, content=tone, headers={"content-type": "audio/mpeg"}
    )
    async with client("openai") as http:
        response = await http.post(
            "/generate", json={"text": TEXT, "voice_id": "onyx", "speed": 1.2}
        )
    assert response.status_code == 200, response.text
    sent = route.calls.last.request
    assert sent.headers["authorization"] == "Bearer sk-test"
    assert json.loads(sent.content) == {
        "model": "tts-1",
        "input": TEXT,
        "voice": "onyx",
        "speed": 1.2,
        "response_format": "mp3",
    }
    data = response.json()
    assert data["provider"] == "openai"
    assert data["timing_source"] == "estimated"
    assert abs(probe(tmp_path / data["audio_key"]).duration - data["duration"]) < 0.05
    assert abs(data["duration"] - 2.0) < 0.05
    words = data["words"]
    assert [w["word"] for w in words] == TEXT.split()
    assert words[0]["start"] == 0
    assert words[-1]["end"] == pytest.approx(data["duration"], abs=0.01)
    assert all(a["end"] <= b["start"] + 0.001 for a, b in itertools.pairwise(words))
    # Syllable-weighted: "carry" (2 syllables) lasts longer than "and" (1).
    length = {w["word"]: w["end"] - w["start"] for w in words}
    assert length["carry"] > length["and"]


async def test_openai_429_then_success_honours_retry_after(
    client: Client, respx_mock: respx.MockRouter, tone: bytes
) -> None:
    route = respx_mock.post(OPENAI).mock(
        side_effect=[
            httpx.Response(429, headers={"retry-after": "0"}, json={"error": {"message": "slow"}}),
            httpx.Response(200, content=tone),
        ]
    )
    async with client("openai") as http:
        response = await http.post("/generate", json={"text": TEXT})
    assert response.status_code == 200
    assert route.call_count == 2


async def test_openai_429_exhausted_is_503(
    client: Client, respx_mock: respx.MockRouter, tmp_path: Path
) -> None:
    route = respx_mock.post(OPENAI).respond(429, headers={"retry-after": "0"})
    async with client("openai") as http:
        response = await http.post("/generate", json={"text": TEXT})
    assert response.status_code == 503
    assert response.json()["detail"] == "OpenAI TTS is rate limiting (HTTP 429) after 3 attempts"
    assert route.call_count == 3
    assert no_files(tmp_path)


async def test_openai_502_is_502_after_retries(
    client: Client, respx_mock: respx.MockRouter, tmp_path: Path
) -> None:
    route = respx_mock.post(OPENAI).respond(502, json={"error": {"message": "boom"}})
    async with client("openai") as http:
        response = await http.post("/generate", json={"text": TEXT})
    assert response.status_code == 502
    body = response.json()
    assert body["detail"] == "OpenAI TTS failed (HTTP 502) after 3 attempts"
    assert body["error"]["details"]["provider_status"] == 502
    assert route.call_count == 3
    assert no_files(tmp_path)


async def test_openai_timeout_is_504_without_retry(
    client: Client, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(OPENAI).mock(side_effect=httpx.ReadTimeout("slow"))
    async with client("openai") as http:
        response = await http.post("/generate", json={"text": TEXT})
    assert response.status_code == 504
    assert response.json()["detail"] == "OpenAI TTS did not answer within 2 s"
    assert route.call_count == 1


async def test_openai_slow_server_is_cut_by_the_deadline(
    client: Client, respx_mock: respx.MockRouter, tone: bytes
) -> None:
    async def slow(_: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, content=tone)

    respx_mock.post(OPENAI).mock(side_effect=slow)
    async with client("openai", audio_provider_deadline_seconds=0.3) as http:
        response = await http.post("/generate", json={"text": TEXT})
    assert response.status_code == 504
    assert response.json()["detail"] == "OpenAI TTS did not finish within 0.3 s"


async def test_openai_malformed_answer_is_502(
    client: Client, respx_mock: respx.MockRouter, tmp_path: Path
) -> None:
    respx_mock.post(OPENAI).respond(
        200, content=b'{"audio": [1, 2,', headers={"content-type": "application/json"}
    )
    async with client("openai") as http:
        response = await http.post("/generate", json={"text": TEXT})
    assert response.status_code == 502
    assert response.json()["detail"] == "OpenAI TTS returned audio that could not be decoded"
    assert no_files(tmp_path)


async def test_openai_refusal_and_outage_and_missing_key(
    client: Client, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(OPENAI).respond(401, json={"error": {"message": "bad key"}})
    async with client("openai") as http:
        refused = await http.post("/generate", json={"text": TEXT})
    assert refused.status_code == 502
    assert refused.json()["detail"] == "OpenAI TTS refused the request (HTTP 401)"
    assert route.call_count == 1  # a 4xx is not retried
    route.mock(side_effect=httpx.ConnectError("refused"))
    async with client("openai") as http:
        down = await http.post("/generate", json={"text": TEXT})
    assert down.status_code == 503
    assert down.json()["detail"] == "OpenAI TTS is unreachable after 3 attempts"
    async with client("openai", audio_openai_api_key=None) as http:
        unset = await http.post("/generate", json={"text": TEXT})
    assert unset.status_code == 503
    assert "AUDIO_OPENAI_API_KEY" in unset.json()["detail"]


async def test_openai_long_text_is_split_and_joined(
    client: Client, respx_mock: respx.MockRouter, tone: bytes, tmp_path: Path
) -> None:
    sentence = "This sentence is one of many that make a long narration. "
    text = sentence * 150  # about 8,700 characters: three requests of at most 4,000
    route = respx_mock.post(OPENAI).respond(200, content=tone)
    async with client("openai") as http:
        response = await http.post("/generate", json={"text": text})
    assert response.status_code == 200, response.text
    inputs = [json.loads(call.request.content)["input"] for call in route.calls]
    assert len(inputs) == 3
    assert all(len(i) <= 4096 for i in inputs)
    assert " ".join(inputs) == text.strip()
    data = response.json()
    assert abs(data["duration"] - 6.0) < 0.1
    assert abs(probe(tmp_path / data["audio_key"]).duration - data["duration"]) < 0.05
    starts = [w["start"] for w in data["words"]]
    assert starts == sorted(starts)
    assert len(data["words"]) == len(text.split())
    # The second piece's words start after the first piece's audio.
    first_count = len(inputs[0].split())
    assert data["words"][first_count]["start"] >= 2.0 - 0.01


# ---------------------------------------------------------------- ElevenLabs


async def test_elevenlabs_success_gives_exact_word_timings(
    client: Client, respx_mock: respx.MockRouter, tone: bytes, tmp_path: Path
) -> None:
    route = respx_mock.post(ELEVEN.format(voice=RACHEL)).respond(200, json=eleven_body(tone, TEXT))
    async with client("elevenlabs") as http:
        response = await http.post(
            "/generate", json={"text": TEXT, "voice_id": "alloy", "speed": 1.3, "language": "fr"}
        )
    assert response.status_code == 200, response.text
    sent = route.calls.last.request
    assert sent.headers["xi-api-key"] == "xi-test"
    assert sent.url.params["output_format"] == "mp3_44100_128"
    body = json.loads(sent.content)
    assert body["text"] == TEXT
    assert body["model_id"] == "eleven_multilingual_v2"
    assert body["voice_settings"]["speed"] == 1.2  # ElevenLabs' maximum
    data = response.json()
    assert data["timing_source"] == "exact"
    assert data["provider"] == "elevenlabs"
    assert abs(probe(tmp_path / data["audio_key"]).duration - data["duration"]) < 0.05
    words = data["words"]
    assert [w["word"] for w in words] == TEXT.split()
    # "brave" is characters 6-10 at 50 ms each: 0.30 s to 0.55 s.
    assert words[1] == {"word": "brave", "start": 0.3, "end": 0.55}


async def test_elevenlabs_429_then_success(
    client: Client, respx_mock: respx.MockRouter, tone: bytes
) -> None:
    route = respx_mock.post(ELEVEN.format(voice=RACHEL)).mock(
        side_effect=[
            httpx.Response(429, headers={"retry-after": "0"}),
            httpx.Response(200, json=eleven_body(tone, TEXT)),
        ]
    )
    async with client("elevenlabs") as http:
        response = await http.post("/generate", json={"text": TEXT})
    assert response.status_code == 200
    assert route.call_count == 2


async def test_elevenlabs_500_timeout_and_malformed_json(
    client: Client, respx_mock: respx.MockRouter, tmp_path: Path
) -> None:
    route = respx_mock.post(ELEVEN.format(voice=RACHEL)).respond(500)
    async with client("elevenlabs") as http:
        failed = await http.post("/generate", json={"text": TEXT})
        assert failed.status_code == 502
        # A fault upstream answers the same the next time: not retried.
        assert failed.json()["detail"] == "ElevenLabs failed (HTTP 500)"
        assert route.call_count == 1

        route.mock(side_effect=httpx.ReadTimeout("slow"))
        slow = await http.post("/generate", json={"text": TEXT})
        assert slow.status_code == 504
        assert slow.json()["detail"] == "ElevenLabs did not answer within 2 s"

        route.mock(side_effect=None, return_value=httpx.Response(200, content=b'{"audio_base64": '))
        malformed = await http.post("/generate", json={"text": TEXT})
        assert malformed.status_code == 502
        assert malformed.json()["detail"] == "ElevenLabs returned malformed JSON"

        route.mock(return_value=httpx.Response(200, json={"alignment": None}))
        missing = await http.post("/generate", json={"text": TEXT})
        assert missing.status_code == 502
        assert missing.json()["detail"] == "ElevenLabs returned an unexpected answer"

        route.mock(return_value=httpx.Response(503))
        unavailable = await http.post("/generate", json={"text": TEXT})
        assert unavailable.status_code == 503
        assert (
            unavailable.json()["detail"] == "ElevenLabs is unavailable (HTTP 503) after 3 attempts"
        )
    assert no_files(tmp_path)


async def test_elevenlabs_without_alignment_falls_back_to_the_estimate(
    client: Client, respx_mock: respx.MockRouter, tone: bytes
) -> None:
    respx_mock.post(ELEVEN.format(voice=RACHEL)).respond(
        200, json={"audio_base64": base64.b64encode(tone).decode(), "alignment": None}
    )
    async with client("elevenlabs") as http:
        response = await http.post("/generate", json={"text": TEXT})
    assert response.status_code == 200
    assert response.json()["timing_source"] == "estimated"
    assert [w["word"] for w in response.json()["words"]] == TEXT.split()


async def test_cloud_voices_list_the_provider(client: Client) -> None:
    async with client("elevenlabs") as http:
        voices = (await http.get("/voices", params={"gender": "male", "language": "de"})).json()
    assert {v["id"] for v in voices["voices"]} == {"echo", "fable", "onyx"}
    assert {v["provider"] for v in voices["voices"]} == {"elevenlabs"}
