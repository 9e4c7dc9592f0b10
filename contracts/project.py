"""The project document as the app and the integration guide send it.

Known fields are typed and range-checked; unknown fields are kept, because the app sends back
whatever it received earlier. The guide's older names are accepted and mapped onto the new ones.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

Language = Literal["en", "fr", "es", "de", "it", "pt"]
LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "de", "it", "pt")
VoiceId = Literal["alloy", "echo", "fable", "onyx", "nova", "shimmer"]
VideoType = Literal["", "LIFE_LESSON", "STOICISM", "X_THINGS_TO_DO"]
ImageStyle = Literal[
    "realistic", "pixar", "anime", "flat_design", "watercolor", "oil_painting", "sketch"
]
Resolution = Literal["720p", "1080p", "1440p", "2160p"]
# "none" is the app's own sample data for no music: kept as sent, as JSON Server kept it.
Music = Literal["", "none", "soft", "upbeat", "cinematic", "corporate", "ambient"]
Status = Literal[
    "draft",
    "script_generated",
    "audio_generated",
    "audio_ready",
    "images_ready",
    "video_processing",
    "video_ready",
    "video_failed",
    "video_subtitled",
    "scheduled_for_publish",
    "uploaded_to_youtube",
]

MAX_SCRIPT_CHARS = 100_000
MAX_IMAGES = 200


def _numeric_string(value: Any) -> Any:
    """'30' -> 30: query strings and some clients send numbers as text."""
    if isinstance(value, str) and value.strip().lstrip("-").replace(".", "", 1).isdigit():
        number = float(value)
        return int(number) if number.is_integer() else number
    return value


def _blank_duration(value: Any) -> Any:
    # The app sends '' when the duration field is cleared.
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    return _numeric_string(value)


def _music(value: Any) -> Any:
    return "" if value is None else value


def _keywords(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else value


Fps = Annotated[Literal[24, 30, 60], BeforeValidator(_numeric_string)]
Duration = Annotated[float, Field(ge=0, le=24 * 3600), BeforeValidator(_blank_duration)]
Ratio = Annotated[float, Field(ge=0.7, le=1.3), BeforeValidator(_numeric_string)]


class ImageSlot(BaseModel):
    model_config = ConfigDict(extra="allow")

    prompt: str = Field(default="", max_length=4000)
    url: str | None = None


class ProjectFields(BaseModel):
    """Every field the app knows, with the defaults it POSTs for a new project."""

    model_config = ConfigDict(extra="allow")

    title: str = Field(default="", max_length=500)
    description: str = Field(default="", max_length=20_000)
    language: Language = "en"
    status: Status = "draft"
    script_text: str = Field(default="", max_length=MAX_SCRIPT_CHARS)
    voice_id: VoiceId = "alloy"
    type_video: VideoType = ""
    audio_speed: Ratio = 1.0
    audio_pitch: Ratio = 1.0
    audio_path: str | None = None
    subtitle_path: str | None = None
    image_style: ImageStyle = "realistic"
    images: list[ImageSlot] = Field(default_factory=list, max_length=MAX_IMAGES)
    resolution: Resolution = "1080p"
    fps: Fps = 30
    video_template_path: str = Field(default="", max_length=200)
    background_music: Annotated[Music, BeforeValidator(_music)] = ""
    video_url: str | None = None
    thumbnail_path: str | None = None
    keywords: Annotated[str, BeforeValidator(_keywords)] = Field(default="", max_length=2000)
    video_description: str = Field(default="", max_length=20_000)
    video_inspirations: list[Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=list, max_length=50
    )
    duration: Duration = 0
    nb_section: Annotated[int, Field(ge=1, le=50), BeforeValidator(_numeric_string)] = 1
    tags: list[str] = Field(default_factory=list, max_length=100)
    # With auth required, a private project's media URLs are shown signed and expiring; a public
    # project's are plain, so they can be embedded anywhere.
    visibility: Literal["private", "public"] = "private"

    @model_validator(mode="before")
    @classmethod
    def _older_names(cls, data: Any) -> Any:
        """Map the integration guide's older field names onto the app's."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for old in ("video_template_id", "template"):
            if data.get(old) and not data.get("video_template_path"):
                data["video_template_path"] = data[old]
        if data.get("thumbnail") and not data.get("thumbnail_path"):
            data["thumbnail_path"] = data["thumbnail"]
        return data


class Project(ProjectFields):
    """A stored project as the API returns it."""

    id: str
    createdAt: str
    updatedAt: str


SERVER_OWNED = ("id", "createdAt", "updatedAt", "created_at", "updated_at")


class ProjectPage(BaseModel):
    """`GET /api/v1/projects`: one page of the projects the caller may read."""

    projects: list[Project]
    page: int
    limit: int
    total: int
