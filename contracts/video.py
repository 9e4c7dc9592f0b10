"""The video service's HTTP API: render a narrated, subtitled MP4 from still images.

Shared by the video service, which answers with these models, and by its callers (the gateway).
Every media reference is a storage key (`contracts.media_keys.validate_key`), never a file path.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Protocol, Self

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, model_validator

from contracts.audio import WordTiming
from contracts.media_keys import validate_field_key
from contracts.project import Fps, Resolution
from contracts.text import no_nul

# Stated limits; the service's settings may lower (never raise) them.
MAX_SCENES = 200
MAX_WORDS = 20_000
MAX_SECTION_CHARS = 20_000

Template = Literal[
    "basic_fade",
    "slide_left",
    "slide_right",
    "zoom_in",
    "zoom_out",
    "ken_burns",
    "dissolve",
    "wipe_left",
    "wipe_right",
    "wipe_up",
    "wipe_down",
    "fade_black",
]
Aspect = Literal["16:9", "9:16", "1:1", "4:5"]
Fit = Literal["cover", "contain"]
SubtitleStyle = Literal["classic", "tiktok_highlight", "boxed", "minimal"]
SubtitlePosition = Literal["top", "middle", "bottom"]
MusicMood = Literal["soft", "upbeat", "cinematic", "corporate", "ambient"]
Stage = Literal["queued", "fetching", "rendering", "muxing", "saving", "done", "failed"]

_RENDER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _render_id(value: str) -> str:
    if not _RENDER_ID.match(value):
        raise ValueError("use 1-64 letters, digits, '.', '_' or '-'")
    return value


RenderId = Annotated[str, AfterValidator(_render_id)]


def _no_music(value: object) -> object:
    # The app and the integration guide say "" or "none" for "no background music".
    return None if value in ("", "none") else value


class Scene(BaseModel):
    """One still image on screen. Its time on screen comes from, in order of precedence:
    `duration` on every scene (scaled so the scenes end with the narration), else the
    scenes' `text` matched against the word timings, else an equal share of the narration."""

    image_key: str = Field(min_length=1, max_length=512)
    duration: float | None = Field(default=None, gt=0, le=3600)
    text: str | None = Field(default=None, max_length=MAX_SECTION_CHARS)


class SubtitleOptions(BaseModel):
    """Burned-in subtitles. The words come from `words`/`words_key` here, else from the
    render request's own `words`/`words_key`; `file_key` burns an existing SRT or VTT instead."""

    style: SubtitleStyle = "tiktok_highlight"
    position: SubtitlePosition = "bottom"
    words: list[WordTiming] | None = Field(default=None, max_length=MAX_WORDS)
    words_key: str | None = Field(default=None, max_length=512)
    file_key: str | None = Field(default=None, max_length=512)

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        given = [x for x in (self.words, self.words_key, self.file_key) if x is not None]
        if len(given) > 1:
            raise ValueError("give at most one of words, words_key or file_key")
        return self


def _subtitle_keys(options: SubtitleOptions | None) -> list[tuple[str, str | None]]:
    if options is None:
        return []
    return [("subtitles.words_key", options.words_key), ("subtitles.file_key", options.file_key)]


class OutputOptions(BaseModel):
    # x264 constant-quality factor; lower is better and bigger. None: the service's default.
    crf: int | None = Field(default=None, ge=14, le=32)
    audio_bitrate_kbps: int = Field(default=160, ge=64, le=320)


class RenderRequest(BaseModel):
    render_id: RenderId | None = Field(
        default=None, description="Caller's id for GET /renders/{render_id}; made up if absent"
    )
    scenes: list[Scene] = Field(min_length=1, max_length=MAX_SCENES)
    narration_key: str = Field(min_length=1, max_length=512)
    words: list[WordTiming] | None = Field(default=None, max_length=MAX_WORDS)
    words_key: str | None = Field(default=None, max_length=512)
    resolution: Resolution = "1080p"
    aspect: Aspect = "16:9"
    fps: Fps = 30
    template: Template = "ken_burns"
    fit: Fit = "cover"
    transition_seconds: float | None = Field(
        default=None, ge=0, le=3, description="None: the template's own length"
    )
    music: Annotated[MusicMood | None, BeforeValidator(_no_music)] = None
    music_volume: float = Field(
        default=0.5, ge=0, le=1, description="Music level before ducking; 0.5 is the default mix"
    )
    subtitles: SubtitleOptions | None = None
    output: OutputOptions = Field(default_factory=OutputOptions)
    # Drawn in the top-right corner of every frame: the free tier's videos carry it.
    watermark: Annotated[str, Field(min_length=1, max_length=40), AfterValidator(no_nul)] | None = (
        None
    )

    @model_validator(mode="after")
    def _words_source(self) -> Self:
        if self.words is not None and self.words_key is not None:
            raise ValueError("give at most one of words or words_key")
        return self

    def media_keys(self) -> list[tuple[str, str | None]]:
        """Every storage key named, by the field the video service reports it under."""
        scenes = [(f"scenes[{i}].image_key", s.image_key) for i, s in enumerate(self.scenes)]
        return [
            *scenes,
            ("narration_key", self.narration_key),
            ("words_key", self.words_key),
            *_subtitle_keys(self.subtitles),
        ]


class SceneTiming(BaseModel):
    start: float
    end: float


class RenderResponse(BaseModel):
    render_id: str
    video_key: str  # videos/<uuid>/video.mp4 (or video.webm)
    thumbnail_key: str  # videos/<uuid>/thumb.jpg
    duration: float  # seconds, as a decoder of the MP4 reports it
    width: int
    height: int
    fps: int
    size_bytes: int
    render_seconds: float
    scenes: list[SceneTiming]
    # Segments encoded by this render, and those joined as a render before had stored them.
    segments_encoded: int = Field(ge=0)
    segments_reused: int = Field(ge=0)


class BurnSubtitlesRequest(BaseModel):
    """Burn subtitles into an existing video; `subtitles` must name words, words_key or file_key."""

    render_id: RenderId | None = None
    video_key: str = Field(min_length=1, max_length=512)
    subtitles: SubtitleOptions
    output: OutputOptions = Field(default_factory=OutputOptions)

    @model_validator(mode="after")
    def _has_source(self) -> Self:
        s = self.subtitles
        if s.words is None and s.words_key is None and s.file_key is None:
            raise ValueError("subtitles needs one of words, words_key or file_key")
        return self

    def media_keys(self) -> list[tuple[str, str | None]]:
        """Every storage key named, by the field the video service reports it under."""
        return [("video_key", self.video_key), *_subtitle_keys(self.subtitles)]


class NamesMediaKeys(Protocol):
    """A request that lists its storage keys (RenderRequest, BurnSubtitlesRequest, Timeline)."""

    def media_keys(self) -> list[tuple[str, str | None]]: ...


def check_media_keys(request: NamesMediaKeys) -> None:
    """Refuse, with the video service's own 400, a key that could leave the storage root:
    callers check this before they record any work."""
    for field, key in request.media_keys():
        if key is not None:
            validate_field_key(key, field)


class BurnSubtitlesResponse(BaseModel):
    render_id: str
    video_key: str
    thumbnail_key: str
    duration: float
    size_bytes: int
    render_seconds: float


class RenderProgress(BaseModel):
    render_id: str
    stage: Stage
    percent: float = Field(ge=0, le=100)
    reason: str | None = None  # why it failed, fit to show a person
    video_key: str | None = None  # set when done


class CatalogItem(BaseModel):
    id: str
    label: str
    description: str


class TemplatesResponse(BaseModel):
    templates: list[CatalogItem]


class SubtitleStylesResponse(BaseModel):
    styles: list[CatalogItem]


class SubtitlePositionsResponse(BaseModel):
    positions: list[CatalogItem]


class MusicResponse(BaseModel):
    moods: list[CatalogItem]
