"""The editor's Socket.IO events: `scene:update`, `layer:update` and `layers:reorder` do what
the HTTP routes do (write access to the project), then every other client in the project's room
receives `scene:updated` or `layer:updated`; the acknowledgement carries the result."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pymongo.errors import ConnectionFailure

from contracts.editor import LayerUpdate, Reorder, SceneUpdate
from contracts.errors import ApiError
from gateway.db import Doc
from gateway.editor.scenes import project_of
from gateway.editor.service import Editor
from gateway.generation.requests import contract_request
from gateway.jobs.events import project_room

if TYPE_CHECKING:
    from gateway.live import Ack, LiveServer

DB_DOWN = "The database is unavailable; try again"


def _id_of(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    return project_of(value) if isinstance(value, str) else None


def _video(data: dict[str, Any]) -> str | None:
    value = data.get("video_id", data.get("project_id"))
    return value if isinstance(value, str) else None


def _changes(data: dict[str, Any]) -> dict[str, Any]:
    changes = data.get("changes")
    if not isinstance(changes, dict):
        raise ApiError(422, "changes: give an object of the fields to change")
    return changes


def editor_events(live: LiveServer) -> None:
    async def broadcast(event: str, payload: Doc, project_id: str, sid: str | None) -> None:
        await live.sio.emit(event, payload, room=project_room(project_id), skip_sid=sid)

    def editor() -> Editor:
        return Editor(live.projects, broadcast)

    async def answer(work: Callable[[], Awaitable[Doc]]) -> Ack:
        try:
            return {"ok": True, **await work()}
        except ApiError as exc:
            return {"ok": False, "detail": exc.detail}
        except ConnectionFailure:
            return {"ok": False, "detail": DB_DOWN}

    async def scene_update(sid: str, project: Doc, data: dict[str, Any]) -> Ack:
        async def work() -> Doc:
            update = contract_request(SceneUpdate, _changes(data))
            scene_id = str(data.get("scene_id") or "")
            scene = await editor().update_scene(project["id"], scene_id, update, None, sid)
            return {"scene": scene}

        return await answer(work)

    async def layer_update(sid: str, project: Doc, data: dict[str, Any]) -> Ack:
        async def work() -> Doc:
            update = contract_request(LayerUpdate, _changes(data))
            layer = await editor().update_layer(str(data["layer_id"]), update, None, sid)
            return {"layer": layer}

        return await answer(work)

    async def layers_reorder(sid: str, project: Doc, data: dict[str, Any]) -> Ack:
        async def work() -> Doc:
            body = contract_request(
                Reorder, {"scene_id": data["scene_id"], "layer_orders": data.get("layer_orders")}
            )
            return {"layers": await editor().reorder(body, None, sid)}

        return await answer(work)

    live.project_event("scene:update", "write", scene_update, _video, "video_id")
    live.project_event(
        "layer:update", "write", layer_update, lambda d: _id_of(d, "layer_id"), "layer_id"
    )
    live.project_event(
        "layers:reorder", "write", layers_reorder, lambda d: _id_of(d, "scene_id"), "scene_id"
    )
