"""The timeline: the one thing the video service renders (`POST /timeline-render`).

Scenes follow each other on one track; each has a background (an image or a video clip), its
overlays (text, images such as a logo, an avatar) and its sound layers. Within a scene, later
overlays are drawn on top of earlier ones. Every time inside a scene (`start`, `end`) counts
from the scene's start. The gateway drops hidden layers before it sends a timeline, and decides
whether the watermark is drawn. A `RenderRequest` (POST /render) is converted into a timeline.

Every media reference is a storage key (`contracts.media_keys.validate_key`), never a file path.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, model_validator

from contracts.audio import WordTiming
from contracts.project import Fps, Resolution
from contracts.video import (
    MAX_SCENES,
    MAX_WORDS,
    Aspect,
    Fit,
    MusicMood,
    RenderId,
    SubtitleOptions,
    Template,
)

MAX_OVERLAYS = 20
MAX_AUDIO_LAYERS = 8
MAX_POSES = 8
MAX_TEXT_CHARS = 500
MAX_WATERMARK_CHARS = 60

# The families libass finds on the video service's hosts (its fonts folder holds DejaVu).
FontFamily = Literal["DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono"]
FontWeight = Literal["normal", "bold"]
FontStyle = Literal["normal", "italic"]
TextAlign = Literal["left", "center", "right"]
TextAnimation = Literal["none", "fadeIn", "slideUp", "typewriter"]
AvatarAnimation = Literal["none", "talking"]
BackgroundType = Literal["image", "video"]
AudioLayerType = Literal["music", "sound"]
VideoFormat = Literal["mp4", "webm"]

_SCENE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def _scene_id(value: str) -> str:
    if not _SCENE_ID.match(value):
        raise ValueError("use 1-64 letters, digits, '.', '_' or '-'")
    return value


def _colour(value: str) -> str:
    if not _COLOUR.match(value):
        raise ValueError(f"{value[:20]!r} is not a colour: use #RRGGBB, such as #FFFFFF")
    return value.upper()


SceneId = Annotated[str, AfterValidator(_scene_id)]
Colour = Annotated[str, AfterValidator(_colour)]
Key = Annotated[str, Field(min_length=1, max_length=512)]
Percent = Annotated[float, Field(ge=0, le=100)]


class _Strict(BaseModel):
    """Refuses a property it does not know, naming it and the properties it takes."""

    @model_validator(mode="before")
    @classmethod
    def _known_properties(cls, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = [k for k in data if k not in cls.model_fields]
            if unknown:
                valid = ", ".join(cls.model_fields)
                raise ValueError(f"unknown property {str(unknown[0])[:40]!r}; valid: {valid}")
        return data


class Position(_Strict):
    """Where the layer's centre is, in percent of the frame: 0,0 top left, 100,100 bottom right."""

    x: Percent = 50
    y: Percent = 50


class _Timed(_Strict):
    """On screen (or heard) from `start` to `end` seconds of its scene; `end` None: to the
    scene's end."""

    start: float = Field(default=0, ge=0, le=3600)
    end: float | None = Field(default=None, gt=0, le=3600)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class TextOverlay(_Timed):
    type: Literal["text"]
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    font_family: FontFamily = "DejaVu Sans"
    # Pixels at 1080p (the frame's short side); scaled with the resolution.
    font_size: int = Field(default=48, ge=8, le=300)
    font_weight: FontWeight = "normal"
    font_style: FontStyle = "normal"
    color: Colour = "#FFFFFF"
    text_align: TextAlign = "center"
    position: Position = Field(default_factory=Position)
    animation: TextAnimation = "none"
    # How long the entrance animation takes (the typewriter types the whole text in it).
    animation_seconds: float = Field(default=0.6, gt=0, le=10)


class ImageOverlay(_Timed):
    """A still picture (a logo, a product shot), kept in its own proportions."""

    type: Literal["image"]
    key: Key
    position: Position = Field(default_factory=Position)
    # 1: as large as fits in the frame; 0.2: a fifth of that.
    scale: float = Field(default=1.0, gt=0, le=1)
    opacity: float = Field(default=1.0, ge=0, le=1)


class AvatarOverlay(_Timed):
    """A presenter drawn from pose pictures: `pose_keys[0]` with the mouth closed, the others
    open; `talking` opens the mouth while a word of the narration is spoken."""

    type: Literal["avatar"]
    pose_keys: list[Key] = Field(min_length=1, max_length=MAX_POSES)
    position: Position = Field(default_factory=Position)
    scale: float = Field(default=0.5, gt=0, le=1)
    animation: AvatarAnimation = "talking"


Overlay = Annotated[TextOverlay | ImageOverlay | AvatarOverlay, Field(discriminator="type")]


class AudioLayer(_Timed):
    """A music bed or a sound effect under the scene, ducked under speech when `duck`."""

    type: AudioLayerType
    key: Key
    volume: float = Field(default=0.5, ge=0, le=1)
    fade_in: float = Field(default=0, ge=0, le=30)
    fade_out: float = Field(default=0, ge=0, le=30)
    duck: bool = True


class Background(_Strict):
    """The scene's picture: an image (moved by the template) or a video clip, trimmed to the
    scene from `clip_start` and looped when shorter."""

    type: BackgroundType = "image"
    key: Key
    fit: Fit = "cover"
    clip_start: float = Field(default=0, ge=0, le=36_000)


class TimelineScene(_Strict):
    """One scene. Its length: `duration` when given, else its voiceover's length, else its
    share of the timeline's narration (from `text` against the word timings, else equal)."""

    id: SceneId
    background: Background
    duration: float | None = Field(default=None, gt=0, le=3600)
    text: str | None = Field(default=None, max_length=20_000)
    voiceover_key: Key | None = None
    overlays: list[Overlay] = Field(default_factory=list, max_length=MAX_OVERLAYS)
    audio: list[AudioLayer] = Field(default_factory=list, max_length=MAX_AUDIO_LAYERS)

    @model_validator(mode="after")
    def _layers_within(self) -> Self:
        if self.duration is None:
            return self
        for kind, layers in (("overlays", self.overlays), ("audio", self.audio)):
            for i, layer in enumerate(layers):
                last = layer.end if layer.end is not None else layer.start
                if last > self.duration or layer.start >= self.duration:
                    raise ValueError(
                        f"{kind}[{i}] ({layer.start}-{last} s) is outside the scene's "
                        f"{self.duration} s: start and end must be within 0-{self.duration}"
                    )
        return self


class Music(_Strict):
    """Music under the whole timeline: a generated loop (`mood`) or a stored track (`key`)."""

    mood: MusicMood | None = None
    key: Key | None = None
    volume: float = Field(default=0.5, ge=0, le=1)

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.mood is None) == (self.key is None):
            raise ValueError("give exactly one of mood or key")
        return self


def _no_watermark(value: object) -> object:
    return None if value in ("", "none") else value


class TimelineOutput(_Strict):
    resolution: Resolution = "1080p"
    aspect: Aspect = "16:9"
    fps: Fps = 30
    format: VideoFormat = "mp4"
    # Constant-quality factor (x264 or VP9's scale); lower is better and bigger.
    crf: int | None = Field(default=None, ge=14, le=40)
    audio_bitrate_kbps: int = Field(default=160, ge=64, le=320)
    # Drawn in a corner of every frame; the gateway sets it for the free tier.
    watermark: Annotated[str | None, BeforeValidator(_no_watermark)] = Field(
        default=None, max_length=MAX_WATERMARK_CHARS
    )
    subtitles: SubtitleOptions | None = None


class Timeline(_Strict):
    render_id: RenderId | None = Field(
        default=None, description="Caller's id for GET /renders/{render_id}; made up if absent"
    )
    scenes: list[TimelineScene] = Field(min_length=1, max_length=MAX_SCENES)
    # One narration for the whole timeline, or a voiceover per scene (or neither: durations).
    narration_key: Key | None = None
    words: list[WordTiming] | None = Field(default=None, max_length=MAX_WORDS)
    words_key: Key | None = None
    template: Template = "ken_burns"
    transition_seconds: float | None = Field(
        default=None, ge=0, le=3, description="None: the template's own length"
    )
    music: Music | None = None
    output: TimelineOutput = Field(default_factory=TimelineOutput)

    @model_validator(mode="after")
    def _timing(self) -> Self:
        if self.words is not None and self.words_key is not None:
            raise ValueError("give at most one of words or words_key")
        ids = [s.id for s in self.scenes]
        if len(set(ids)) != len(ids):
            twice = next(i for i in ids if ids.count(i) > 1)
            raise ValueError(f"scenes: id {twice!r} is used twice; scene ids must be unique")
        voiced = [s.voiceover_key is not None for s in self.scenes]
        if self.narration_key is not None and any(voiced):
            raise ValueError("give narration_key or a voiceover_key per scene, not both")
        if self.narration_key is None:
            for i, scene in enumerate(self.scenes):
                if scene.duration is None and scene.voiceover_key is None:
                    raise ValueError(
                        f"scenes[{i}]: without narration_key, every scene needs a duration "
                        "or a voiceover_key"
                    )
        return self

    def media_keys(self) -> list[tuple[str, str | None]]:
        """Every storage key named, by the field the video service reports it under."""
        keys: list[tuple[str, str | None]] = []
        for i, scene in enumerate(self.scenes):
            at = f"scenes[{i}]"
            keys.append((f"{at}.background.key", scene.background.key))
            keys.append((f"{at}.voiceover_key", scene.voiceover_key))
            for j, overlay in enumerate(scene.overlays):
                if isinstance(overlay, ImageOverlay):
                    keys.append((f"{at}.overlays[{j}].key", overlay.key))
                elif isinstance(overlay, AvatarOverlay):
                    keys += [
                        (f"{at}.overlays[{j}].pose_keys[{k}]", pose)
                        for k, pose in enumerate(overlay.pose_keys)
                    ]
            keys += [(f"{at}.audio[{j}].key", layer.key) for j, layer in enumerate(scene.audio)]
        subtitles = self.output.subtitles
        return [
            *keys,
            ("narration_key", self.narration_key),
            ("words_key", self.words_key),
            ("music.key", self.music.key if self.music else None),
            ("output.subtitles.words_key", subtitles.words_key if subtitles else None),
            ("output.subtitles.file_key", subtitles.file_key if subtitles else None),
        ]
