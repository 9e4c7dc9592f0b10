"""The editor's operations, shared by the HTTP routes and the Socket.IO events.

Each change is checked against the caller's access to the project (write: owner, editor member
or admin; someone else's scene or layer answers 404, as a missing one does), written as one
versioned write of the project (so a refused change writes nothing), then broadcast on the
project's room as `scene:updated` or `layer:updated`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

import orjson

from contracts.editor import LayerEvent, LayerUpdate, Reorder, SceneEvent, SceneUpdate
from contracts.errors import ApiError
from gateway.auth.principal import Principal
from gateway.clock import now_iso
from gateway.db import Doc
from gateway.editor import layers as checks
from gateway.editor import scenes as sc
from gateway.editor.layers import checked, merged
from gateway.projects.store import ProjectStore

# (event, payload, project id, socket to leave out: the one that made the change)
Broadcast = Callable[[str, Doc, str, str | None], Awaitable[None]]
Action = Literal["created", "updated", "deleted", "reordered"]
# The editor's data shares the project document (at most 16 MB in MongoDB) with its fields.
MAX_SCENES_BYTES = 4_000_000


class Editor:
    def __init__(self, store: ProjectStore, broadcast: Broadcast) -> None:
        self.store = store
        self.broadcast = broadcast

    async def _check(
        self, project_id: str | None, kind: str, item_id: str, principal: Principal | None
    ) -> None:
        """That the caller may change the project holding a scene or layer: 404 in the item's
        name when they may not read it (or there is none), 403 when they may only read it."""
        missing = ApiError(404, f"{kind} not found: {item_id}")
        if project_id is None:
            raise missing
        try:
            await self.store.stored(project_id, principal, "write")
        except ApiError as exc:
            if exc.status == 404:
                raise missing from None
            raise

    async def _write(self, project_id: str, edit: Callable[[Doc], Doc]) -> Doc:
        """One versioned write of the project's scenes (access was checked by the caller)."""

        def limited(current: Doc) -> Doc:
            changes = edit(current)
            size = len(orjson.dumps(changes["_scenes"]))
            if size > MAX_SCENES_BYTES:
                raise ApiError(
                    413,
                    f"The video's scenes and layers would take {size:,} bytes of JSON;"
                    f" the limit is {MAX_SCENES_BYTES:,}",
                )
            return changes

        return await self.store.edit(project_id, None, limited)

    def _signed(self, value: Any) -> Any:
        return self.store.urls.signed(value)

    # --- scenes ----------------------------------------------------------------------------

    async def scenes(self, video_id: str, principal: Principal | None) -> list[Doc]:
        doc = await self.store.stored(video_id, principal, "read")
        if doc.get("_scenes") is None:
            # Ids are made on first read and kept: written by the gateway, whoever reads.
            doc = await self.store.edit(
                video_id,
                None,
                lambda current: (
                    None if current.get("_scenes") is not None else {"_scenes": sc.initial(current)}
                ),
            )
        return list(self._signed(sc.shown(doc, doc["_scenes"])))

    async def update_scene(
        self,
        video_id: str,
        scene_id: str,
        update: SceneUpdate,
        principal: Principal | None,
        sid: str | None = None,
    ) -> Doc:
        if sc.project_of(scene_id) != video_id:
            raise ApiError(404, f"Scene not found: {scene_id}")
        await self._check(video_id, "Scene", scene_id, principal)
        sent = update.model_dump(exclude_unset=True, exclude_none=True)

        def edit(current: Doc) -> Doc:
            scenes = sc.stored(current)
            index = sc.find(scenes, scene_id)
            scene = {**scenes[index], **sent, "updated_at": now_iso()}
            if "duration" in sent:
                for layer in scene["layers"]:
                    if layer["end_time"] > sent["duration"]:
                        raise ApiError(
                            422,
                            f"duration: {sent['duration']:g} s would end the scene before its"
                            f" layer {layer['name']!r} ends ({layer['end_time']:g} s);"
                            " shorten or move the layer first",
                            details={"field": "duration", "layer_id": layer["id"]},
                        )
            return {"_scenes": sc.replaced(scenes, index, scene)}

        doc = await self._write(video_id, edit)
        scene = self._scene_shown(doc, scene_id)
        event = SceneEvent(video_id=video_id, scene=scene)
        await self.broadcast("scene:updated", event.model_dump(mode="json"), video_id, sid)
        return scene

    def _scene_shown(self, doc: Doc, scene_id: str) -> Doc:
        shown = sc.shown(doc, doc["_scenes"])
        scene: Doc = self._signed(shown[sc.find(doc["_scenes"], scene_id)])
        return scene

    # --- layers ----------------------------------------------------------------------------

    async def _layer_event(
        self, doc: Doc, scene_id: str, action: Action, layer_id: str | None, sid: str | None
    ) -> None:
        scene = doc["_scenes"][sc.find(doc["_scenes"], scene_id)]
        event = LayerEvent(
            video_id=doc["_id"],
            scene_id=scene_id,
            action=action,
            layer_id=layer_id,
            layers=self._signed(sc.shown_layers(scene)),
        )
        await self.broadcast("layer:updated", event.model_dump(mode="json"), doc["_id"], sid)

    def _layer_shown(self, doc: Doc, layer_id: str) -> Doc:
        index, position = sc.find_layer(doc["_scenes"], layer_id)
        scene = doc["_scenes"][index]
        layer: Doc = self._signed(sc.shown_layer(scene["layers"][position], scene["id"]))
        return layer

    async def add_layer(
        self, scene_id: str, body: Doc, principal: Principal | None, sid: str | None = None
    ) -> Doc:
        project_id = sc.project_of(scene_id)
        await self._check(project_id, "Scene", scene_id, principal)
        assert project_id is not None
        layer_id = sc.new_id(project_id)
        data = self.store.urls.plain(body)

        def edit(current: Doc) -> Doc:
            scenes = sc.stored(current)
            index = sc.find(scenes, scene_id)
            scene = scenes[index]
            checks.room_for_one_more(scene["layers"])
            seconds = sc.durations(current, scenes)[index]
            fields = checked(data, seconds, f"scene {index + 1}")
            if fields["order_index"] is None:
                fields["order_index"] = 1 + max(
                    (layer["order_index"] for layer in scene["layers"]), default=0
                )
            stamp = now_iso()
            layer = {"id": layer_id, **fields, "created_at": stamp, "updated_at": stamp}
            return {
                "_scenes": sc.replaced(
                    scenes, index, sc.with_layers(scene, [*scene["layers"], layer])
                )
            }

        doc = await self._write(project_id, edit)
        await self._layer_event(doc, scene_id, "created", layer_id, sid)
        return self._layer_shown(doc, layer_id)

    async def _change_layer(
        self,
        layer_id: str,
        principal: Principal | None,
        change: Callable[[Doc, float, str], Doc | None],
        action: Action,
        sid: str | None,
    ) -> Doc:
        """Apply `change(layer, scene seconds, scene name)` (None deletes the layer)."""
        project_id = sc.project_of(layer_id)
        await self._check(project_id, "Layer", layer_id, principal)
        assert project_id is not None
        found: dict[str, str] = {}

        def edit(current: Doc) -> Doc:
            scenes = sc.stored(current)
            index, position = sc.find_layer(scenes, layer_id)
            scene = scenes[index]
            seconds = sc.durations(current, scenes)[index]
            layer = scene["layers"][position]
            found["scene_id"] = scene["id"]
            new = change(layer, seconds, f"scene {index + 1}")
            others = [*scene["layers"][:position], *scene["layers"][position + 1 :]]
            if new is not None:
                new = {**layer, **new, "id": layer_id, "updated_at": now_iso()}
                others.insert(position, new)
            return {"_scenes": sc.replaced(scenes, index, sc.with_layers(scene, others))}

        doc = await self._write(project_id, edit)
        await self._layer_event(doc, found["scene_id"], action, layer_id, sid)
        return doc

    async def update_layer(
        self,
        layer_id: str,
        update: LayerUpdate,
        principal: Principal | None,
        sid: str | None = None,
    ) -> Doc:
        sent = self.store.urls.plain(update.model_dump(exclude_unset=True))
        update = LayerUpdate.model_validate(sent)

        def change(layer: Doc, seconds: float, scene_name: str) -> Doc:
            fields = checked(merged(layer, update), seconds, scene_name)
            if fields["order_index"] is None:
                fields["order_index"] = layer["order_index"]
            return fields

        doc = await self._change_layer(layer_id, principal, change, "updated", sid)
        return self._layer_shown(doc, layer_id)

    async def toggle(
        self, layer_id: str, enabled: bool, principal: Principal | None, sid: str | None = None
    ) -> Doc:
        doc = await self._change_layer(
            layer_id, principal, lambda *_: {"enabled": enabled}, "updated", sid
        )
        return self._layer_shown(doc, layer_id)

    async def delete_layer(
        self, layer_id: str, principal: Principal | None, sid: str | None = None
    ) -> None:
        await self._change_layer(layer_id, principal, lambda *_: None, "deleted", sid)

    async def reorder(
        self, body: Reorder, principal: Principal | None, sid: str | None = None
    ) -> list[Doc]:
        project_id = sc.project_of(body.scene_id)
        await self._check(project_id, "Scene", body.scene_id, principal)
        assert project_id is not None
        named = [order.layer_id for order in body.layer_orders]
        if len(set(named)) != len(named):
            twice = next(i for i in named if named.count(i) > 1)
            raise ApiError(
                422,
                f"layer_orders: layer {twice} is named twice",
                details={"field": "layer_orders"},
            )
        orders = {order.layer_id: order.order_index for order in body.layer_orders}

        def edit(current: Doc) -> Doc:
            scenes = sc.stored(current)
            index = sc.find(scenes, body.scene_id)
            scene = scenes[index]
            ours = {layer["id"] for layer in scene["layers"]}
            for layer_id in named:
                if layer_id not in ours:
                    raise ApiError(
                        422,
                        f"layer_orders: layer {layer_id} is not a layer of scene"
                        f" {body.scene_id}; its layers are: {', '.join(sorted(ours)) or 'none'}",
                        details={"field": "layer_orders", "layer_id": layer_id},
                    )
            stamp = now_iso()
            layers = [
                {**layer, "order_index": orders[layer["id"]], "updated_at": stamp}
                if layer["id"] in orders
                else layer
                for layer in scene["layers"]
            ]
            return {"_scenes": sc.replaced(scenes, index, sc.with_layers(scene, layers))}

        doc = await self._write(project_id, edit)
        await self._layer_event(doc, body.scene_id, "reordered", None, sid)
        scene = doc["_scenes"][sc.find(doc["_scenes"], body.scene_id)]
        return list(self._signed(sc.shown_layers(scene)))
