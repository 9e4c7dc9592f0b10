"""Prompt and phrasebook files: complete for every language, placeholders filled strictly."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest
from pydantic import ValidationError

from contracts.project import LANGUAGES
from services.script import phrasebook, prompts
from services.script.phrasebook import KINDS, Phrasebook
from services.script.placeholders import PlaceholderError, check, fill, names


def test_every_language_has_complete_prompts_and_phrasebooks() -> None:
    prompts.load_all()
    phrasebook.load_all()
    english = phrasebook.phrasebook("en")
    for language in LANGUAGES:
        book = phrasebook.phrasebook(language)
        for kind in KINDS:
            # Same points everywhere, so every language gets the same pictures.
            ids = [p.id for p in book.kinds[kind].points]
            assert ids == [p.id for p in english.kinds[kind].points]
        for name in ("script", "description", "repair"):
            assert names(prompts.prompt(language, name)) == prompts.PLACEHOLDERS[name]


def test_rendering_a_prompt_needs_every_value() -> None:
    values = {"type_video": "STOICISM", "style": "—", "duration": "60 s"}
    text = prompts.render("it", "description", values)
    assert "STOICISM" in text
    assert "{" not in text.replace('{"contextual_description"', "")
    with pytest.raises(PlaceholderError):
        prompts.render("it", "description", {"type_video": "STOICISM", "style": "—"})
    with pytest.raises(PlaceholderError):
        prompts.render("it", "description", {**values, "extra": "x"})


def test_placeholders_are_checked_not_blanked() -> None:
    assert names("Hello {topic}, {{literal}}") == {"topic"}
    with pytest.raises(PlaceholderError, match="no value"):
        fill("Hello {topic}", {})
    with pytest.raises(PlaceholderError, match="unknown"):
        check("Hello {topik}", allowed={"topic"}, where="test")
    with pytest.raises(PlaceholderError, match="must use"):
        check("Hello", allowed={"topic"}, required={"topic"}, where="test")
    with pytest.raises(PlaceholderError, match="malformed"):
        names("Hello {topic")
    with pytest.raises(PlaceholderError, match="not a name"):
        names("Hello {0}")


def test_a_phrasebook_with_a_wrong_placeholder_is_refused() -> None:
    raw = (files("services.script") / "phrasebooks" / "en.json").read_text(encoding="utf-8")
    data = json.loads(raw)
    Phrasebook.model_validate(data)
    data["kinds"]["STOICISM"]["points"][0]["body"][0] = "Think about {subject}."
    with pytest.raises(ValidationError, match="unknown placeholder"):
        Phrasebook.model_validate(data)
    data = json.loads(raw)
    del data["tones"]["comedic"]
    with pytest.raises(ValidationError, match="tones"):
        Phrasebook.model_validate(data)
