"""The editor's scenes as stored in a project's `_scenes`, and how they are shown.

A stored scene is `{id, text, duration, is_expanded, created_at, updated_at, layers}`, its
`duration` None until someone sets it; a stored layer has the seed's fields with its times
resolved (`start_time`, `end_time`; `duration` is derived). Scene and layer ids start with
their project's id (`<project>.<random>`), so a route naming only a scene or a layer finds its
project by `_id`, the one lookup every MongoDB (and the embedded server) answers by index.
"""

from __future__ import annotations

import secrets
from typing import Any

from contracts.errors import ApiError
from gateway.clock import now_iso
from gateway.db import Doc

SEPARATOR = "."
# A scene nobody timed, in a project that has no length yet, lasts this long in the editor.
DEFAULT_SCENE_SECONDS = 5.0
Scenes = list[Doc]


def new_id(project_id: str) -> str:
    return f"{project_id}{SEPARATOR}{secrets.token_hex(6)}"


def project_of(item_id: str) -> str | None:
    """The project a scene or layer id belongs to (None: not an id this server made)."""
    project_id, sep, token = item_id.rpartition(SEPARATOR)
    return project_id if sep and project_id and token else None


def _scene(project_id: str, text: str, stamp: str) -> Doc:
    return {
        "id": new_id(project_id),
        "text": text,
        "duration": None,
        "is_expanded": False,
        "created_at": stamp,
        "updated_at": stamp,
        "layers": [],
    }


def _narrations(doc: Doc) -> list[str]:
    sections = doc.get("script_sections") or []
    if sections:
        return [str(s.get("narration") or "") if isinstance(s, dict) else "" for s in sections]
    return ["" for _ in doc.get("images") or []]


def initial(doc: Doc) -> Scenes:
    """Scenes for a project stored before the editor existed: one per script section (or per
    image, for a project without sections)."""
    stamp = now_iso()
    return [_scene(doc["_id"], text, stamp) for text in _narrations(doc)]


def after_script(doc: Doc, narrations: list[str]) -> Scenes:
    """A new script's scenes: the scene at each position keeps its id, layers and settings
    (so the editor's work and its ids survive a rewrite) and takes the new narration."""
    stamp = now_iso()
    old: Scenes = doc.get("_scenes") or []
    scenes = []
    for index, text in enumerate(narrations):
        if index < len(old):
            scenes.append({**old[index], "text": text, "updated_at": stamp})
        else:
            scenes.append(_scene(doc["_id"], text, stamp))
    return scenes


def stored(doc: Doc) -> Scenes:
    scenes: Scenes | None = doc.get("_scenes")
    return initial(doc) if scenes is None else scenes


def durations(doc: Doc, scenes: Scenes) -> list[float]:
    """Each scene's length: its own, else its share of the project's length, else a default."""
    untimed = [s for s in scenes if not s.get("duration")]
    left = float(doc.get("duration") or 0) - sum(float(s["duration"] or 0) for s in scenes)
    share = left / len(untimed) if untimed and left > 0 else DEFAULT_SCENE_SECONDS
    return [float(s["duration"]) if s.get("duration") else round(share, 3) for s in scenes]


def find(scenes: Scenes, scene_id: str) -> int:
    for index, scene in enumerate(scenes):
        if scene["id"] == scene_id:
            return index
    raise ApiError(404, f"Scene not found: {scene_id}")


def find_layer(scenes: Scenes, layer_id: str) -> tuple[int, int]:
    for index, scene in enumerate(scenes):
        for position, layer in enumerate(scene["layers"]):
            if layer["id"] == layer_id:
                return index, position
    raise ApiError(404, f"Layer not found: {layer_id}")


def shown_layer(layer: Doc, scene_id: str) -> Doc:
    start, end = float(layer["start_time"]), float(layer["end_time"])
    return {
        "id": layer["id"],
        "scene_id": scene_id,
        "type": layer["type"],
        "name": layer["name"],
        "enabled": layer["enabled"],
        "duration": round(end - start, 3),
        "start_time": start,
        "end_time": end,
        "order_index": layer["order_index"],
        "properties": layer["properties"],
        "created_at": layer["created_at"],
        "updated_at": layer["updated_at"],
    }


def shown_layers(scene: Doc) -> list[Doc]:
    ordered = sorted(scene["layers"], key=lambda layer: layer["order_index"])
    return [shown_layer(layer, scene["id"]) for layer in ordered]


def shown(doc: Doc, scenes: Scenes) -> list[Doc]:
    """The seed's scenes: numbered, placed one after another, their layers in stacking order."""
    out: list[Doc] = []
    start = 0.0
    for number, (scene, seconds) in enumerate(zip(scenes, durations(doc, scenes), strict=True)):
        out.append(
            {
                "id": scene["id"],
                "video_id": doc["_id"],
                "scene_number": number + 1,
                "text": scene["text"],
                "duration": seconds,
                "start_time": round(start, 3),
                "end_time": round(start + seconds, 3),
                "is_expanded": scene["is_expanded"],
                "created_at": scene["created_at"],
                "updated_at": scene["updated_at"],
                "layers": shown_layers(scene),
            }
        )
        start += seconds
    return out


def replaced(scenes: Scenes, index: int, scene: Doc) -> Scenes:
    return [*scenes[:index], scene, *scenes[index + 1 :]]


def with_layers(scene: Doc, layers: list[Any]) -> Doc:
    return {**scene, "layers": layers, "updated_at": now_iso()}
