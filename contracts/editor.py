"""The scene editor's wire format (seed 002): scenes with typed layers, and render options.

A "video" of the editor is a project: its scenes are the script's sections, each holding the
layers stacked over the scene's picture in `order_index` order. Each of the five layer types
validates its own `properties` (a discriminated union on `type`); seed 000's frames with
candidate images and one chosen are a media layer with `candidates`. Layer times are seconds
from the start of their scene.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from contracts.project import Resolution
from contracts.text import Text
from contracts.video import Aspect, Fit

MAX_LAYERS_PER_SCENE = 50
MAX_SCENE_SECONDS = 3600.0
MAX_CANDIDATES = 20
# Two layer times closer than this are the same instant (clients send float seconds).
TIME_EPSILON = 0.001

LayerType = Literal["audio", "voiceover", "avatar", "text", "media"]
# The app's font menu; the renderer draws each with the DejaVu face of its kind.
SERIF_FONTS = ("Merriweather", "Playfair Display", "Georgia", "Times New Roman", "DejaVu Serif")
MONO_FONTS = ("Courier New", "DejaVu Sans Mono")
FontFamily = Literal[
    "Inter", "Roboto", "Open Sans", "Montserrat", "Lato", "Poppins", "Arial", "Helvetica",
    "DejaVu Sans", "Merriweather", "Playfair Display", "Georgia", "Times New Roman",
    "DejaVu Serif", "Courier New", "DejaVu Sans Mono",
]  # fmt: skip
FontWeight = Literal["normal", "bold"]
FontStyle = Literal["normal", "italic"]
TextAlign = Literal["left", "center", "right"]
# The entrances and avatar motions the video service draws.
TextAnimation = Literal["none", "fadeIn", "slideUp", "typewriter"]
AvatarAnimation = Literal["none", "talking"]
MediaType = Literal["image", "video", "gif"]
Gender = Literal["male", "female", "child", "neutral"]
Colour = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")]
Url = Annotated[Text, Field(min_length=1, max_length=2048)]
Ident = Annotated[Text, Field(min_length=1, max_length=128)]
Percent = Annotated[float, Field(ge=0, le=100)]
# 1: as large as fits in the frame.
Scale = Annotated[float, Field(gt=0, le=1)]
Unit = Annotated[float, Field(ge=0, le=1)]
Fade = Annotated[float, Field(ge=0, le=30)]
Ratio = Annotated[float, Field(ge=0.5, le=2)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Position(Strict):
    """Where the layer's centre sits, in percent of the frame's width and height."""

    x: Percent = 50
    y: Percent = 50


class AudioProperties(Strict):
    audio_id: Ident | None = None
    audio_url: Url
    volume: Unit = 1.0
    fade_in: Fade = 0.0
    fade_out: Fade = 0.0


class VoiceoverProperties(Strict):
    voice_id: Ident
    voice_name: Annotated[Text, Field(max_length=128)] | None = None
    language: Annotated[Text, Field(max_length=16)] | None = None
    gender: Gender | None = None
    style: Annotated[Text, Field(max_length=64)] | None = None
    text: Annotated[Text, Field(min_length=1, max_length=20_000)]
    speed: Ratio = 1.0
    pitch: Ratio = 1.0
    volume: Unit = 1.0
    audio_url: Url | None = None


class AvatarProperties(Strict):
    avatar_id: Ident
    avatar_url: Url | None = None
    position: Position = Field(default_factory=Position)
    scale: Scale = 1.0
    animation: AvatarAnimation = "none"


class TextProperties(Strict):
    text: Annotated[Text, Field(min_length=1, max_length=500)]
    font_family: FontFamily = "Inter"
    font_size: Annotated[int, Field(ge=8, le=300)] = 32
    font_weight: FontWeight = "normal"
    font_style: FontStyle = "normal"
    color: Colour = "#FFFFFF"
    text_align: TextAlign = "center"
    position: Position = Field(default_factory=Position)
    animation: TextAnimation = "none"


class Candidate(Strict):
    """One picture a frame could show (seed 000: a frame's candidate images)."""

    media_id: Ident | None = None
    media_url: Url
    prompt: Annotated[Text, Field(max_length=4000)] | None = None


class MediaProperties(Strict):
    media_id: Ident | None = None
    media_url: Url
    media_type: MediaType = "image"
    position: Position = Field(default_factory=Position)
    scale: Scale = 1.0
    opacity: Unit = 1.0
    candidates: list[Candidate] = Field(default_factory=list, max_length=MAX_CANDIDATES)

    @model_validator(mode="after")
    def _chosen_is_a_candidate(self) -> Self:
        if self.candidates and self.media_url not in {c.media_url for c in self.candidates}:
            raise ValueError("media_url must be one of the candidates' media_url (the chosen one)")
        return self


class LayerBase(Strict):
    name: Annotated[Text, Field(min_length=1, max_length=255)]
    enabled: bool = True
    start_time: Annotated[float, Field(ge=0, le=MAX_SCENE_SECONDS)] = 0.0
    # Omitted: the end of the scene (or start_time + duration, when that is given).
    end_time: Annotated[float, Field(gt=0, le=MAX_SCENE_SECONDS)] | None = None
    duration: Annotated[float, Field(gt=0, le=MAX_SCENE_SECONDS)] | None = None
    # Stacking order, lowest at the bottom; omitted: on top of the scene's other layers.
    order_index: Annotated[int, Field(ge=0, le=10_000)] | None = None

    @model_validator(mode="after")
    def _times_agree(self) -> Self:
        end, duration = self.end_time, self.duration
        if end is not None and end <= self.start_time:
            raise ValueError("end_time must be after start_time")
        if (
            end is not None
            and duration is not None
            and abs(end - self.start_time - duration) > TIME_EPSILON
        ):
            raise ValueError("duration must equal end_time - start_time")
        return self


class AudioLayerIn(LayerBase):
    type: Literal["audio"]
    properties: AudioProperties


class VoiceoverLayerIn(LayerBase):
    type: Literal["voiceover"]
    properties: VoiceoverProperties


class AvatarLayerIn(LayerBase):
    type: Literal["avatar"]
    properties: AvatarProperties


class TextLayerIn(LayerBase):
    type: Literal["text"]
    properties: TextProperties


class MediaLayerIn(LayerBase):
    type: Literal["media"]
    properties: MediaProperties


LayerIn = Annotated[
    AudioLayerIn | VoiceoverLayerIn | AvatarLayerIn | TextLayerIn | MediaLayerIn,
    Field(discriminator="type"),
]
LAYER_IN: TypeAdapter[Any] = TypeAdapter(LayerIn)


class LayerUpdate(Strict):
    """`PUT /layers/{id}`: the fields sent change; `properties` merge into the stored ones."""

    name: Annotated[Text, Field(min_length=1, max_length=255)] | None = None
    enabled: bool | None = None
    start_time: float | None = None
    end_time: float | None = None
    duration: float | None = None
    order_index: int | None = None
    properties: dict[str, Any] | None = None


class Visibility(Strict):
    enabled: bool


class LayerOrder(Strict):
    layer_id: Ident
    order_index: Annotated[int, Field(ge=0, le=10_000)]


class Reorder(Strict):
    scene_id: Ident
    layer_orders: list[LayerOrder] = Field(min_length=1, max_length=MAX_LAYERS_PER_SCENE)


class SceneUpdate(Strict):
    text: Annotated[Text, Field(max_length=20_000)] | None = None
    duration: Annotated[float, Field(gt=0, le=MAX_SCENE_SECONDS)] | None = None
    is_expanded: bool | None = None


class Layer(BaseModel):
    id: str
    scene_id: str
    type: LayerType
    name: str
    enabled: bool
    duration: float
    start_time: float
    end_time: float
    order_index: int
    properties: dict[str, Any]
    created_at: str
    updated_at: str


class Scene(BaseModel):
    id: str
    video_id: str
    scene_number: int
    text: str
    duration: float
    start_time: float
    end_time: float
    is_expanded: bool
    created_at: str
    updated_at: str
    layers: list[Layer]


class ScenesData(BaseModel):
    scenes: list[Scene]


class ScenesAnswer(BaseModel):
    success: bool = True
    data: ScenesData


class SceneData(BaseModel):
    scene: Scene


class SceneAnswer(BaseModel):
    success: bool = True
    message: str
    data: SceneData


class LayerData(BaseModel):
    layer: Layer


class LayerAnswer(BaseModel):
    success: bool = True
    message: str
    data: LayerData


class Done(BaseModel):
    success: bool = True
    message: str


class SceneEvent(BaseModel):
    """`scene:updated` on the project's room."""

    video_id: str
    scene: Scene


class LayerEvent(BaseModel):
    """`layer:updated` on the project's room: what happened, and the scene's layers after it."""

    video_id: str
    scene_id: str
    action: Literal["created", "updated", "deleted", "reordered"]
    layer_id: str | None
    layers: list[Layer]


# --- rendering the edited video --------------------------------------------------------------

VideoFormat = Literal["mp4", "webm"]


class RenderOptions(Strict):
    quality: Resolution = "1080p"
    aspect_ratio: Aspect = "16:9"
    format: VideoFormat = "mp4"
    # None: watermarked unless the plan removes it (the free tier cannot turn it off).
    include_watermark: bool | None = None
    fit: Fit = "cover"
    music_volume: Unit | None = None


class RenderData(BaseModel):
    job_id: str
    estimated_time: int | None
    queue_position: int | None


class RenderAnswer(BaseModel):
    success: bool = True
    data: RenderData


class Regenerate(Strict):
    scenes: list[Ident] = Field(default_factory=list, max_length=500)
    full_regeneration: bool = False


class RegenerateData(BaseModel):
    job_id: str
    estimated_time: int | None
    status: str


class RegenerateAnswer(BaseModel):
    success: bool = True
    message: str
    data: RegenerateData


RegenerationState = Literal["queued", "processing", "completed", "failed", "cancelled"]


class RegenerationStatus(BaseModel):
    job_id: str
    status: RegenerationState
    progress: int
    current_scene: int
    total_scenes: int
    estimated_time_remaining: int | None
    reason: str | None = None


class RegenerationStatusAnswer(BaseModel):
    success: bool = True
    data: RegenerationStatus
