"""The editor's live events: what the HTTP routes and the client events broadcast on the room."""

from __future__ import annotations

import asyncio
import contextlib

from tests.gateway.conftest import Gateway
from tests.gateway.test_editor import SEED_LAYERS, add, new_video, scenes_of
from tests.gateway.test_socketio import QUIET, WAIT, Client, connected


async def quiet(client: Client) -> None:
    with contextlib.suppress(TimeoutError):
        event = await asyncio.wait_for(client.received.get(), QUIET)
        raise AssertionError(f"an event arrived: {event}")


async def test_http_changes_reach_every_client_in_the_room(gateway: Gateway) -> None:
    video_id = await new_video(gateway.http)
    scene = (await scenes_of(gateway.http, video_id))[0]
    async with connected(gateway.url) as watcher, connected(gateway.url) as outsider:
        assert await watcher.join(video_id) == {"ok": True}
        r = await gateway.http.put(
            f"/api/v1/videos/{video_id}/scenes/{scene['id']}", json={"is_expanded": True}
        )
        event, data = await watcher.next()
        assert (event, data["video_id"], data["scene"]) == (
            "scene:updated",
            video_id,
            r.json()["data"]["scene"],
        )
        layer = await add(gateway.http, scene["id"], SEED_LAYERS[3])
        event, data = await watcher.next()
        assert (event, data["action"], data["layer_id"], data["scene_id"]) == (
            "layer:updated",
            "created",
            layer["id"],
            scene["id"],
        )
        assert data["layers"] == [layer]
        await gateway.http.delete(f"/api/v1/layers/{layer['id']}")
        event, data = await watcher.next()
        assert (event, data["action"], data["layers"]) == ("layer:updated", "deleted", [])
        await quiet(outsider)


async def test_client_events_change_the_video_and_tell_the_others(gateway: Gateway) -> None:
    video_id = await new_video(gateway.http)
    scene = (await scenes_of(gateway.http, video_id))[0]
    first = await add(gateway.http, scene["id"], SEED_LAYERS[0])
    second = await add(gateway.http, scene["id"], SEED_LAYERS[3])
    async with connected(gateway.url) as editor, connected(gateway.url) as other:
        for client in (editor, other):
            assert await client.join(video_id) == {"ok": True}
        ack = await editor.sio.call(
            "layer:update",
            {"layer_id": first["id"], "changes": {"enabled": False}},
            timeout=WAIT,
        )
        assert ack["ok"] is True
        assert ack["layer"]["enabled"] is False
        event, data = await other.next()
        assert (event, data["action"], data["layer_id"]) == (
            "layer:updated",
            "updated",
            first["id"],
        )
        ack = await editor.sio.call(
            "layers:reorder",
            {
                "scene_id": scene["id"],
                "layer_orders": [
                    {"layer_id": first["id"], "order_index": 2},
                    {"layer_id": second["id"], "order_index": 1},
                ],
            },
            timeout=WAIT,
        )
        assert [layer["id"] for layer in ack["layers"]] == [second["id"], first["id"]]
        event, data = await other.next()
        assert (event, data["action"]) == ("layer:updated", "reordered")
        ack = await editor.sio.call(
            "scene:update",
            {"video_id": video_id, "scene_id": scene["id"], "changes": {"text": "Live text"}},
            timeout=WAIT,
        )
        assert ack["scene"]["text"] == "Live text"
        event, data = await other.next()
        assert (event, data["scene"]["text"]) == ("scene:updated", "Live text")
        # The sender hears only its acknowledgements, not its own changes again.
        await quiet(editor)
    stored = (await scenes_of(gateway.http, video_id))[0]
    assert stored["text"] == "Live text"
    assert [(x["id"], x["enabled"]) for x in stored["layers"]] == [
        (second["id"], True),
        (first["id"], False),
    ]


async def test_bad_client_events_are_refused_and_change_nothing(gateway: Gateway) -> None:
    video_id = await new_video(gateway.http)
    scene = (await scenes_of(gateway.http, video_id))[0]
    layer = await add(gateway.http, scene["id"], SEED_LAYERS[0])
    before = await scenes_of(gateway.http, video_id)
    async with connected(gateway.url) as client:
        cases = [
            ("layer:update", {"changes": {}}, "layer_id is required"),
            ("layer:update", {"layer_id": layer["id"]}, "changes: give an object"),
            (
                "layer:update",
                {"layer_id": layer["id"], "changes": {"properties": {"volume": 3}}},
                "properties.volume: Input should be less than or equal to 1",
            ),
            (
                "scene:update",
                {"video_id": video_id, "scene_id": scene["id"], "changes": {"duration": -1}},
                "duration: Input should be greater than 0",
            ),
            ("scene:update", {"scene_id": scene["id"]}, "video_id is required"),
            (
                "layers:reorder",
                {"scene_id": scene["id"], "layer_orders": [{"layer_id": "x.1", "order_index": 1}]},
                "layer_orders: layer x.1 is not a layer of scene",
            ),
            (
                "layer:update",
                {"layer_id": "nope.1", "changes": {"enabled": False}},
                "Project not found: nope",
            ),
        ]
        for event, payload, fragment in cases:
            ack = await client.sio.call(event, payload, timeout=WAIT)
            assert ack["ok"] is False, (event, payload)
            assert fragment in ack["detail"], ack
    assert await scenes_of(gateway.http, video_id) == before
