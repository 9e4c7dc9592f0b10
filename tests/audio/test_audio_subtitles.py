"""Subtitles: cue building rules, and the three files as FFmpeg and a reader parse them."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import av
import httpx
import pytest

from contracts.audio import WordTiming
from runtime.captions import Cue, build_cues, to_ass, to_srt, to_vtt

SCRIPT = (
    "Stoicism teaches us that we cannot control events, only our response to them. "
    "Marcus Aurelius wrote his meditations at night, by candle light, after long days of war "
    "and politics, when the whole camp slept and only the sentries kept watch over the river. "
    "Why? Because writing helped. Epictetus, a former slave, taught that freedom begins in "
    "the mind."
)
_SRT_TIME = r"(\d{2}):(\d{2}):(\d{2}),(\d{3})"
_VTT_TIME = r"(\d{2}):(\d{2}):(\d{2})\.(\d{3})"


def timed(text: str, pause: float = 0.5) -> list[WordTiming]:
    """Words spoken at 60 ms per letter with a pause after each sentence."""
    words, clock = [], 0.0
    for token in text.split():
        length = 0.06 * len(token)
        words.append(WordTiming(word=token, start=round(clock, 3), end=round(clock + length, 3)))
        clock += length + 0.05 + (pause if token.endswith((".", "?", "!")) else 0)
    return words


def seconds(match: tuple[str, ...]) -> float:
    h, m, s, ms = (int(x) for x in match)
    return h * 3600 + m * 60 + s + ms / 1000


def parse_timed_blocks(text: str, pattern: str) -> list[tuple[float, float, list[str]]]:
    cues = []
    for block in re.split(r"\n\n+", text.strip()):
        lines = block.split("\n")
        for i, line in enumerate(lines):
            found = re.fullmatch(f"{pattern} --> {pattern}", line)
            if found:
                groups = found.groups()
                cues.append((seconds(groups[:4]), seconds(groups[4:]), lines[i + 1 :]))
                break
    return cues


def cue_words(cue: Cue) -> list[WordTiming]:
    return [w for line in cue.lines for w in line]


def test_cues_follow_the_words_and_the_layout_rules() -> None:
    words = timed(SCRIPT)
    cues = build_cues(words, max_line_chars=42, max_lines=2)
    assert [w for cue in cues for w in cue_words(cue)] == words  # every word, in order, once
    for cue in cues:
        inside = cue_words(cue)
        assert abs(cue.start - inside[0].start) <= 0.1
        assert abs(cue.end - inside[-1].end) <= 0.1
        assert cue.end - cue.start <= 6.0
        assert 1 <= len(cue.lines) <= 2
        for line in cue.lines:
            assert len(" ".join(w.word for w in line)) <= 42
        if len(cue.lines) == 2:
            assert all(len(line) > 1 for line in cue.lines), cue.text  # no lone orphan word
    for before, after in itertools.pairwise(cues):
        assert before.end <= after.start
    # Sentence ends close cues: no cue runs from one sentence into a long next one.
    assert any(cue.text.endswith("them.") for cue in cues)
    assert any(cue.text.endswith("the river.") for cue in cues)
    # The lone "Why?" is too brief to read alone: it shares a cue with what follows.
    why = next(cue for cue in cues if "Why?" in cue.text)
    assert why.text.replace("\n", " ").startswith("Why? Because")


def test_narrow_single_line_layout() -> None:
    cues = build_cues(timed(SCRIPT), max_line_chars=20, max_lines=1)
    for cue in cues:
        assert len(cue.lines) == 1
        assert len(cue.text) <= 20
    # A clause break is preferred to a blind cut: some cue ends right at a comma.
    assert any(cue.text.endswith(",") for cue in cues)


def test_a_word_longer_than_a_line_still_gets_shown() -> None:
    word = WordTiming(word="Pneumonoultramicroscopicsilicovolcanoconiosis", start=0, end=1.5)
    cues = build_cues([word], max_line_chars=20)
    assert len(cues) == 1
    assert cues[0].text == word.word


def test_formats_escape_and_time_correctly() -> None:
    words = [
        WordTiming(word="Tom", start=3661.5, end=3661.8),
        WordTiming(word="&", start=3661.9, end=3662.0),
        WordTiming(word="<Jerry>", start=3662.1, end=3662.6),
        WordTiming(word="{\\b1}bold", start=3662.7, end=3663.0),
    ]
    cues = build_cues(words)
    srt, vtt, ass = to_srt(cues), to_vtt(cues), to_ass(cues, width=1280, height=720)
    assert "01:01:01,500 --> 01:01:03,000" in srt
    assert vtt.startswith("WEBVTT\n\n01:01:01.500 --> 01:01:03.000\n")
    assert "&amp; &lt;Jerry&gt;" in vtt
    assert "Dialogue: 0,1:01:01.50,1:01:03.00,Default,,0,0,0,," in ass
    assert "PlayResX: 1280" in ass
    assert "PlayResY: 720" in ass
    assert "{" not in ass.split("[Events]")[1]  # no override tag smuggled in by the text


@pytest.fixture
def stored_words() -> list[dict[str, object]]:
    return [w.model_dump() for w in timed(SCRIPT)]


async def test_subtitles_from_inline_words_parse_in_all_three_formats(
    espeak_client: httpx.AsyncClient, media_root: Path, stored_words: list[dict[str, object]]
) -> None:
    response = await espeak_client.post(
        "/subtitles", json={"words": stored_words, "max_line_chars": 32}
    )
    assert response.status_code == 200, response.text
    data = response.json()
    srt = (media_root / data["srt_key"]).read_text()
    vtt = (media_root / data["vtt_key"]).read_text()
    srt_cues = parse_timed_blocks(srt, _SRT_TIME)
    vtt_cues = parse_timed_blocks(vtt, _VTT_TIME)
    assert len(srt_cues) == len(vtt_cues) == data["cue_count"] > 4
    assert [c[:2] for c in srt_cues] == [c[:2] for c in vtt_cues]
    numbers = [int(block.split("\n")[0]) for block in re.split(r"\n\n+", srt.strip())]
    assert numbers == list(range(1, data["cue_count"] + 1))
    spoken = " ".join(" ".join(lines) for _, _, lines in srt_cues).split()
    assert spoken == SCRIPT.split()
    for start, end, lines in srt_cues:
        assert start < end
        assert 1 <= len(lines) <= 2
        assert all(len(line) <= 32 for line in lines)
    assert data["duration"] == pytest.approx(stored_words[-1]["end"], abs=0.001)
    # FFmpeg's own demuxers read all three as subtitle streams with the same timings.
    for key in ("srt_key", "vtt_key", "ass_key"):
        with av.open(str(media_root / data[key])) as container:
            stream = container.streams.subtitles[0]
            assert stream.time_base is not None
            events = []
            for p in container.demux(stream):
                if p.size:
                    assert p.pts is not None
                    assert p.duration is not None
                    start = float(p.pts * stream.time_base)
                    events.append((start, float((p.pts + p.duration) * stream.time_base)))
        assert len(events) == data["cue_count"]
        for (start, end), (want_start, want_end, _) in zip(events, srt_cues, strict=True):
            assert abs(start - want_start) <= 0.011
            assert abs(end - want_end) <= 0.011


async def test_subtitles_from_a_generated_words_key(espeak_client: httpx.AsyncClient) -> None:
    narration = await espeak_client.post("/generate", json={"text": SCRIPT})
    assert narration.status_code == 200
    words = narration.json()["words"]
    response = await espeak_client.post(
        "/subtitles", json={"words_key": narration.json()["words_key"]}
    )
    assert response.status_code == 200, response.text
    # Every cue lies within 100 ms of the real speech it shows.
    assert response.json()["duration"] == pytest.approx(words[-1]["end"], abs=0.1)


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({}, 422, "exactly one of words or words_key"),
        ({"words": [], "words_key": "a/b.json"}, 422, "exactly one"),
        ({"words": []}, 422, "words is empty"),
        ({"words": [{"word": "a", "start": 2, "end": 1}]}, 422, "before start"),
        ({"words": [{"word": "a", "start": -1, "end": 1}]}, 422, "words.0.start"),
        ({"words": [{"word": " ", "start": 0, "end": 1}]}, 422, "no words to caption"),
        ({"words_key": "../etc/passwd"}, 400, "Invalid media key"),
        ({"words_key": "audio/missing/words.json"}, 404, "Media not found"),
        ({"words": [{"word": "a", "start": 0, "end": 1}], "max_lines": 3}, 422, "max_lines"),
    ],
)
async def test_bad_subtitle_requests(
    espeak_client: httpx.AsyncClient, body: dict[str, object], status: int, needle: str
) -> None:
    response = await espeak_client.post("/subtitles", json=body)
    assert response.status_code == status
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert needle in detail


async def test_a_words_key_that_is_not_word_timings(
    espeak_client: httpx.AsyncClient, media_root: Path
) -> None:
    narration = await espeak_client.post("/generate", json={"text": "Short one."})
    audio_key = narration.json()["audio_key"]
    response = await espeak_client.post("/subtitles", json={"words_key": audio_key})
    assert response.status_code == 422
    assert response.json()["detail"] == f"{audio_key} does not hold word timings"
