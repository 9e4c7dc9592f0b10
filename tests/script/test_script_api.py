"""The script service with its offline template writer, over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from services.script.app import build_app
from services.script.pacing import WORDS_PER_MINUTE, count_words
from services.script.settings import ScriptSettings
from tests.support import serve

LANGUAGES = ["en", "fr", "es", "de", "it", "pt"]
TYPES = ["", "LIFE_LESSON", "STOICISM", "X_THINGS_TO_DO"]
# Frequent little words: a narration in the language uses several of them.
COMMON_WORDS = {
    "en": {"the", "and", "you", "is", "to", "of", "a"},
    "fr": {"le", "la", "les", "de", "et", "vous", "est", "que"},
    "es": {"el", "la", "de", "que", "y", "es", "lo", "en"},
    "de": {"die", "der", "und", "du", "ist", "nicht", "das", "zu"},
    "it": {"il", "la", "di", "che", "e", "è", "non", "un"},
    "pt": {"o", "a", "de", "que", "e", "você", "um", "não"},
}


@pytest_asyncio.fixture(scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve(build_app(ScriptSettings(max_body_bytes=200_000))) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        yield http


async def generate(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post("/generate", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def assert_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert detail
    return detail


async def test_health_names_the_template_provider(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json()["details"]["provider"] == "template"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("type_video", TYPES)
async def test_every_language_and_type_gives_a_timed_script_of_exact_sections(
    client: httpx.AsyncClient, language: str, type_video: str
) -> None:
    data = await generate(
        client,
        title="Sleep better",
        language=language,
        type_video=type_video,
        nb_section=4,
        duration=60,
    )
    assert data["provider"] == "template"
    assert data["language"] == language
    assert data["type_video"] == type_video
    sections = data["sections"]
    assert [s["index"] for s in sections] == [0, 1, 2, 3]
    for section in sections:
        assert count_words(section["narration"]) >= 5
        assert len(section["image_prompt"]) > 40
    assert data["script_text"] == "\n\n".join(s["narration"] for s in sections)
    # 60 s at the language's narration rate, within 15 %.
    assert data["target_words"] == WORDS_PER_MINUTE[language]
    words = count_words(data["script_text"])
    assert data["word_count"] == words
    assert abs(words - data["target_words"]) <= 0.15 * data["target_words"]
    assert abs(data["estimated_duration_s"] - 60) <= 9
    tokens = set(data["script_text"].lower().replace(",", " ").replace(".", " ").split())
    assert len(tokens & COMMON_WORDS[language]) >= 3
    assert "Sleep better" in data["script_text"]
    assert data["title"]
    assert data["video_description"]
    assert data["keywords"]


async def test_same_request_same_script_and_keywords_change_it(
    client: httpx.AsyncClient,
) -> None:
    body = {"title": "Learning a language", "nb_section": 3, "duration": 45}
    first = await generate(client, **body)
    second = await generate(client, **body)
    assert first == second
    with_keywords = await generate(client, **body, keywords="flashcards, podcasts")
    assert with_keywords["script_text"] != first["script_text"]
    assert "flashcards" in with_keywords["script_text"]
    assert "podcasts" in with_keywords["script_text"]
    assert with_keywords["keywords"] == "flashcards, podcasts"
    assert "#Flashcards" in with_keywords["video_description"]


async def test_video_types_read_differently(client: httpx.AsyncClient) -> None:
    body = {"title": "Handling criticism", "nb_section": 3, "duration": 60}
    stoic = await generate(client, **body, type_video="STOICISM")
    lessons = await generate(client, **body, type_video="LIFE_LESSON")
    assert stoic["script_text"] != lessons["script_text"]
    assert any(n in stoic["script_text"] for n in ("Seneca", "Marcus Aurelius", "Epictetus"))
    assert "Lesson 1:" in lessons["sections"][0]["narration"]
    assert "Lesson 3:" in lessons["sections"][2]["narration"]


async def test_things_to_do_uses_keywords_as_numbered_items(client: httpx.AsyncClient) -> None:
    data = await generate(
        client,
        title="Saving money",
        type_video="X_THINGS_TO_DO",
        keywords=["cook at home", "cancel subscriptions"],
        nb_section=4,
        duration=60,
    )
    narrations = [s["narration"] for s in data["sections"]]
    assert "Number 1: cook at home." in narrations[0]
    assert "Number 2: cancel subscriptions." in narrations[1]
    assert narrations[2].startswith("Number 3:")
    assert "cook at home" in data["sections"][0]["image_prompt"]
    assert data["title"] == "Saving money"


async def test_untitled_list_gets_a_title_from_the_description(client: httpx.AsyncClient) -> None:
    data = await generate(
        client,
        description="Quick ways to focus at work. Aimed at remote workers.",
        type_video="X_THINGS_TO_DO",
        nb_section=5,
        duration=60,
    )
    assert data["title"] == "5 things to do: Quick ways to focus at work"
    assert "focus" in data["keywords"]


async def test_older_use_case_and_style_are_honoured(client: httpx.AsyncClient) -> None:
    plain = await generate(client, title="Moving abroad", nb_section=2, duration=30)
    old = await generate(
        client,
        title="Moving abroad",
        use_case="tutorial",
        script_style="comedic",
        nb_section=2,
        duration=30,
    )
    assert old["type_video"] == "X_THINGS_TO_DO"
    assert old["sections"][0]["narration"].startswith("Fair warning")
    assert not plain["sections"][0]["narration"].startswith("Fair warning")


@pytest.mark.parametrize(("duration", "nb_section"), [(30, 2), (120, 4), (600, 8)])
async def test_length_follows_the_duration(
    client: httpx.AsyncClient, duration: int, nb_section: int
) -> None:
    data = await generate(
        client,
        title="Urban gardening",
        language="fr",
        keywords="tomates",
        nb_section=nb_section,
        duration=duration,
    )
    target = round(duration / 60 * WORDS_PER_MINUTE["fr"])
    assert data["target_words"] == target
    assert abs(data["word_count"] - target) <= 0.15 * target
    assert len(data["sections"]) == nb_section


async def test_no_duration_picks_a_length_from_the_section_count(
    client: httpx.AsyncClient,
) -> None:
    data = await generate(client, title="Coffee", nb_section=3, duration="")
    assert data["duration_s"] == 60
    assert abs(data["word_count"] - 150) <= 0.15 * 150
    single = await generate(client, title="Coffee", nb_section=1, duration=0)
    assert single["duration_s"] == 30


async def test_image_prompts_are_distinct_concrete_scenes(client: httpx.AsyncClient) -> None:
    data = await generate(
        client, title="Courage", type_video="LIFE_LESSON", nb_section=9, duration=180
    )
    prompts = [s["image_prompt"] for s in data["sections"]]
    assert len(set(prompts)) == 9
    for prompt in prompts:
        assert any(word in prompt for word in ("light", "sun", "hour")), prompt
        assert "Courage" in prompt


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"title": "", "description": ""}, "both empty"),
        ({"title": "   ", "description": "\n"}, "both empty"),
        ({"title": "x" * 501}, "title"),
        ({"title": "ok", "description": "y" * 20_001}, "description"),
        ({"title": "ok", "nb_section": 0}, "nb_section"),
        ({"title": "ok", "nb_section": 51}, "nb_section"),
        ({"title": "ok", "duration": -5}, "duration"),
        ({"title": "ok", "duration": 4000}, "duration"),
        ({"title": "ok", "duration": 12, "nb_section": 3}, "too short for 3 sections"),
        ({"title": "ok", "type_video": "VLOG"}, "LIFE_LESSON"),
        ({"title": "ok", "style": "weird"}, "comedic"),
        ({"title": "ok", "keywords": ",".join(f"k{i}" for i in range(21))}, "keywords"),
    ],
)
async def test_bad_input_is_a_422_with_a_readable_detail(
    client: httpx.AsyncClient, body: dict[str, Any], expected: str
) -> None:
    detail = assert_error(await client.post("/generate", json=body), 422)
    assert expected in detail


async def test_unsupported_language_lists_the_supported_ones(client: httpx.AsyncClient) -> None:
    response = await client.post("/generate", json={"title": "ok", "language": "nl"})
    detail = assert_error(response, 422)
    for language in LANGUAGES:
        assert f"'{language}'" in detail
    data = await generate(client, title="ok", language="PT-br")
    assert data["language"] == "pt"


async def test_malformed_and_oversized_bodies_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/generate", content=b'{"title": ', headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500
    assert isinstance(response.json()["detail"], str)
    big = {"title": "ok", "description": "z" * 250_000}
    assert_error(await client.post("/generate", json=big), 413)


async def test_description_in_the_requested_language(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/description/generate",
        json={
            "title": "Le stoïcisme au travail",
            "language": "fr",
            "type_video": "STOICISM",
            "keywords": "calme, patience",
            "video_inspirations": ["https://example.com/a", "https://example.com/b"],
            "duration": 120,
        },
    )
    assert response.status_code == 200, response.text
    data = response.json()
    text = data["contextual_description"]
    assert data["provider"] == "template"
    assert "« Le stoïcisme au travail »" in text
    assert "Sénèque" in text
    assert "2 minutes" in text
    assert "« calme »" in text
    assert "2 vidéos de référence" in text


async def test_description_needs_a_subject(client: httpx.AsyncClient) -> None:
    response = await client.post("/description/generate", json={"title": "", "language": "en"})
    assert "both empty" in assert_error(response, 422)
