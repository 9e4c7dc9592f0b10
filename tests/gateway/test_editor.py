"""The scene editor (seed 002): scenes with stable ids, typed layers, their refusals."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from respx.patterns import M

from gateway.editor import service
from gateway.state import GatewayState
from tests.gateway.conftest import Gateway

SECTIONS = [
    {"narration": "Welcome to our amazing product demonstration.", "image_prompt": "a shop"},
    {"narration": "Here is how it works.", "image_prompt": "a diagram"},
]

# Seed 002's five layers, as its GET /scenes example shows them (times within a 10 s scene).
SEED_LAYERS: list[dict[str, Any]] = [
    {
        "type": "audio",
        "name": "Upbeat Corporate",
        "start_time": 0,
        "end_time": 8.5,
        "properties": {
            "audio_id": "audio-123",
            "audio_url": "https://cdn.example.com/audio/upbeat.mp3",
            "volume": 0.7,
            "fade_in": 0.5,
            "fade_out": 0.5,
        },
    },
    {
        "type": "voiceover",
        "name": "Rose (Female, US)",
        "duration": 8.0,
        "properties": {
            "voice_id": "en-US-Neural2-A",
            "voice_name": "Rose",
            "language": "en-US",
            "gender": "female",
            "style": "conversational",
            "text": "Welcome to our amazing product demonstration...",
            "speed": 1.0,
            "pitch": 1.0,
        },
    },
    {
        "type": "avatar",
        "name": "Amy",
        "properties": {
            "avatar_id": "avatar-amy-casual",
            "avatar_url": "https://cdn.example.com/avatars/amy.png",
            "position": {"x": 50, "y": 50},
            "scale": 1.0,
            "animation": "talking",
        },
    },
    {
        "type": "text",
        "name": "Text: Welcome to our...",
        "start_time": 0,
        "end_time": 3.0,
        "properties": {
            "text": "Welcome to our product",
            "font_family": "Inter",
            "font_size": 32,
            "font_weight": "bold",
            "font_style": "normal",
            "color": "#FFFFFF",
            "text_align": "center",
            "position": {"x": 50, "y": 80},
            "animation": "fadeIn",
        },
    },
    {
        "type": "media",
        "name": "Product Hero Image",
        "properties": {
            "media_id": "media-456",
            "media_url": "https://cdn.example.com/images/product.jpg",
            "media_type": "image",
            "position": {"x": 50, "y": 50},
            "scale": 1.0,
            "opacity": 1.0,
        },
    },
]


async def new_video(http: httpx.AsyncClient, **fields: Any) -> str:
    body = {"title": "Editor", "script_sections": SECTIONS, "duration": 20, **fields}
    r = await http.post("/projects", json=body)
    assert r.status_code == 201, r.text
    video_id: str = r.json()["id"]
    return video_id


async def scenes_of(http: httpx.AsyncClient, video_id: str) -> list[dict[str, Any]]:
    r = await http.get(f"/api/v1/videos/{video_id}/scenes")
    assert r.status_code == 200, r.text
    assert r.json()["success"] is True
    scenes: list[dict[str, Any]] = r.json()["data"]["scenes"]
    return scenes


async def add(http: httpx.AsyncClient, scene_id: str, layer: dict[str, Any]) -> dict[str, Any]:
    r = await http.post(f"/api/v1/scenes/{scene_id}/layers", json=layer)
    assert r.status_code == 201, r.text
    assert r.json()["message"] == "Layer added successfully"
    created: dict[str, Any] = r.json()["data"]["layer"]
    return created


async def test_an_existing_project_gets_scene_ids_on_first_read_and_keeps_them(
    gateway: Gateway,
) -> None:
    video_id = await new_video(gateway.http)
    first = await scenes_of(gateway.http, video_id)
    assert [s["text"] for s in first] == [s["narration"] for s in SECTIONS]
    assert [
        (s["scene_number"], s["video_id"], s["duration"], s["start_time"], s["end_time"])
        for s in first
    ] == [(1, video_id, 10.0, 0.0, 10.0), (2, video_id, 10.0, 10.0, 20.0)]
    assert [(s["is_expanded"], s["layers"]) for s in first] == [(False, [])] * 2
    assert len({s["id"] for s in first}) == 2
    assert await scenes_of(gateway.http, video_id) == first
    # The app's own view of the project is unchanged: the editor's data is internal.
    project = (await gateway.http.get(f"/projects/{video_id}")).json()
    assert "_scenes" not in project
    assert "scenes" not in project


async def test_the_seed_layers_are_stored_in_order_and_shown_in_its_shape(
    gateway: Gateway,
) -> None:
    video_id = await new_video(gateway.http)
    scene = (await scenes_of(gateway.http, video_id))[0]
    created = [await add(gateway.http, scene["id"], layer) for layer in SEED_LAYERS]
    assert [layer["order_index"] for layer in created] == [1, 2, 3, 4, 5]
    assert [(c["start_time"], c["end_time"], c["duration"]) for c in created] == [
        (0.0, 8.5, 8.5),
        (0.0, 8.0, 8.0),
        (0.0, 10.0, 10.0),
        (0.0, 3.0, 3.0),
        (0.0, 10.0, 10.0),
    ]
    shown = (await scenes_of(gateway.http, video_id))[0]["layers"]
    assert [layer["id"] for layer in shown] == [c["id"] for c in created]
    assert set(shown[0]) == {
        "id", "scene_id", "type", "name", "enabled", "duration", "start_time", "end_time",
        "order_index", "properties", "created_at", "updated_at",
    }  # fmt: skip
    assert {layer["scene_id"] for layer in shown} == {scene["id"]}
    assert shown[0]["properties"] == SEED_LAYERS[0]["properties"]
    # Defaults are filled in and shown: a media layer is fully opaque, at full size.
    assert shown[4]["properties"]["candidates"] == []
    assert shown[3]["properties"]["color"] == "#FFFFFF"


async def test_updating_a_scene_and_a_project_put_keeps_the_editor_data(
    gateway: Gateway,
) -> None:
    video_id = await new_video(gateway.http)
    scene = (await scenes_of(gateway.http, video_id))[0]
    await add(gateway.http, scene["id"], SEED_LAYERS[3])
    r = await gateway.http.put(
        f"/api/v1/videos/{video_id}/scenes/{scene['id']}",
        json={"text": "Updated scene narration text", "duration": 12.0, "is_expanded": True},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["message"] == "Scene updated successfully"
    updated = body["data"]["scene"]
    assert (updated["text"], updated["duration"], updated["is_expanded"]) == (
        "Updated scene narration text",
        12.0,
        True,
    )
    # The other scene takes what is left of the project's 20 s.
    again = await scenes_of(gateway.http, video_id)
    assert [(s["duration"], s["start_time"]) for s in again] == [(12.0, 0.0), (8.0, 12.0)]
    # The app sends its whole project back: the scenes and layers it never saw stay.
    project = (await gateway.http.get(f"/projects/{video_id}")).json()
    put = await gateway.http.put(f"/projects/{video_id}", json={**project, "title": "Renamed"})
    assert put.status_code == 200, put.text
    after = await scenes_of(gateway.http, video_id)
    assert after == again


async def test_a_layer_update_merges_properties_toggle_and_delete(gateway: Gateway) -> None:
    video_id = await new_video(gateway.http)
    scene = (await scenes_of(gateway.http, video_id))[0]
    layer = await add(gateway.http, scene["id"], SEED_LAYERS[0])
    r = await gateway.http.put(
        f"/api/v1/layers/{layer['id']}",
        json={"name": "Updated Layer Name", "enabled": False, "properties": {"volume": 0.8}},
    )
    assert r.status_code == 200, r.text
    assert r.json()["message"] == "Layer updated successfully"
    updated = r.json()["data"]["layer"]
    assert (updated["name"], updated["enabled"]) == ("Updated Layer Name", False)
    assert updated["properties"] == {**SEED_LAYERS[0]["properties"], "volume": 0.8}
    # A new start keeps the layer's length.
    moved = await gateway.http.put(f"/api/v1/layers/{layer['id']}", json={"start_time": 1.0})
    assert (
        moved.json()["data"]["layer"]["start_time"],
        moved.json()["data"]["layer"]["end_time"],
    ) == (
        1.0,
        9.5,
    )
    toggled = await gateway.http.put(
        f"/api/v1/layers/{layer['id']}/toggle-visibility", json={"enabled": True}
    )
    assert toggled.status_code == 200
    assert toggled.json()["message"] == "Layer visibility updated"
    assert toggled.json()["data"]["layer"]["enabled"] is True
    deleted = await gateway.http.delete(f"/api/v1/layers/{layer['id']}")
    assert deleted.json() == {"success": True, "message": "Layer deleted successfully"}
    assert (await scenes_of(gateway.http, video_id))[0]["layers"] == []
    gone = await gateway.http.delete(f"/api/v1/layers/{layer['id']}")
    assert (gone.status_code, gone.json()["detail"]) == (404, f"Layer not found: {layer['id']}")


async def test_reorder_changes_the_stacking(gateway: Gateway) -> None:
    video_id = await new_video(gateway.http)
    scene = (await scenes_of(gateway.http, video_id))[0]
    ids = [(await add(gateway.http, scene["id"], layer))["id"] for layer in SEED_LAYERS[:3]]
    orders = [
        {"layer_id": ids[0], "order_index": 3},
        {"layer_id": ids[1], "order_index": 1},
        {"layer_id": ids[2], "order_index": 2},
    ]
    r = await gateway.http.put(
        "/api/v1/layers/reorder", json={"scene_id": scene["id"], "layer_orders": orders}
    )
    assert r.json() == {"success": True, "message": "Layers reordered successfully"}
    shown = (await scenes_of(gateway.http, video_id))[0]["layers"]
    assert [layer["id"] for layer in shown] == [ids[1], ids[2], ids[0]]


def _with(index: int, **changes: Any) -> dict[str, Any]:
    layer = {**SEED_LAYERS[index], **{k: v for k, v in changes.items() if k != "properties"}}
    if "properties" in changes:
        layer["properties"] = {**layer["properties"], **changes["properties"]}
    return layer


@pytest.mark.parametrize(
    ("layer", "fragment"),
    [
        (
            {**SEED_LAYERS[0], "type": "shape"},
            "does not match any of the expected tags: 'audio', 'voiceover', 'avatar', 'text',"
            " 'media'",
        ),
        (_with(0, properties={"loudness": 3}), "properties.loudness: Extra inputs are not"),
        (_with(0, properties={"volume": 1.5}), "properties.volume: Input should be less than or"),
        (_with(2, properties={"position": {"x": 120, "y": 50}}), "properties.position.x:"),
        (_with(3, properties={"font_family": "Comic Sans"}), "properties.font_family: Input"),
        (_with(3, properties={"color": "red"}), "properties.color: String should match"),
        (_with(4, properties={"opacity": -0.1}), "properties.opacity:"),
        (_with(3, start_time=2, end_time=11), "is outside scene 1, which lasts 10 s"),
        (_with(3, start_time=4, end_time=3), "end_time must be after start_time"),
        (_with(0, properties={"fade_in": 5, "fade_out": 4}), "of fades do not fit"),
        (
            _with(
                4,
                properties={
                    "candidates": [{"media_url": "https://cdn.example.com/a.jpg"}],
                },
            ),
            "media_url must be one of the candidates",
        ),
    ],
)
async def test_a_bad_layer_is_422_naming_the_field_and_nothing_is_stored(
    gateway: Gateway, layer: dict[str, Any], fragment: str
) -> None:
    video_id = await new_video(gateway.http)
    before = await scenes_of(gateway.http, video_id)
    r = await gateway.http.post(f"/api/v1/scenes/{before[0]['id']}/layers", json=layer)
    assert r.status_code == 422, r.text
    assert fragment in r.json()["detail"]
    assert await scenes_of(gateway.http, video_id) == before


async def test_a_bad_layer_update_changes_nothing(gateway: Gateway) -> None:
    video_id = await new_video(gateway.http)
    scene = (await scenes_of(gateway.http, video_id))[0]
    layer = await add(gateway.http, scene["id"], SEED_LAYERS[0])
    before = await scenes_of(gateway.http, video_id)
    for body, fragment in (
        ({"properties": {"volume": 2}}, "properties.volume: Input should be less than or equal"),
        ({"end_time": 30}, "is outside scene 1"),
        ({"type": "text"}, "type: Extra inputs are not permitted"),
    ):
        r = await gateway.http.put(f"/api/v1/layers/{layer['id']}", json=body)
        assert r.status_code == 422, r.text
        assert fragment in r.json()["detail"]
    assert await scenes_of(gateway.http, video_id) == before


async def test_a_reorder_naming_another_scenes_layer_is_refused(gateway: Gateway) -> None:
    video_id = await new_video(gateway.http)
    first, second = await scenes_of(gateway.http, video_id)
    mine = await add(gateway.http, first["id"], SEED_LAYERS[0])
    theirs = await add(gateway.http, second["id"], SEED_LAYERS[3])
    before = await scenes_of(gateway.http, video_id)
    r = await gateway.http.put(
        "/api/v1/layers/reorder",
        json={
            "scene_id": first["id"],
            "layer_orders": [
                {"layer_id": mine["id"], "order_index": 2},
                {"layer_id": theirs["id"], "order_index": 1},
            ],
        },
    )
    assert r.status_code == 422
    assert r.json()["detail"] == (
        f"layer_orders: layer {theirs['id']} is not a layer of scene {first['id']};"
        f" its layers are: {mine['id']}"
    )
    assert await scenes_of(gateway.http, video_id) == before


async def test_a_scene_cannot_shrink_under_its_layers(gateway: Gateway) -> None:
    video_id = await new_video(gateway.http)
    scene = (await scenes_of(gateway.http, video_id))[0]
    await add(gateway.http, scene["id"], SEED_LAYERS[0])
    before = await scenes_of(gateway.http, video_id)
    r = await gateway.http.put(
        f"/api/v1/videos/{video_id}/scenes/{scene['id']}", json={"duration": 5}
    )
    assert r.status_code == 422
    assert r.json()["detail"].startswith(
        "duration: 5 s would end the scene before its layer 'Upbeat Corporate' ends (8.5 s)"
    )
    assert await scenes_of(gateway.http, video_id) == before


async def test_unknown_scenes_and_layers_are_404(gateway: Gateway) -> None:
    video_id = await new_video(gateway.http)
    other = await new_video(gateway.http)
    theirs = (await scenes_of(gateway.http, other))[0]["id"]
    missing = await gateway.http.get("/api/v1/videos/nope/scenes")
    assert (missing.status_code, missing.json()["detail"]) == (404, "Project not found: nope")
    # A scene of another video, named under this one.
    r = await gateway.http.put(
        f"/api/v1/videos/{video_id}/scenes/{theirs}", json={"is_expanded": True}
    )
    assert (r.status_code, r.json()["detail"]) == (404, f"Scene not found: {theirs}")
    for path in ("/api/v1/layers/nope.123", "/api/v1/layers/plain"):
        r = await gateway.http.put(path, json={"enabled": False})
        assert r.status_code == 404
        assert r.json()["detail"].startswith("Layer not found")
    r = await gateway.http.post(f"/api/v1/scenes/{video_id}.00/layers", json=SEED_LAYERS[0])
    assert (r.status_code, r.json()["detail"]) == (404, f"Scene not found: {video_id}.00")


@pytest.fixture
def script_service() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url="http://127.0.0.1:9", assert_all_called=False) as mock:
        mock.route(~M(port=9)).pass_through()
        yield mock


def script_answer(narrations: list[str]) -> dict[str, Any]:
    sections = [
        {"index": i, "narration": n, "image_prompt": f"picture {i}", "word_count": 3,
         "duration_s": 2.0}
        for i, n in enumerate(narrations)
    ]  # fmt: skip
    return {
        "title": "T", "script_text": "\n\n".join(narrations), "sections": sections,
        "keywords": "k", "video_description": "d", "language": "en", "type_video": "",
        "word_count": 9, "target_words": 9, "duration_s": 6.0, "estimated_duration_s": 6.0,
        "provider": "template",
    }  # fmt: skip


async def test_a_generated_script_makes_scenes_and_a_rewrite_keeps_their_ids(
    gateway: Gateway, script_service: respx.MockRouter
) -> None:
    r = await gateway.http.post("/projects", json={"title": "Tides", "nb_section": 2})
    video_id = r.json()["id"]
    route = script_service.post("/generate")
    route.respond(json=script_answer(["First.", "Second."]))
    assert (await gateway.http.post(f"/scripts/{video_id}")).status_code == 200
    first = await scenes_of(gateway.http, video_id)
    assert [s["text"] for s in first] == ["First.", "Second."]
    layer = await add(gateway.http, first[0]["id"], SEED_LAYERS[3])
    route.respond(json=script_answer(["New first.", "New second.", "Third."]))
    assert (await gateway.http.post(f"/scripts/{video_id}")).status_code == 200
    second = await scenes_of(gateway.http, video_id)
    assert [s["text"] for s in second] == ["New first.", "New second.", "Third."]
    assert [s["id"] for s in second[:2]] == [s["id"] for s in first]
    assert [x["id"] for x in second[0]["layers"]] == [layer["id"]]


async def test_concurrent_layer_writes_all_land(gateway: Gateway) -> None:
    video_id = await new_video(gateway.http)
    first, second = await scenes_of(gateway.http, video_id)
    layers = [{**SEED_LAYERS[3], "name": f"Caption {i}", "order_index": i + 1} for i in range(8)]
    answers = await asyncio.gather(
        *(
            gateway.http.post(f"/api/v1/scenes/{(first, second)[i % 2]['id']}/layers", json=layer)
            for i, layer in enumerate(layers)
        ),
        gateway.http.put(f"/projects/{video_id}", json={"title": "Renamed meanwhile"}),
    )
    assert [r.status_code for r in answers] == [201] * 8 + [200]
    after = await scenes_of(gateway.http, video_id)
    assert sorted(x["name"] for s in after for x in s["layers"]) == sorted(
        x["name"] for x in layers
    )
    assert (await gateway.http.get(f"/projects/{video_id}")).json()["title"] == "Renamed meanwhile"


async def test_media_a_layer_uses_counts_as_referenced_by_the_project(gateway: Gateway) -> None:
    video_id = await new_video(gateway.http)
    scene = (await scenes_of(gateway.http, video_id))[0]
    key = f"images/{uuid.uuid4()}/logo.png"
    layer = {**SEED_LAYERS[4], "properties": {"media_url": f"http://media.test/media/{key}"}}
    created = await add(gateway.http, scene["id"], layer)
    state: GatewayState = gateway.app.state.gateway
    assert await state.projects.referenced([key]) == {key}
    await gateway.http.delete(f"/api/v1/layers/{created['id']}")
    assert await state.projects.referenced([key]) == set()


async def test_scenes_past_the_size_limit_are_413_and_not_stored(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real limit keeps the project under MongoDB's 16 MB; a small one is quicker to reach.
    monkeypatch.setattr(service, "MAX_SCENES_BYTES", 12_000)
    video_id = await new_video(gateway.http)
    scene = (await scenes_of(gateway.http, video_id))[0]
    voice = SEED_LAYERS[1]
    long = {**voice, "properties": {**voice["properties"], "text": "word " * 1000}}
    await add(gateway.http, scene["id"], long)
    await add(gateway.http, scene["id"], long)
    before = await scenes_of(gateway.http, video_id)
    r = await gateway.http.post(f"/api/v1/scenes/{scene['id']}/layers", json=long)
    assert r.status_code == 413
    assert r.json()["detail"].endswith("bytes of JSON; the limit is 12,000")
    assert await scenes_of(gateway.http, video_id) == before


async def test_a_frame_holds_candidate_images_with_one_chosen(gateway: Gateway) -> None:
    """Seed 000's scene -> frames -> candidate images (one chosen) and a voiceover per frame."""
    video_id = await new_video(gateway.http)
    scene = (await scenes_of(gateway.http, video_id))[0]
    urls = [f"https://cdn.example.com/frame-1/{i}.jpg" for i in range(3)]
    frame = {
        "type": "media",
        "name": "Frame 1",
        "start_time": 0,
        "end_time": 4,
        "properties": {
            "media_url": urls[1],
            "candidates": [{"media_url": u, "prompt": f"take {i}"} for i, u in enumerate(urls)],
        },
    }
    created = await add(gateway.http, scene["id"], frame)
    voice = {**SEED_LAYERS[1], "name": "Frame 1 voice", "start_time": 0, "end_time": 4}
    voice.pop("duration")
    await add(gateway.http, scene["id"], voice)
    chosen = await gateway.http.put(
        f"/api/v1/layers/{created['id']}", json={"properties": {"media_url": urls[2]}}
    )
    assert chosen.status_code == 200, chosen.text
    properties = chosen.json()["data"]["layer"]["properties"]
    assert properties["media_url"] == urls[2]
    assert [c["media_url"] for c in properties["candidates"]] == urls
    stranger = await gateway.http.put(
        f"/api/v1/layers/{created['id']}",
        json={"properties": {"media_url": "https://cdn.example.com/other.jpg"}},
    )
    assert stranger.status_code == 422
    assert stranger.json()["detail"] == (
        "properties: Value error, media_url must be one of the candidates' media_url"
        " (the chosen one)"
    )
    layers = (await scenes_of(gateway.http, video_id))[0]["layers"]
    assert [(x["type"], x["end_time"]) for x in layers] == [("media", 4.0), ("voiceover", 4.0)]
    assert layers[0]["properties"]["media_url"] == urls[2]
