"""What the service offers, with the labels and descriptions the catalog endpoints serve.

A template is a motion for every scene plus a transition between scenes; `typing.get_args` of
the contract's Literals keeps this file and the request validation in step (a test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from contracts.video import CatalogItem

Motion = Literal["still", "zoom_in", "zoom_out", "pan_left", "pan_right", "ken_burns"]


@dataclass(frozen=True)
class TemplateSpec:
    label: str
    description: str
    motion: Motion
    transition: str  # an FFmpeg xfade transition name
    transition_seconds: float


TEMPLATES: dict[str, TemplateSpec] = {
    "basic_fade": TemplateSpec(
        "Basic fade", "Still images joined by a soft cross-fade.", "still", "fade", 0.8
    ),
    "slide_left": TemplateSpec(
        "Slide left",
        "Each image drifts left; the next one slides in from the right.",
        "pan_left",
        "slideleft",
        0.6,
    ),
    "slide_right": TemplateSpec(
        "Slide right",
        "Each image drifts right; the next one slides in from the left.",
        "pan_right",
        "slideright",
        0.6,
    ),
    "zoom_in": TemplateSpec(
        "Zoom in", "A slow push into every image, cross-faded.", "zoom_in", "fade", 0.8
    ),
    "zoom_out": TemplateSpec(
        "Zoom out", "A slow pull back from every image, cross-faded.", "zoom_out", "fade", 0.8
    ),
    "ken_burns": TemplateSpec(
        "Ken Burns",
        "Zoom and pan in a different direction on every image, cross-faded.",
        "ken_burns",
        "fade",
        0.8,
    ),
    "dissolve": TemplateSpec(
        "Dissolve", "A slow push in; images dissolve into each other.", "zoom_in", "dissolve", 1.0
    ),
    "wipe_left": TemplateSpec(
        "Wipe left",
        "A slow push in; the next image wipes in leftwards.",
        "zoom_in",
        "wipeleft",
        0.6,
    ),
    "wipe_right": TemplateSpec(
        "Wipe right",
        "A slow push in; the next image wipes in rightwards.",
        "zoom_in",
        "wiperight",
        0.6,
    ),
    "wipe_up": TemplateSpec(
        "Wipe up", "A slow push in; the next image wipes in upwards.", "zoom_in", "wipeup", 0.6
    ),
    "wipe_down": TemplateSpec(
        "Wipe down",
        "A slow push in; the next image wipes in downwards.",
        "zoom_in",
        "wipedown",
        0.6,
    ),
    "fade_black": TemplateSpec(
        "Fade through black",
        "A slow push in; each image fades to black before the next.",
        "zoom_in",
        "fadeblack",
        1.0,
    ),
}

SUBTITLE_STYLES: dict[str, tuple[str, str]] = {
    "tiktok_highlight": (
        "Word highlight",
        "Bold captions; the word being spoken lights up in yellow, word by word.",
    ),
    "classic": ("Classic", "White text with a black outline, like film subtitles."),
    "boxed": ("Boxed", "White text on a translucent dark box, readable on any image."),
    "minimal": ("Minimal", "Smaller light text with a soft shadow."),
}

SUBTITLE_POSITIONS: dict[str, tuple[str, str]] = {
    "bottom": ("Bottom", "Centred near the bottom edge."),
    "middle": ("Middle", "Centred on the image."),
    "top": ("Top", "Centred near the top edge."),
}

MUSIC_MOODS: dict[str, tuple[str, str]] = {
    "soft": ("Soft", "Gentle piano-like chords, slow."),
    "upbeat": ("Upbeat", "Bright major arpeggios with a light beat."),
    "cinematic": ("Cinematic", "Wide minor pads with a slow pulse."),
    "corporate": ("Corporate", "Clean, steady major progression with a soft beat."),
    "ambient": ("Ambient", "Slowly evolving pads without a beat."),
}


def template_items() -> list[CatalogItem]:
    return [
        CatalogItem(id=k, label=t.label, description=t.description) for k, t in TEMPLATES.items()
    ]


def items(table: dict[str, tuple[str, str]]) -> list[CatalogItem]:
    return [CatalogItem(id=k, label=label, description=d) for k, (label, d) in table.items()]
