"""POST /lip-sync: the offline stand-in (the audio over the video, a talking avatar in the
corner) checked by its frames, and Sync's API v2 against its documented contract (POST
/v2/generate with x-api-key, a model and the inputs' URLs; GET /v2/generate/{id} until
COMPLETED with an outputUrl), mocked with respx."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import pytest
import respx

from contracts.audio import WordsFile, WordTiming
from runtime.probe import probe
from services.image.avatars import OUTFITS, PEOPLE, draw
from services.video.app import build_app
from services.video.ffmpeg import FFMPEG
from services.video.lipsync import pose_runs
from tests.support import serve
from tests.video.conftest import Settings, tone

SYNC = "https://api.sync.test/v2/generate"
POSES = {pose: f"avatars/amy/{pose}.png" for pose in ("closed", "open", "blink")}


def clip(path: Path, seconds: float, size: str = "640x360") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-f", "lavfi",
         "-i", f"testsrc2=size={size}:rate=25:duration={seconds}",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-y", str(path)],
        check=True,
    )  # fmt: skip


@pytest.fixture
def inputs(media: Path) -> Path:
    clip(media / "uploads/clip.mp4", 1.6)
    tone(media / "audio/speech.mp3", 3.0)
    tone(media / "audio/late.mp3", 3.0, silence_before=1.5)
    (media / "avatars/amy").mkdir(parents=True)
    for pose, key in POSES.items():
        draw(PEOPLE[0], OUTFITS[0], pose).save(media / key)  # type: ignore[arg-type]
    words = [WordTiming(word="one", start=0.5, end=1.0), WordTiming(word="two", start=2.0, end=2.6)]
    words_file = WordsFile(duration=3.0, timing_source="exact", words=words)
    (media / "audio/speech.json").write_text(words_file.model_dump_json())
    return media


def frame_at(path: Path, seconds: float) -> np.ndarray:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.time is not None and frame.time >= seconds:
                return frame.to_ndarray(format="rgb24").astype(int)
    raise AssertionError(f"no frame at {seconds}")


# The avatar is 40% of the 360 px height (144 px, 116 wide) with a 10 px margin, bottom
# right; its face (opaque, so the clip never shows through) spans these rows and columns.
FACE = (slice(240, 296), slice(550, 592))


def face_changes(a: np.ndarray, b: np.ndarray) -> int:
    """Pixels of the avatar's face that differ clearly between two frames."""
    return int((np.abs(a[FACE] - b[FACE]).max(axis=2) > 40).sum())


def outside_avatar(frame: np.ndarray) -> np.ndarray:
    return frame[:200, :500]


def test_poses_follow_speech_and_blink() -> None:
    runs = pose_runs(5.0, [(1.0, 1.5)])
    timeline: list[str] = []
    for pose, seconds in runs:
        timeline += [pose] * round(seconds / 0.04)
    assert len(timeline) == 125
    assert timeline[25:37] == ["open"] * 12
    assert set(timeline[:25]) == {"closed"}
    assert timeline[100:104] == ["blink"] * 4  # at 4 s


async def test_the_stand_in_talks_on_the_words_over_the_looped_video(
    client: httpx.AsyncClient, inputs: Path
) -> None:
    r = await client.post(
        "/lip-sync",
        json={
            "video_key": "uploads/clip.mp4",
            "audio_key": "audio/speech.mp3",
            "avatar": POSES,
            "words_key": "audio/speech.json",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["provider"], body["stand_in"]) == ("avatar", True)
    assert "not lip-sync" in body["description"]
    out = inputs / body["video_key"]
    info = probe(out)
    video = info.first("video")
    assert video is not None
    assert (video.width, video.height) == (640, 360)
    assert info.first("audio") is not None
    assert info.duration == pytest.approx(3.0, abs=0.15)  # the audio's length, video looped
    # The avatar's mouth opens on "one" (0.5-1.0 s) and is shut again at 1.8 s; the eyes
    # blink nowhere in these 3 s.
    shut_early, speaking, shut_late = frame_at(out, 0.19), frame_at(out, 0.6), frame_at(out, 1.79)
    assert face_changes(shut_early, shut_late) < 10
    assert face_changes(shut_early, speaking) > 40
    # The 1.6 s clip loops under it: 0.2 s and 1.8 s show the same picture, 0.6 s another.
    looped = np.abs(outside_avatar(shut_early) - outside_avatar(shut_late)).mean()
    moved = np.abs(outside_avatar(shut_early) - outside_avatar(speaking)).mean()
    assert looped < moved / 4, (looped, moved)


async def test_without_words_the_loudness_says_when_to_talk(
    client: httpx.AsyncClient, inputs: Path
) -> None:
    r = await client.post(
        "/lip-sync",
        json={"video_key": "uploads/clip.mp4", "audio_key": "audio/late.mp3", "avatar": POSES},
    )
    assert r.status_code == 200, r.text
    out = inputs / r.json()["video_key"]
    quiet_a, quiet_b, loud = frame_at(out, 0.3), frame_at(out, 1.2), frame_at(out, 2.2)
    assert face_changes(quiet_a, quiet_b) < 10
    assert face_changes(quiet_b, loud) > 40


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"video_key": "../etc/passwd", "audio_key": "audio/speech.mp3"}, 400, "video_key"),
        ({"video_key": "uploads/none.mp4", "audio_key": "audio/speech.mp3"}, 422, "no stored"),
        ({"video_key": "audio/speech.mp3", "audio_key": "audio/speech.mp3"}, 422, "no video"),
        ({"video_key": "uploads/clip.mp4", "audio_key": "audio/speech.mp3"}, 422, "avatar"),
    ],
)
async def test_bad_lip_sync_requests_are_refused_and_store_nothing(
    client: httpx.AsyncClient, inputs: Path, body: dict[str, Any], status: int, detail: str
) -> None:
    if "avatar" not in detail:
        body = {**body, "avatar": POSES}
    before = sorted(inputs.rglob("*"))
    r = await client.post("/lip-sync", json=body)
    assert r.status_code == status, r.text
    assert detail in r.json()["detail"]
    assert sorted(inputs.rglob("*")) == before


def sync_app(settings: Settings, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "video_lipsync_provider": "sync",
        "video_sync_api_key": "sk-sync",
        "video_sync_base_url": "https://api.sync.test",
        "video_sync_poll_seconds": 0.05,
        "video_sync_max_backoff_seconds": 0.05,
        **overrides,
    }
    return build_app(settings(**values))


async def test_sync_is_submitted_polled_and_fetched(
    settings: Settings, inputs: Path, respx_mock: respx.MockRouter, tmp_path: Path
) -> None:
    respx_mock.route(host="127.0.0.1").pass_through()
    synced = tmp_path / "synced.mp4"
    clip(synced, 2.0)
    submit = respx_mock.post(SYNC).respond(
        201, json={"id": "gen-1", "status": "PENDING", "createdAt": "2026-12-07T03:00:00Z"}
    )
    poll = respx_mock.get(f"{SYNC}/gen-1").mock(
        side_effect=[
            httpx.Response(200, json={"id": "gen-1", "status": "PROCESSING"}),
            httpx.Response(
                200,
                json={
                    "id": "gen-1",
                    "status": "COMPLETED",
                    "outputUrl": "https://cdn.sync.test/gen-1.mp4",
                    "outputDuration": 2.0,
                },
            ),
        ]
    )
    fetch = respx_mock.get("https://cdn.sync.test/gen-1.mp4").respond(
        200, content=synced.read_bytes()
    )
    async with (
        serve(sync_app(settings)) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
    ):
        r = await http.post(
            "/lip-sync",
            json={
                "video_key": "uploads/clip.mp4",
                "audio_key": "audio/speech.mp3",
                "video_url": "https://studio.test/media/uploads/clip.mp4?sig=1",
                "audio_url": "https://studio.test/media/audio/speech.mp3?sig=2",
            },
        )
    assert r.status_code == 200, r.text
    sent = submit.calls.last.request
    assert sent.headers["x-api-key"] == "sk-sync"
    assert json.loads(sent.content) == {
        "model": "lipsync-2",
        "input": [
            {"type": "video", "url": "https://studio.test/media/uploads/clip.mp4?sig=1"},
            {"type": "audio", "url": "https://studio.test/media/audio/speech.mp3?sig=2"},
        ],
        "options": {"sync_mode": "loop"},
    }
    assert poll.call_count == 2
    assert poll.calls.last.request.headers["x-api-key"] == "sk-sync"
    assert fetch.called
    body = r.json()
    assert (body["provider"], body["stand_in"]) == ("sync", False)
    assert (inputs / body["video_key"]).read_bytes() == synced.read_bytes()
    assert body["duration"] == pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize(
    ("generation", "status", "detail"),
    [
        ({"id": "gen-1", "status": "FAILED", "error": "no face"}, 422, "could not sync this video"),
        ({"id": "gen-1", "status": "COMPLETED"}, 502, "without an output URL"),
    ],
)
async def test_sync_failures_are_clear_and_store_nothing(
    settings: Settings,
    inputs: Path,
    respx_mock: respx.MockRouter,
    generation: dict[str, Any],
    status: int,
    detail: str,
) -> None:
    respx_mock.route(host="127.0.0.1").pass_through()
    respx_mock.post(SYNC).respond(201, json={"id": "gen-1", "status": "PENDING"})
    respx_mock.get(f"{SYNC}/gen-1").respond(200, json=generation)
    before = sorted(inputs.rglob("*"))
    async with (
        serve(sync_app(settings)) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
    ):
        r = await http.post(
            "/lip-sync",
            json={
                "video_key": "uploads/clip.mp4",
                "audio_key": "audio/speech.mp3",
                "video_url": "https://studio.test/v.mp4",
                "audio_url": "https://studio.test/a.mp3",
            },
        )
    assert r.status_code == status, r.text
    assert detail in r.json()["detail"]
    assert sorted(inputs.rglob("*")) == before


async def test_sync_without_a_key_says_so(settings: Settings, inputs: Path) -> None:
    app = sync_app(settings, video_sync_api_key=None)
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        r = await http.post(
            "/lip-sync", json={"video_key": "uploads/clip.mp4", "audio_key": "audio/speech.mp3"}
        )
    assert r.status_code == 503
    assert r.json()["detail"] == "Sync lip-sync is not configured: VIDEO_SYNC_API_KEY is unset"
