"""The template writer's sentence banks, versioned with the code.

One JSON file per language (`phrasebooks/<lang>.json`) holds the narration sentences; one English
file (`phrasebooks/visuals.json`) holds a concrete picture description per point, shared by all
languages. Every file is validated on load: structure, placeholders, and that each point of each
language has a picture.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.project import LANGUAGES
from services.script.placeholders import check

Kind = Literal["GENERAL", "LIFE_LESSON", "STOICISM", "X_THINGS_TO_DO"]
KINDS: tuple[Kind, ...] = get_args(Kind)
Tone = Literal["educational", "inspirational", "comedic", "dramatic", "casual", "professional"]

_STRICT = ConfigDict(extra="forbid", frozen=True)
_Texts = list[str]


class Point(BaseModel):
    model_config = _STRICT

    id: str
    lead: str
    body: _Texts = Field(min_length=2)


class KindBank(BaseModel):
    model_config = _STRICT

    title: str
    video_description: str
    context: str
    kind_keywords: _Texts
    intro: _Texts = Field(min_length=2)
    outro: _Texts = Field(min_length=2)
    points: list[Point] = Field(min_length=4)


class Phrasebook(BaseModel):
    model_config = _STRICT

    language_name: str
    quotes: tuple[str, str]
    stopwords: frozenset[str]
    tones: dict[Tone, str]
    kinds: dict[Kind, KindBank]
    item_lead: str
    item_body: _Texts = Field(min_length=2)
    keyword_lines: _Texts = Field(min_length=2)
    bridges: _Texts = Field(min_length=2)
    duration_units: dict[Literal["seconds", "minutes"], str]
    duration_sentence: str
    keywords_sentence: str
    inspirations_sentence: str
    tone_sentence: str
    tone_names: dict[Tone, str]

    @model_validator(mode="after")
    def _complete(self) -> Phrasebook:
        for field, keys, wanted in (
            ("tones", set(self.tones), get_args(Tone)),
            ("tone_names", set(self.tone_names), get_args(Tone)),
            ("kinds", set(self.kinds), KINDS),
            ("duration_units", set(self.duration_units), ("seconds", "minutes")),
        ):
            if keys != set(wanted):
                raise ValueError(f"{field} must have exactly {sorted(wanted)}")
        self._check_placeholders()
        return self

    def _check_placeholders(self) -> None:
        for kind, bank in self.kinds.items():
            _check_bank(kind, bank)
        check(self.item_lead, allowed={"n", "item"}, required={"n", "item"}, where="item_lead")
        for text in self.item_body:
            check(text, allowed={"item", "topic"}, where="item_body")
        for text in self.keyword_lines:
            check(text, allowed={"keyword", "topic"}, required={"keyword"}, where="keyword_lines")
        for text in self.bridges:
            check(text, allowed={"topic"}, where="bridges")
        for text in [*self.tones.values(), *self.tone_names.values()]:
            check(text, allowed=(), where="tones")
        for text in self.duration_units.values():
            check(text, allowed={"n"}, required={"n"}, where="duration_units")
        for name, placeholder in (
            ("duration_sentence", "duration"),
            ("keywords_sentence", "keywords"),
            ("inspirations_sentence", "count"),
            ("tone_sentence", "tone"),
        ):
            check(getattr(self, name), allowed={placeholder}, required={placeholder}, where=name)


def _check_bank(kind: str, bank: KindBank) -> None:
    for name in ("title", "video_description"):
        check(getattr(bank, name), allowed={"topic", "count"}, where=f"{kind}.{name}")
    check(bank.context, allowed={"topic"}, required={"topic"}, where=f"{kind}.context")
    for text in bank.intro:
        check(text, allowed={"topic", "count"}, where=f"{kind}.intro")
    for text in bank.outro:
        check(text, allowed={"topic"}, where=f"{kind}.outro")
    for text in bank.kind_keywords:
        check(text, allowed=(), where=f"{kind}.kind_keywords")
    for point in bank.points:
        check(point.lead, allowed={"n", "topic"}, where=f"{kind}.{point.id}.lead")
        for text in point.body:
            check(text, allowed={"topic"}, where=f"{kind}.{point.id}.body")


class Visuals(BaseModel):
    model_config = _STRICT

    kinds: dict[Kind, dict[str, str]]
    item: str

    @model_validator(mode="before")
    @classmethod
    def _split(cls, data: object) -> object:
        if isinstance(data, dict) and "kinds" not in data:
            rest = {k: v for k, v in data.items() if k != "item"}
            return {"kinds": rest, "item": data.get("item")}
        return data

    @model_validator(mode="after")
    def _placeholders(self) -> Visuals:
        check(self.item, allowed={"item"}, required={"item"}, where="visuals.item")
        for kind, pictures in self.kinds.items():
            for point, text in pictures.items():
                check(text, allowed=(), where=f"visuals.{kind}.{point}")
        return self


def _read(name: str) -> str:
    return (files("services.script") / "phrasebooks" / name).read_text(encoding="utf-8")


@cache
def visuals() -> Visuals:
    return Visuals.model_validate_json(_read("visuals.json"))


@cache
def phrasebook(language: str) -> Phrasebook:
    book = Phrasebook.model_validate_json(_read(f"{language}.json"))
    pictures = visuals().kinds
    for kind, bank in book.kinds.items():
        missing = {p.id for p in bank.points} - set(pictures.get(kind, {}))
        if missing:
            raise ValueError(f"{language}.json: no picture for {kind} points {sorted(missing)}")
    return book


def load_all() -> None:
    """Parse and check every bank now, so a broken file stops start-up instead of a request."""
    for language in LANGUAGES:
        phrasebook(language)
