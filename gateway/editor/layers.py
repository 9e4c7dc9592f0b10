"""A layer checked against its type's properties and its scene's time, as it is stored."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from contracts.editor import LAYER_IN, MAX_LAYERS_PER_SCENE, TIME_EPSILON, LayerUpdate
from contracts.errors import ApiError
from gateway.db import Doc
from runtime.errors import validation_message

LAYER_TYPES = ("audio", "voiceover", "avatar", "text", "media")


def _model(data: Doc) -> Any:
    try:
        return LAYER_IN.validate_python(data)
    except ValidationError as exc:
        errors = exc.errors()
        # The union's tag (`audio`, ...) leads each location: the field is what follows it.
        for error in errors:
            loc = tuple(error.get("loc", ()))
            if loc and loc[0] in LAYER_TYPES:
                error["loc"] = loc[1:]
        message, clean = validation_message(errors)
        raise ApiError(422, message, details={"errors": clean}) from None


def checked(data: Doc, scene_seconds: float, name_of_scene: str) -> Doc:
    """The stored fields of a layer (`type, name, enabled, start_time, end_time, order_index,
    properties`); 422 naming the field when a property or a time does not fit."""
    model = _model(data)
    start = model.start_time
    if model.end_time is not None:
        end = model.end_time
    elif model.duration is not None:
        end = start + model.duration
    else:
        end = scene_seconds
    if start >= scene_seconds or end > scene_seconds + TIME_EPSILON:
        raise ApiError(
            422,
            f"start_time/end_time: {start:g}-{end:g} s is outside {name_of_scene}, which lasts"
            f" {scene_seconds:g} s: a layer must lie within 0-{scene_seconds:g}",
            details={"field": "end_time" if start < scene_seconds else "start_time"},
        )
    properties = model.properties
    fades = getattr(properties, "fade_in", 0.0) + getattr(properties, "fade_out", 0.0)
    if fades > end - start + TIME_EPSILON:
        raise ApiError(
            422,
            f"properties.fade_in/fade_out: {fades:g} s of fades do not fit in the layer's"
            f" {end - start:g} s",
            details={"field": "properties.fade_in"},
        )
    return {
        "type": model.type,
        "name": model.name,
        "enabled": model.enabled,
        "start_time": round(start, 3),
        "end_time": round(end, 3),
        "order_index": model.order_index,
        "properties": properties.model_dump(mode="json"),
    }


def merged(layer: Doc, update: LayerUpdate) -> Doc:
    """The full layer an update asks for: the fields sent replace the stored ones, properties
    merge; times follow what was sent (a new start keeps the layer's length unless an end or a
    duration was sent too)."""
    sent = update.model_dump(exclude_unset=True)
    data: Doc = {k: layer[k] for k in ("type", "name", "enabled", "order_index")}
    data["properties"] = {**layer["properties"], **(sent.pop("properties", None) or {})}
    start = sent.get("start_time", layer["start_time"])
    if "end_time" in sent or "duration" in sent:
        data["end_time"] = sent.get("end_time")
        data["duration"] = sent.get("duration")
    else:
        data["end_time"] = start + layer["end_time"] - layer["start_time"]
    data["start_time"] = start
    data.update({k: v for k, v in sent.items() if k in ("name", "enabled", "order_index")})
    return data


def room_for_one_more(layers: list[Doc]) -> None:
    if len(layers) >= MAX_LAYERS_PER_SCENE:
        raise ApiError(422, f"A scene holds at most {MAX_LAYERS_PER_SCENE} layers")
