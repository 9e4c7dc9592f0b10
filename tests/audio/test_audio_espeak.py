"""The default provider end to end: real espeak-ng speech, real MP3s, real HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import re
from pathlib import Path

import httpx
import orjson
import pytest

from runtime.probe import probe

TEXT = (
    "Stoicism teaches us that we cannot control events, only our response to them. "
    "Marcus Aurelius wrote his Meditations at night — by candle light — after long days "
    "of war. Why? Because writing helped him think clearly, and 1,000 pages later it "
    "still helps us."
)


def spoken_tokens(text: str) -> list[str]:
    return [t for t in text.split() if re.search(r"\w", t)]


async def generate(client: httpx.AsyncClient, **body: object) -> dict[str, object]:
    response = await client.post("/generate", json={"text": TEXT, **body})
    assert response.status_code == 200, response.text
    data: dict[str, object] = response.json()
    return data


async def test_mp3_duration_matches_the_reported_duration(
    espeak_client: httpx.AsyncClient, media_root: Path
) -> None:
    data = await generate(espeak_client, voice_id="alloy", language="en")
    audio = media_root / str(data["audio_key"])
    info = probe(audio)
    stream = info.first("audio")
    assert stream is not None
    assert stream.codec.startswith("mp3")  # the decoder FFmpeg picks, e.g. mp3float
    assert stream.sample_rate == data["sample_rate"] == 22050
    assert abs(info.duration - float(str(data["duration"]))) < 0.05
    # About 45 words at 175 words per minute: clearly speech, not a stub.
    assert 10 < info.duration < 30
    assert data["provider"] == "espeak"
    assert data["timing_source"] == "exact"
    assert data["voice"] == "espeak-ng en-us+f2"
    assert re.fullmatch(r"audio/[0-9a-f]{32}/narration\.mp3", str(data["audio_key"]))


async def test_word_timings_are_monotonic_and_cover_every_word(
    espeak_client: httpx.AsyncClient, media_root: Path
) -> None:
    data = await generate(espeak_client)
    words = data["words"]
    assert isinstance(words, list)
    assert [w["word"] for w in words] == spoken_tokens(TEXT)
    duration = float(str(data["duration"]))
    for previous, word in itertools.pairwise(words):
        assert previous["start"] <= word["start"]
        assert previous["end"] <= word["start"] + 0.001
    for word in words:
        assert 0 <= word["start"] < word["end"] <= duration + 0.001
    # The sentence break before "Marcus" is a real pause, heard in the timings.
    marcus = next(i for i, w in enumerate(words) if w["word"] == "Marcus")
    assert words[marcus]["start"] - words[marcus - 1]["end"] > 0.15
    stored = orjson.loads((media_root / str(data["words_key"])).read_bytes())
    assert stored["words"] == words
    assert stored["timing_source"] == "exact"


async def test_speed_changes_the_pace(espeak_client: httpx.AsyncClient) -> None:
    slow, fast = await asyncio.gather(
        generate(espeak_client, speed=0.7), generate(espeak_client, speed=1.3)
    )
    ratio = float(str(slow["duration"])) / float(str(fast["duration"]))
    assert 1.4 < ratio < 2.2


async def test_pitch_and_voice_change_the_sound(
    espeak_client: httpx.AsyncClient, media_root: Path
) -> None:
    def digest(data: dict[str, object]) -> str:
        return hashlib.sha256((media_root / str(data["audio_key"])).read_bytes()).hexdigest()

    low, high = await generate(espeak_client, pitch=0.7), await generate(espeak_client, pitch=1.3)
    assert digest(low) != digest(high)
    voices = await asyncio.gather(
        *(generate(espeak_client, voice_id=v, language="fr") for v in ("alloy", "echo", "onyx"))
    )
    assert len({digest(v) for v in voices}) == 3
    assert len({str(v["voice"]) for v in voices}) == 3


async def test_every_language_speaks(espeak_client: httpx.AsyncClient) -> None:
    texts = {
        "fr": "Le café est très bon.",
        "es": "El niño come una manzana.",
        "de": "Die Straße ist schön.",
        "it": "La città è bellissima.",
        "pt": "A canção é linda.",
    }
    for language, text in texts.items():
        response = await espeak_client.post(
            "/generate", json={"text": text, "language": language, "voice_id": "shimmer"}
        )
        assert response.status_code == 200, response.text
        data = response.json()
        assert [w["word"] for w in data["words"]] == text.split()
        assert data["voice"].startswith(f"espeak-ng {language}+")


async def test_voices_filter_by_language_and_gender(espeak_client: httpx.AsyncClient) -> None:
    everything = (await espeak_client.get("/voices")).json()["voices"]
    assert len(everything) == 36  # six voices in six languages
    response = await espeak_client.get("/voices", params={"language": "fr", "gender": "female"})
    assert response.status_code == 200
    voices = response.json()["voices"]
    assert {v["id"] for v in voices} == {"alloy", "nova", "shimmer"}
    assert all(v["language"] == "fr" and v["provider"] == "espeak" for v in voices)
    assert all("Not OpenAI" in v["description"] for v in voices)
    assert len({v["name"] for v in voices}) == 3
    bad = await espeak_client.get("/voices", params={"language": "xx"})
    assert bad.status_code == 422
    assert "'en', 'fr', 'es', 'de', 'it' or 'pt'" in bad.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"text": ""}, 422, "text"),
        ({"text": "   \n "}, 422, "empty"),
        ({"text": "?! ..."}, 422, "no words"),
        ({"text": "x" * 20_001}, 422, "20000"),
        ({"text": "Hi", "language": "xx"}, 422, "'en', 'fr', 'es', 'de', 'it' or 'pt'"),
        ({"text": "Hi", "voice_id": "bob"}, 422, "'alloy', 'echo', 'fable', 'onyx', 'nova'"),
        ({"text": "Hi", "speed": 1.5}, 422, "speed"),
        ({"text": "Hi", "pitch": 0.5}, 422, "pitch"),
        ({"voice_id": "alloy"}, 422, "text"),
    ],
)
async def test_bad_input_is_a_4xx_with_a_string_detail(
    espeak_client: httpx.AsyncClient,
    media_root: Path,
    body: dict[str, object],
    status: int,
    needle: str,
) -> None:
    before = sorted(media_root.rglob("*"))
    response = await espeak_client.post("/generate", json=body)
    assert response.status_code == status
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert needle in detail
    assert sorted(media_root.rglob("*")) == before  # nothing written


async def test_requests_run_concurrently_without_mixing_up(
    espeak_client: httpx.AsyncClient,
) -> None:
    texts = [
        f"Request number {n} says {word}."
        for n, word in enumerate(["one", "two", "three", "four", "five", "six"])
    ]
    results = await asyncio.gather(
        *(espeak_client.post("/generate", json={"text": t}) for t in texts)
    )
    for text, response in zip(texts, results, strict=True):
        assert response.status_code == 200
        assert [w["word"] for w in response.json()["words"]] == text.split()
    assert len({r.json()["audio_key"] for r in results}) == len(texts)


async def test_health_names_the_provider(espeak_client: httpx.AsyncClient) -> None:
    response = await espeak_client.get("/health")
    assert response.json()["details"] == {"provider": "espeak"}
