"""Bad timelines: a 4xx whose string detail names the field and the valid values, and nothing
left behind (no output, no scratch files)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.video.test_video_bad_input import assert_nothing_left

TEXT: dict[str, Any] = {"type": "text", "text": "Hello", "start": 0.5, "end": 1.5}
GOOD: dict[str, Any] = {
    "scenes": [
        {
            "id": "s1",
            "background": {"key": "img/a.jpg"},
            "duration": 2.0,
            "overlays": [TEXT],
            "audio": [{"type": "music", "key": "audio/narration.mp3"}],
        }
    ],
    "output": {"resolution": "720p", "aspect": "1:1", "fps": 24},
}


def changed(path: list[str | int], value: Any) -> dict[str, Any]:
    body = copy.deepcopy(GOOD)
    target: Any = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return body


OVERLAY: list[str | int] = ["scenes", 0, "overlays", 0]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (changed([*OVERLAY, "type"], "shape"),
         ["scenes.0.overlays.0", "'text', 'image', 'avatar'"]),
        (changed([*OVERLAY, "colour"], "#FFFFFF"), ["unknown property 'colour'", "color"]),
        (changed(["scenes", 0, "background", "fit"], "stretch"), ["background.fit", "contain"]),
        (changed([*OVERLAY, "position"], {"x": 120, "y": 50}), ["position.x", "100"]),
        (changed([*OVERLAY, "color"], "red"), ["color", "#RRGGBB"]),
        (changed([*OVERLAY, "font_family"], "Comic Sans"), ["font_family", "DejaVu Sans"]),
        (changed([*OVERLAY, "animation"], "spin"), ["animation", "fadeIn", "typewriter"]),
        (changed(["scenes", 0, "audio", 0, "volume"], 1.5), ["audio.0.volume", "1"]),
        (changed([*OVERLAY, "end"], 2.5), ["overlays[0]", "outside the scene", "0-2.0"]),
        (changed(["output", "aspect"], "2:1"), ["output.aspect", "'9:16'"]),
        (changed(["output", "format"], "avi"), ["output.format", "'mp4' or 'webm'"]),
        (changed(["output", "resolution"], "480p"), ["output.resolution", "'720p'"]),
        (changed(["scenes", 0, "duration"], None), ["scenes[0]", "duration or a voiceover_key"]),
        (changed(["scenes", 0, "background", "key"], "../etc/passwd"),
         ["scenes[0].background.key", "Invalid media key"]),
    ],
)  # fmt: skip
async def test_bad_timeline_is_refused_naming_the_field(
    client: httpx.AsyncClient, media: Path, tmp_path: Path, body: dict[str, Any], words: list[str]
) -> None:
    response = await client.post("/timeline-render", json=body)
    assert response.status_code in (400, 422), response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    for word in words:
        assert word in detail
    assert_nothing_left(media, tmp_path)


async def test_a_layer_after_its_narrated_scene_ends_is_refused(
    client: httpx.AsyncClient, media: Path, tmp_path: Path
) -> None:
    # Scene lengths come from the 3 s narration here, so only the service can tell.
    body = {
        **GOOD,
        "narration_key": "audio/narration.mp3",
        "scenes": [
            {"id": "a", "background": {"key": "img/a.jpg"}},
            {"id": "b", "background": {"key": "img/b.jpg"}, "overlays": [{**TEXT, "start": 2.0,
                                                                            "end": 2.5}]},
        ],
    }  # fmt: skip
    response = await client.post("/timeline-render", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "scenes[1].overlays[0].start" in detail
    assert "after its scene's end (1.50 s)" in detail
    assert_nothing_left(media, tmp_path)


async def test_missing_overlay_picture_is_422_naming_it(
    client: httpx.AsyncClient, media: Path, tmp_path: Path
) -> None:
    logo = {"type": "image", "key": "pics/missing.png"}
    response = await client.post("/timeline-render", json=changed(OVERLAY, logo))
    assert response.status_code == 422
    assert (
        response.json()["detail"] == "scenes[0].overlays[0].key: media not found: pics/missing.png"
    )
    assert_nothing_left(media, tmp_path)
