"""What a render or a subtitle burn needs from a project, and what it leaves on the project.

Built (and so checked) by the gateway before anything is recorded, and again by the worker from
the stored project when the job runs.
"""

from __future__ import annotations

from typing import Any

from contracts.errors import ApiError
from contracts.video import (
    BurnSubtitlesRequest,
    BurnSubtitlesResponse,
    RenderRequest,
    RenderResponse,
    check_media_keys,
)
from gateway.generation.requests import contract_request
from gateway.projects.access import ProjectRef
from gateway.state import GatewayState

DEFAULT_TEMPLATE = "ken_burns"


def _template(ref: ProjectRef, body: dict[str, Any]) -> str:
    for name in ("video_template_path", "template", "video_template_id"):
        if value := body.get(name):
            return str(value)
    return str(ref.field("video_template_path") or DEFAULT_TEMPLATE)


def render_request(
    state: GatewayState, ref: ProjectRef, body: dict[str, Any], render_id: str
) -> RenderRequest:
    """Everything the render needs, taken from the stored project and checked before any work."""
    images = ref.field("images", []) or []
    if not images:
        raise ApiError(422, "The project has no images: generate the scene images first")
    keys = []
    for number, image in enumerate(images, start=1):
        key = state.media_key(image.get("url") if isinstance(image, dict) else None)
        if key is None:
            raise ApiError(422, f"Scene {number} has no image yet: generate the images first")
        keys.append(key)
    narration = ref.field("audio_key") or state.media_key(ref.field("audio_path"))
    if not narration:
        raise ApiError(422, "The project has no narration: generate the audio first")
    sections = ref.field("script_sections") or []
    texts = [s.get("narration") for s in sections] if len(sections) == len(keys) else []
    scenes = [
        {"image_key": key, **({"text": texts[i]} if texts and texts[i] else {})}
        for i, key in enumerate(keys)
    ]
    subtitles = body.get("subtitles")
    request = contract_request(
        RenderRequest,
        {
            "render_id": render_id,
            "scenes": scenes,
            "narration_key": narration,
            "words_key": ref.field("audio_words_key"),
            "resolution": body.get("resolution") or ref.field("resolution") or "1080p",
            "fps": body.get("fps") or ref.field("fps") or 30,
            "aspect": body.get("aspect") or ref.field("aspect") or "16:9",
            "template": _template(ref, body),
            "music": body.get("background_music", ref.field("background_music")),
            **({"subtitles": subtitles} if isinstance(subtitles, dict) else {}),
        },
    )
    check_media_keys(request)
    return request


def rendered(state: GatewayState, result: RenderResponse) -> dict[str, Any]:
    return {
        "video_url": state.media_url(result.video_key),
        "video_key": result.video_key,
        "source_video_key": result.video_key,
        "thumbnail_path": state.media_url(result.thumbnail_key),
        "duration": round(result.duration, 3),
        "status": "video_ready",
        "video_render_seconds": result.render_seconds,
    }


def subtitled(
    state: GatewayState, result: BurnSubtitlesResponse, request: BurnSubtitlesRequest
) -> dict[str, Any]:
    return {
        "video_url": state.media_url(result.video_key),
        "video_key": result.video_key,
        "thumbnail_path": state.media_url(result.thumbnail_key),
        "duration": round(result.duration, 3),
        "status": "video_subtitled",
        "subtitle_style": request.subtitles.style,
        "subtitle_position": request.subtitles.position,
    }


def burn_request(ref: ProjectRef, body: dict[str, Any], render_id: str) -> BurnSubtitlesRequest:
    # Always burn onto the render without subtitles, so burning twice never stacks captions.
    source = ref.field("source_video_key") or ref.field("video_key")
    if not source:
        raise ApiError(422, "The project has no video yet: render the video first")
    words = ref.field("audio_words_key")
    if not words:
        raise ApiError(422, "The project has no word timings: generate the audio first")
    subtitles = {
        "style": body.get("style_name") or body.get("style") or "tiktok_highlight",
        "position": body.get("position_name") or body.get("position") or "bottom",
        "words_key": words,
    }
    request = contract_request(
        BurnSubtitlesRequest,
        {"render_id": render_id, "video_key": source, "subtitles": subtitles},
    )
    check_media_keys(request)
    return request
