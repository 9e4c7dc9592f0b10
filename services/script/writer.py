"""The one interface every script writer implements, and the draft it answers with (the
choice between writers is services/script/providers.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from services.script.brief import Brief


@dataclass(frozen=True)
class Scene:
    narration: str
    image_prompt: str


@dataclass(frozen=True)
class Draft:
    """A provider's script before the service measures it: exactly brief.nb_section scenes."""

    title: str
    scenes: list[Scene]
    keywords: list[str]
    video_description: str


class ScriptWriter(Protocol):
    provider: str
    model: str | None

    async def write_script(self, brief: Brief) -> Draft: ...

    async def write_description(self, brief: Brief) -> str: ...

    async def aclose(self) -> None: ...
