"""Regenerate only what changed: a render after an edit re-encodes only the segments the edit
touches and joins the others as stored, their frames bit-identical to the render before."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import av
import httpx
import pytest

from runtime.storage import LocalStorage
from services.video.app import build_app
from services.video.segment_cache import PREFIX
from services.video.timeline import Plan, plan
from tests.support import serve
from tests.video.conftest import Settings, picture, tone, words_for

FPS = 24
DURATIONS = [2.0, 2.0, 2.0, 2.0]


def body(images: list[str], durations: list[float] = DURATIONS, **extra: Any) -> dict[str, Any]:
    return {
        "scenes": [
            {"image_key": key, "duration": d} for key, d in zip(images, durations, strict=True)
        ],
        "narration_key": "audio/eight.mp3",
        "resolution": "720p",
        "aspect": "1:1",
        "fps": FPS,
        "template": "basic_fade",
        **extra,
    }


def layout(durations: list[float], narration: float | None = 8.0) -> Plan:
    """The render's own plan for these scenes: basic_fade's 0.8 s transitions, 2 s pieces;
    durations scaled to the narration, if there is one."""
    total = sum(durations)
    scale = narration / total if narration is not None else 1.0
    return plan([d * scale for d in durations], fps=FPS, transition_seconds=0.8, chunk_frames=48)


def frame_hashes(path: Path) -> list[str]:
    with av.open(str(path)) as container:
        return [
            hashlib.sha256(frame.to_ndarray().tobytes()).hexdigest()
            for frame in container.decode(video=0)
        ]


def changed_frames(a: Path, b: Path, seconds: float = 8.0) -> set[int]:
    first, second = frame_hashes(a), frame_hashes(b)
    assert len(first) == len(second) == seconds * FPS
    return {n for n, (x, y) in enumerate(zip(first, second, strict=True)) if x != y}


def frames_of(timeline: Plan, segments: list[int]) -> set[int]:
    return {
        n for k in segments for n in range(timeline.segments[k].start, timeline.segments[k].end)
    }


@pytest.fixture
def eight(media: Path) -> Path:
    tone(media / "audio/eight.mp3", 8.0)
    picture(media / "img/c.jpg", (900, 900), 4)
    return media


@pytest.fixture
async def video(settings: Settings, eight: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(settings(video_parallel_segments=2))
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=120) as http:
        yield http


async def render(http: httpx.AsyncClient, request: dict[str, Any]) -> dict[str, Any]:
    response = await http.post("/render", json=request)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def cached(media: Path) -> int:
    """Segments in the cache (the soundtrack is kept beside them, as .m4a)."""
    stored = await LocalStorage(media).list_prefix(PREFIX)
    return sum(1 for item in stored if item.key.endswith(".mp4"))


IMAGES = ["img/a.jpg", "img/b.jpg", "img/portrait.jpg", "img/a.jpg"]


async def test_changing_one_scene_re_encodes_only_the_segments_that_show_it(
    video: httpx.AsyncClient, eight: Path
) -> None:
    timeline = layout(DURATIONS)
    assert [s.scenes for s in timeline.segments] == [(0,), (0, 1), (1, 2), (2, 3)]
    first = await render(video, body(IMAGES))
    assert (first["segments_encoded"], first["segments_reused"]) == (4, 0)
    assert await cached(eight) == 4

    same = await render(video, body(IMAGES))
    assert (same["segments_encoded"], same["segments_reused"]) == (0, 4)
    assert changed_frames(eight / first["video_key"], eight / same["video_key"]) == set()

    # Scene 1's picture is replaced: its segment and the next one (its cross-fade out of
    # scene 1) are encoded again; scenes 0 and 3 are joined as stored.
    edited = await render(video, body([IMAGES[0], "img/c.jpg", *IMAGES[2:]]))
    assert (edited["segments_encoded"], edited["segments_reused"]) == (2, 2)
    assert await cached(eight) == 6
    changed = changed_frames(eight / first["video_key"], eight / edited["video_key"])
    assert changed, "the new picture shows"
    assert changed <= frames_of(timeline, [1, 2])
    assert not changed & frames_of(timeline, [0, 3])
    assert edited["duration"] == pytest.approx(first["duration"], abs=1 / FPS)


async def test_editing_one_caption_re_encodes_only_the_segment_it_shows_on(
    video: httpx.AsyncClient, eight: Path
) -> None:
    timeline = layout(DURATIONS)
    # Two words inside each scene, clear of the cross-fades.
    words = [w for i in range(4) for w in words_for(f"scene{i} words{i}", 2.0 * i + 0.7, 0.3)]
    subtitles = {"style": "boxed", "position": "bottom"}
    first = await render(video, body(IMAGES, words=words, subtitles=subtitles))
    assert (first["segments_encoded"], first["segments_reused"]) == (4, 0)

    retyped = [dict(w) for w in words]
    retyped[4]["word"] = "changed"  # the first word shown in scene 2
    edited = await render(video, body(IMAGES, words=retyped, subtitles=subtitles))
    assert (edited["segments_encoded"], edited["segments_reused"]) == (1, 3)
    changed = changed_frames(eight / first["video_key"], eight / edited["video_key"])
    assert changed, "the new caption shows"
    assert changed <= frames_of(timeline, [2])


async def test_scenes_moved_in_time_are_encoded_again_and_match_a_fresh_render(
    settings: Settings, video: httpx.AsyncClient, eight: Path, tmp_path: Path
) -> None:
    await render(video, body(IMAGES))
    # Scene 1 takes longer: scene 0 keeps its frames, every later one moves.
    moved = [2.0, 3.0, 1.5, 1.5]
    assert layout(moved).segments[0] == layout(DURATIONS).segments[0]
    again = await render(video, body(IMAGES, moved))
    assert again["segments_reused"] == 1
    assert again["segments_encoded"] == len(layout(moved).segments) - 1
    # The same request to a service that keeps no segments: the same frames.
    fresh_app = build_app(
        settings(video_parallel_segments=2, video_segment_cache_bytes=0, media_root=eight)
    )
    async with serve(fresh_app) as base, httpx.AsyncClient(base_url=base, timeout=120) as http:
        fresh = await render(http, body(IMAGES, moved))
    assert (fresh["segments_encoded"], fresh["segments_reused"]) == (len(layout(moved).segments), 0)
    assert changed_frames(eight / again["video_key"], eight / fresh["video_key"]) == set()


def overlaid(texts: list[str], extra: dict[int, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Eight scenes of 1.5 s on a timeline, a text overlay on each (and `extra` overlays)."""
    scenes = []
    for i, text in enumerate(texts):
        overlays: list[dict[str, Any]] = [
            {"type": "text", "text": text, "font_size": 90, "color": "#FFFF00",
             "position": {"x": 50, "y": 30}, "animation": "fadeIn"}
        ]  # fmt: skip
        if extra and i in extra:
            overlays.append(extra[i])
        scenes.append(
            {
                "id": f"s{i}",
                "background": {"key": IMAGES[i % len(IMAGES)]},
                "duration": 1.5,
                "overlays": overlays,
            }
        )
    return {
        "scenes": scenes,
        "template": "basic_fade",
        "output": {"resolution": "720p", "aspect": "1:1", "fps": FPS},
    }


async def test_a_text_overlay_edit_on_one_of_eight_scenes_touches_two_segments(
    video: httpx.AsyncClient, eight: Path
) -> None:
    timeline = layout([1.5] * 8, narration=None)
    assert len(timeline.segments) == 8
    texts = [f"Part {i}" for i in range(8)]

    async def timeline_render(request: dict[str, Any]) -> dict[str, Any]:
        response = await video.post("/timeline-render", json=request)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    first = await timeline_render(overlaid(texts))
    assert (first["segments_encoded"], first["segments_reused"]) == (8, 0)

    # Scene 3's text: its segment, and the next one (scene 3 fades out under scene 4).
    edited = await timeline_render(overlaid([*texts[:3], "Edited", *texts[4:]]))
    assert (edited["segments_encoded"], edited["segments_reused"]) == (2, 6)
    changed = changed_frames(eight / first["video_key"], eight / edited["video_key"], 12)
    assert changed, "the new text shows"
    assert changed <= frames_of(timeline, [3, 4])

    # A logo added to scene 6: one more layer, yet the segments before it keep their keys.
    logo = {"type": "image", "key": "img/b.jpg", "scale": 0.2, "position": {"x": 80, "y": 80}}
    added = await timeline_render(overlaid([*texts[:3], "Edited", *texts[4:]], {6: logo}))
    assert (added["segments_encoded"], added["segments_reused"]) == (2, 6)
    changed = changed_frames(eight / edited["video_key"], eight / added["video_key"], 12)
    assert changed <= frames_of(timeline, [6, 7])
