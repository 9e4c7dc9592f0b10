"""A request reduced to what a writer needs: one normalised, hashable brief."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from contracts.project import Language, VideoType
from contracts.script import BriefRequest, ScriptRequest, ScriptStyle
from services.script.pacing import planned_seconds, words_for

# The guide's older use_case values that name one of the app's video types.
USE_CASE_TYPES: dict[str, VideoType] = {
    "inspirational": "LIFE_LESSON",
    "tutorial": "X_THINGS_TO_DO",
}
MAX_TOPIC_CHARS = 80
_SENTENCE_END = re.compile(r"[.!?\n]")


def topic_of(title: str, description: str) -> str:
    """The subject as a short phrase: the title, else the description's first sentence."""
    text = " ".join(title.split()) or " ".join(_SENTENCE_END.split(description.strip())[0].split())
    text = text.rstrip(" .!?:;,")
    if len(text) > MAX_TOPIC_CHARS:
        text = text[:MAX_TOPIC_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
    return text


@dataclass(frozen=True)
class Brief:
    title: str
    description: str
    topic: str
    language: Language
    type_video: VideoType
    style: ScriptStyle
    keywords: tuple[str, ...]
    inspirations: tuple[str, ...]
    duration_s: float  # as requested; 0 means none given
    nb_section: int
    seconds: float  # the length aimed for
    target_words: int

    def seed(self) -> int:
        """Same brief, same number: the template writer is deterministic across processes."""
        digest = hashlib.sha256(repr(self).encode()).digest()
        return int.from_bytes(digest[:8], "big")


def make_brief(request: BriefRequest) -> Brief:
    nb_section = request.nb_section if isinstance(request, ScriptRequest) else 1
    seconds = planned_seconds(request.duration, nb_section)
    return Brief(
        title=" ".join(request.title.split()),
        description=request.description.strip(),
        topic=topic_of(request.title, request.description),
        language=request.language,
        type_video=request.type_video or USE_CASE_TYPES.get(request.use_case, ""),
        style=request.style,
        keywords=tuple(request.keywords),
        inspirations=tuple(i.strip() for i in request.video_inspirations if i.strip()),
        duration_s=request.duration,
        nb_section=nb_section,
        seconds=seconds,
        target_words=words_for(request.language, seconds),
    )
