"""POST /music/generate: the offline synthesiser chosen by the prompt, and ElevenLabs Music
against its documented HTTP contract (POST /v1/music with xi-api-key, prompt and
music_length_ms; the answer is the track's MP3 bytes), mocked with respx."""

from __future__ import annotations

import json
from pathlib import Path

import av
import httpx
import numpy as np
import pytest
import respx

from runtime.probe import probe
from services.video.app import build_app
from services.video.music_tracks import mood_for
from tests.support import serve
from tests.video.conftest import Settings, tone

ELEVEN = "https://api.elevenlabs.test/v1/music"


def rms(path: Path, start: float, end: float) -> float:
    with av.open(str(path)) as container:
        frames = [f.to_ndarray() for f in container.decode(audio=0)]
        rate = container.streams.audio[0].rate
    samples = np.concatenate(frames, axis=1).astype(np.float64)
    window = samples[:, int(start * rate) : int(end * rate)]
    return float(np.sqrt(np.mean(window**2)))


@pytest.mark.parametrize(
    ("prompt", "genre", "mood"),
    [
        ("Upbeat electronic music", "electronic", "upbeat"),
        ("A calm piano for a relaxing morning", None, "soft"),
        ("Epic orchestral trailer", None, "cinematic"),
        ("Music for a tech product presentation", None, "corporate"),
        ("Dreamy atmospheric pads", None, "ambient"),
        ("Something nice", "jazz", "soft"),
        ("Something nice", None, "soft"),
        # One word each way: the genre breaks the tie.
        ("epic and calm", "classical", "cinematic"),
    ],
)
def test_the_prompt_and_genre_choose_the_mood(prompt: str, genre: str | None, mood: str) -> None:
    assert mood_for(prompt, genre) == mood


async def test_synthesised_music_is_the_asked_length_and_fades(
    client: httpx.AsyncClient, media: Path
) -> None:
    r = await client.post(
        "/music/generate", json={"prompt": "Upbeat dance track", "duration": 8, "genre": "pop"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["provider"], body["synthesised"], body["mood"]) == ("synth", True, "upbeat")
    assert body["description"].startswith("Synthesised offline")
    path = media / body["audio_key"]
    info = probe(path)
    assert info.duration == pytest.approx(8.0, abs=0.1)
    assert body["duration"] == pytest.approx(info.duration, abs=0.01)
    # Faded in and out, full in the middle: not a cut loop.
    middle = rms(path, 3.0, 5.0)
    assert middle > 0.02
    assert rms(path, 0.0, 0.1) < middle / 4
    assert rms(path, 7.9, 8.0) < middle / 4


async def test_bad_music_requests_are_422_and_store_nothing(
    client: httpx.AsyncClient, media: Path
) -> None:
    before = sorted(media.rglob("*"))
    for body, fragment in (
        ({"prompt": "ok", "duration": 10}, "prompt"),
        ({"prompt": "Jazz night", "duration": 4}, "duration"),
        ({"prompt": "Jazz night", "genre": "polka"}, "genre"),
    ):
        r = await client.post("/music/generate", json=body)
        assert r.status_code == 422, r.text
        assert fragment in r.json()["detail"]
    assert sorted(media.rglob("*")) == before


@pytest.fixture
def mp3(tmp_path: Path) -> bytes:
    path = tmp_path / "eleven.mp3"
    tone(path, 5.0)
    return path.read_bytes()


async def test_elevenlabs_music_gets_the_documented_request(
    settings: Settings, media: Path, mp3: bytes, respx_mock: respx.MockRouter
) -> None:
    respx_mock.route(host="127.0.0.1").pass_through()
    route = respx_mock.post(ELEVEN).respond(
        200, content=mp3, headers={"content-type": "audio/mpeg"}
    )
    app = build_app(
        settings(
            video_music_provider="elevenlabs",
            video_elevenlabs_api_key="xi-test",
            video_elevenlabs_base_url="https://api.elevenlabs.test",
        )
    )
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        r = await http.post(
            "/music/generate",
            json={"prompt": "Upbeat electronic music", "duration": 5, "genre": "electronic"},
        )
    assert r.status_code == 200, r.text
    sent = route.calls.last.request
    assert sent.headers["xi-api-key"] == "xi-test"
    assert sent.url.params["output_format"] == "mp3_44100_128"
    assert json.loads(sent.content) == {
        "prompt": "Upbeat electronic music (electronic)",
        "music_length_ms": 5000,
        "force_instrumental": True,
    }
    body = r.json()
    assert (body["provider"], body["synthesised"], body["mood"]) == ("elevenlabs", False, None)
    assert (media / body["audio_key"]).read_bytes() == mp3
    assert body["duration"] == pytest.approx(5.0, abs=0.1)


@pytest.mark.parametrize(
    ("answer", "status", "detail"),
    [
        (httpx.Response(401, json={"detail": "bad key"}), 502, "refused the request (HTTP 401)"),
        (httpx.Response(429), 503, "rate limiting"),
        (httpx.Response(200, content=b"not audio"), 502, "cannot be decoded"),
    ],
)
async def test_elevenlabs_failures_are_clear_and_store_nothing(
    settings: Settings,
    media: Path,
    respx_mock: respx.MockRouter,
    answer: httpx.Response,
    status: int,
    detail: str,
) -> None:
    respx_mock.route(host="127.0.0.1").pass_through()
    respx_mock.post(ELEVEN).mock(return_value=answer)
    app = build_app(
        settings(
            video_music_provider="elevenlabs",
            video_elevenlabs_api_key="xi-test",
            video_elevenlabs_base_url="https://api.elevenlabs.test",
            video_music_max_backoff_seconds=0.05,
        )
    )
    before = sorted(media.rglob("*"))
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        r = await http.post("/music/generate", json={"prompt": "Jazz night", "duration": 5})
    assert r.status_code == status, r.text
    assert detail in r.json()["detail"]
    assert sorted(media.rglob("*")) == before


async def test_elevenlabs_without_a_key_says_so(settings: Settings) -> None:
    app = build_app(settings(video_music_provider="elevenlabs"))
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        r = await http.post("/music/generate", json={"prompt": "Jazz night", "duration": 5})
    assert r.status_code == 503
    assert r.json()["detail"] == (
        "ElevenLabs Music is not configured: VIDEO_ELEVENLABS_API_KEY is unset"
    )
