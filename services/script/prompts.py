"""The chat prompts, one folder per language (`prompts/<lang>/<name>.txt`), versioned with the code.

Each prompt declares exactly the placeholders the code fills. A file that uses another name, or
lacks one, fails at load (start-up and tests), and rendering without every value is an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import Literal, get_args

from contracts.project import LANGUAGES
from services.script.placeholders import PlaceholderError, fill, names

PromptName = Literal["script", "description", "repair"]
PLACEHOLDERS: dict[PromptName, frozenset[str]] = {
    "script": frozenset(
        {"nb_section", "duration_s", "target_words", "words_per_section", "type_video", "style"}
    ),
    "description": frozenset({"type_video", "style", "duration"}),
    "repair": frozenset({"error"}),
}


@cache
def prompt(language: str, name: PromptName) -> str:
    resource = files("services.script") / "prompts" / language / f"{name}.txt"
    text = resource.read_text(encoding="utf-8").strip()
    found = names(text)
    if found != PLACEHOLDERS[name]:
        raise PlaceholderError(
            f"prompts/{language}/{name}.txt: placeholders {sorted(found)},"
            f" expected {sorted(PLACEHOLDERS[name])}"
        )
    return text


def render(language: str, name: PromptName, values: Mapping[str, object]) -> str:
    if set(values) != PLACEHOLDERS[name]:
        raise PlaceholderError(f"{name} prompt needs exactly {sorted(PLACEHOLDERS[name])}")
    return fill(prompt(language, name), values)


def load_all() -> None:
    for language in LANGUAGES:
        for name in get_args(PromptName):
            prompt(language, name)
