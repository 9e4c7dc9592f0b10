"""The timeline the video service renders for an edited video: the project's scenes in order,
each over its picture, with its enabled layers stacked in `order_index` order (hidden layers
are dropped), the project's narration, and the output the render request asked for.

Layers name media by URL; only this server's media can be rendered, so a layer pointing
elsewhere is refused (422, naming the scene and the layer) before anything is queued.
"""

from __future__ import annotations

from typing import Any

from contracts.editor import MONO_FONTS, SERIF_FONTS, RenderOptions
from contracts.errors import ApiError
from contracts.timeline import Timeline
from contracts.video import check_media_keys
from gateway.db import Doc
from gateway.editor import scenes as sc
from gateway.generation.requests import contract_request
from gateway.state import GatewayState

DEFAULT_TEMPLATE = "ken_burns"


def _font(family: str) -> str:
    if family in SERIF_FONTS:
        return "DejaVu Serif"
    if family in MONO_FONTS:
        return "DejaVu Sans Mono"
    return "DejaVu Sans"


class _Scene:
    """One scene's part of the timeline, built layer by layer."""

    def __init__(self, state: GatewayState, number: int, scene: Doc) -> None:
        self.state = state
        self.number = number
        self.scene = scene
        self.overlays: list[Doc] = []
        self.audio: list[Doc] = []
        self.video: str | None = None

    def key(self, layer: Doc, field: str) -> str:
        url = layer["properties"].get(field)
        key = self.state.media_key(url) if isinstance(url, str) else None
        if key is None:
            raise ApiError(
                422,
                f"Scene {self.number}, layer {layer['name']!r}: properties.{field} must be a media"
                " URL of this server (upload the file first) to be rendered",
                details={"field": f"properties.{field}", "layer_id": layer["id"]},
            )
        return key

    def add(self, layer: Doc) -> None:
        p: Doc = layer["properties"]
        times = {"start": layer["start_time"], "end": layer["end_time"]}
        kind = layer["type"]
        if kind == "text":
            self.overlays.append(
                {
                    "type": "text",
                    **times,
                    **{k: p[k] for k in ("text", "font_size", "font_style", "color")},
                    **{k: p[k] for k in ("text_align", "position", "animation", "font_weight")},
                    "font_family": _font(p["font_family"]),
                }
            )
        elif kind == "media" and p["media_type"] == "video":
            # A clip plays as the scene's picture; the topmost one wins.
            self.video = self.key(layer, "media_url")
        elif kind == "media":
            self.overlays.append(
                {
                    "type": "image",
                    **times,
                    "key": self.key(layer, "media_url"),
                    **{k: p[k] for k in ("position", "scale", "opacity")},
                }
            )
        elif kind == "avatar":
            self.overlays.append(
                {
                    "type": "avatar",
                    **times,
                    "pose_keys": [self.key(layer, "avatar_url")],
                    **{k: p[k] for k in ("position", "scale", "animation")},
                }
            )
        elif kind == "audio":
            self.audio.append(
                {
                    "type": "music",
                    **times,
                    "key": self.key(layer, "audio_url"),
                    **{k: p[k] for k in ("volume", "fade_in", "fade_out")},
                }
            )
        elif kind == "voiceover" and p.get("audio_url"):
            # A recorded voiceover is heard over the narration, which does not duck under it.
            self.audio.append(
                {
                    "type": "sound",
                    **times,
                    "key": self.key(layer, "audio_url"),
                    "volume": p["volume"],
                    "duck": False,
                }
            )
        # A voiceover without a recording is the scene's text, which the narration speaks.


def _picture(state: GatewayState, doc: Doc, index: int) -> str:
    images = doc.get("images") or []
    slot = images[index] if index < len(images) else None
    key = state.media_key(slot.get("url") if isinstance(slot, dict) else None)
    if key is None:
        raise ApiError(422, f"Scene {index + 1} has no image yet: generate the images first")
    return key


def build(
    state: GatewayState,
    doc: Doc,
    options: RenderOptions,
    watermark: bool,
    render_id: str,
) -> Timeline:
    """The timeline of a stored project (internal fields included), checked as the video
    service will check it."""
    scenes = sc.stored(doc)
    if not scenes:
        raise ApiError(422, "The video has no scenes: generate the script first")
    narration = doc.get("audio_key") or state.media_key(doc.get("audio_path"))
    timed = all(scene.get("duration") for scene in scenes)
    # Without narration every scene needs a length: the editor's own (or its share).
    lengths = sc.durations(doc, scenes) if timed or not narration else [None] * len(scenes)
    built: list[Doc] = []
    for index, scene in enumerate(scenes):
        part = _Scene(state, index + 1, scene)
        for layer in sorted(scene["layers"], key=lambda layer: layer["order_index"]):
            if layer["enabled"]:
                part.add(layer)
        background: Doc = (
            {"type": "video", "key": part.video, "fit": options.fit}
            if part.video
            else {"type": "image", "key": _picture(state, doc, index), "fit": options.fit}
        )
        built.append(
            {
                "id": f"scene-{index + 1}",
                "background": background,
                **({"duration": lengths[index]} if lengths[index] else {}),
                **({"text": scene["text"]} if scene.get("text") else {}),
                "overlays": part.overlays,
                "audio": part.audio,
            }
        )
    music = doc.get("background_music")
    volume = options.music_volume if options.music_volume is not None else doc.get("music_volume")
    fields: dict[str, Any] = {
        "render_id": render_id,
        "scenes": built,
        "narration_key": narration or None,
        "words_key": doc.get("audio_words_key") if narration else None,
        "template": doc.get("video_template_path") or DEFAULT_TEMPLATE,
        "output": {
            "resolution": options.quality,
            "aspect": options.aspect_ratio,
            "fps": doc.get("fps") or 30,
            "format": options.format,
            "watermark": state.settings.watermark_text if watermark else None,
        },
    }
    if music and music != "none":
        fields["music"] = {"mood": music, **({"volume": volume} if volume is not None else {})}
    timeline = contract_request(Timeline, fields)
    check_media_keys(timeline)
    return timeline
