"""The script service's HTTP API: what the gateway sends and what it gets back.

Requests accept what the app and the integration guide send (seed 004):
`type_video` or the older `use_case` / `style` (`script_style`), keywords as a comma-separated
string or a list, and `duration` in seconds where '' or 0 means "pick a length from nb_section".
Unknown fields are ignored so the gateway may forward a whole project.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from contracts.project import Language, VideoType

MAX_TITLE_CHARS = 500
MAX_DESCRIPTION_CHARS = 20_000
MAX_KEYWORDS = 20
MAX_KEYWORD_CHARS = 80
MAX_INSPIRATIONS = 20
MAX_SECTIONS = 50
MAX_DURATION_S = 3600
# Below this a scene cannot hold one spoken sentence (checked against nb_section).
MIN_SECONDS_PER_SECTION = 5

# The guide's older vocabulary (seed 004), still sent by older clients.
UseCase = Literal[
    "",
    "storytelling",
    "youtube_short",
    "explanation",
    "commercial",
    "inspirational",
    "educational",
    "tutorial",
]
ScriptStyle = Literal[
    "", "educational", "inspirational", "comedic", "dramatic", "casual", "professional"
]


def _language(value: Any) -> Any:
    """'FR', 'fr-FR' and 'pt_BR' name a supported language too."""
    if isinstance(value, str):
        return value.strip().lower().replace("_", "-").split("-")[0]
    return value


def _number(value: Any) -> Any:
    """'' or null -> 0 (the app clears fields that way); '30' -> 30."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return value
    return value


def _keyword_list(value: Any) -> Any:
    """'a, b,,a' or ['a', 'b'] -> ['a', 'b']: trimmed, blanks and repeats dropped."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        return value
    seen: dict[str, str] = {}
    for item in items:
        text = " ".join(str(item).split())
        if text and text.lower() not in seen:
            seen[text.lower()] = text
    return list(seen.values())


def _none_is_empty(value: Any) -> Any:
    return "" if value is None else value


ScriptLanguage = Annotated[Language, BeforeValidator(_language)]
Keywords = Annotated[
    list[Annotated[str, Field(max_length=MAX_KEYWORD_CHARS)]],
    BeforeValidator(_keyword_list),
    Field(max_length=MAX_KEYWORDS),
]
Seconds = Annotated[float, Field(ge=0, le=MAX_DURATION_S), BeforeValidator(_number)]
SectionCount = Annotated[int, Field(ge=1, le=MAX_SECTIONS), BeforeValidator(_number)]


class BriefRequest(BaseModel):
    """What both endpoints need to know about the video being planned."""

    model_config = ConfigDict(extra="ignore")

    title: Annotated[str, BeforeValidator(_none_is_empty)] = Field(
        default="", max_length=MAX_TITLE_CHARS
    )
    description: Annotated[str, BeforeValidator(_none_is_empty)] = Field(
        default="", max_length=MAX_DESCRIPTION_CHARS
    )
    language: ScriptLanguage = "en"
    type_video: Annotated[VideoType, BeforeValidator(_none_is_empty)] = ""
    use_case: Annotated[UseCase, BeforeValidator(_none_is_empty)] = ""
    style: Annotated[ScriptStyle, BeforeValidator(_none_is_empty)] = ""
    keywords: Keywords = Field(default_factory=list)
    video_inspirations: list[Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=list, max_length=MAX_INSPIRATIONS
    )
    duration: Seconds = 0

    @model_validator(mode="before")
    @classmethod
    def _older_names(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("script_style") and not data.get("style"):
            data = {**data, "style": data["script_style"]}
        return data

    @model_validator(mode="after")
    def _has_subject(self) -> BriefRequest:
        if not self.title.strip() and not self.description.strip():
            raise PydanticCustomError(
                "empty_subject", "title and description are both empty: give at least one"
            )
        return self


class ScriptRequest(BriefRequest):
    """`POST /generate`."""

    nb_section: SectionCount = 1

    @model_validator(mode="after")
    def _room_per_section(self) -> ScriptRequest:
        if self.duration and self.duration < self.nb_section * MIN_SECONDS_PER_SECTION:
            raise PydanticCustomError(
                "duration_too_short",
                "duration of {duration} s is too short for {nb_section} sections:"
                " allow at least {minimum} s per section",
                {
                    "duration": f"{self.duration:g}",
                    "nb_section": self.nb_section,
                    "minimum": MIN_SECONDS_PER_SECTION,
                },
            )
        return self


class ScriptSection(BaseModel):
    index: int = Field(description="0-based position of the scene")
    narration: str = Field(description="What the voice says during this scene")
    image_prompt: str = Field(description="A concrete English picture description for the scene")
    word_count: int
    duration_s: float = Field(description="Estimated speaking time of the narration")


class ScriptResponse(BaseModel):
    title: str
    script_text: str = Field(description="All narrations, one paragraph per section")
    sections: list[ScriptSection] = Field(description="Exactly nb_section scenes")
    keywords: str = Field(description="Comma-separated, like the project's field")
    video_description: str
    language: Language
    type_video: VideoType = Field(description="The type used, after mapping older use_case")
    word_count: int
    target_words: int
    duration_s: float = Field(description="Length aimed for: the request's, or the default")
    estimated_duration_s: float = Field(description="Speaking time of script_text")
    provider: str = Field(description="Who wrote it: 'template' or 'openai'")
    model: str | None = Field(default=None, description="The chat model, for 'openai'")


class DescriptionRequest(BriefRequest):
    """`POST /description/generate`."""


class DescriptionResponse(BaseModel):
    contextual_description: str
    language: Language
    provider: str
    model: str | None = None
