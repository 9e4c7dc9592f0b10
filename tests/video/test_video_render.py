"""POST /render over real HTTP, outputs checked with FFmpeg's demuxers and decoded frames."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import pytest
from PIL import Image

from runtime.probe import probe
from services.video.ffmpeg import FFMPEG
from services.video.soundtrack import integrated_loudness
from tests.video.conftest import tone, words_for

BASE: dict[str, Any] = {
    "scenes": [{"image_key": "img/a.jpg"}, {"image_key": "img/b.jpg"}],
    "narration_key": "audio/narration.mp3",
    "resolution": "720p",
    "aspect": "1:1",
    "fps": 24,
}


def frames_at(path: Path, seconds: list[float]) -> list[np.ndarray]:
    """Decoded RGB frames nearest to each time."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        decoded = [
            (float(frame.time or 0.0), frame.to_ndarray(format="rgb24"))
            for frame in container.decode(stream)
        ]
    return [min(decoded, key=lambda f: abs(f[0] - t))[1].astype(np.int16) for t in seconds]


def top_level_boxes(path: Path) -> list[str]:
    boxes, data, offset = [], path.read_bytes(), 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        boxes.append(kind.decode("latin-1"))
        offset += size if size else len(data)
    return boxes


async def test_render_is_an_mp4_that_ends_with_the_narration(
    client: httpx.AsyncClient, media: Path
) -> None:
    response = await client.post("/render", json={**BASE, "music": "soft", "render_id": "r-1"})
    assert response.status_code == 200, response.text
    body = response.json()
    video = media / body["video_key"]
    assert body["video_key"].startswith("videos/")
    assert body["video_key"].endswith("/video.mp4")
    info = probe(video)
    v, a = info.first("video"), info.first("audio")
    assert v is not None
    assert a is not None
    narration = probe(media / "audio/narration.mp3").duration
    assert abs(info.duration - narration) <= 1 / 24
    assert v.duration is not None
    assert abs(v.duration - narration) <= 1 / 24
    assert (v.codec, v.width, v.height, v.fps, v.pix_fmt) == ("h264", 720, 720, 24.0, "yuv420p")
    assert v.color_primaries == 1  # BT.709
    assert (a.codec, a.channels, a.sample_rate) == ("aac", 2, 48000)
    boxes = top_level_boxes(video)
    assert boxes.index("moov") < boxes.index("mdat"), "faststart: index before media"
    assert body["duration"] == pytest.approx(info.duration, abs=0.01)
    assert body["scenes"][0]["start"] == 0
    assert body["scenes"][-1]["end"] == pytest.approx(info.duration, abs=1 / 24)
    thumb = Image.open(media / body["thumbnail_key"])
    assert thumb.format == "JPEG"
    assert thumb.width > 0
    progress = (await client.get("/renders/r-1")).json()
    assert progress["stage"] == "done"
    assert progress["percent"] == 100
    assert progress["video_key"] == body["video_key"]


async def test_ken_burns_moves_even_when_the_image_fits_the_frame(
    client: httpx.AsyncClient, media: Path
) -> None:
    # img/a.jpg is square like the 1:1 frame: nothing to pan over without zooming.
    body = {**BASE, "scenes": [{"image_key": "img/a.jpg"}], "template": "ken_burns"}
    response = await client.post("/render", json=body)
    assert response.status_code == 200, response.text
    first, middle, last = frames_at(media / response.json()["video_key"], [0.0, 1.5, 2.9])
    assert np.abs(first - middle).mean() > 4
    assert np.abs(middle - last).mean() > 4


@pytest.mark.parametrize("template", ["basic_fade", "slide_left", "wipe_up", "fade_black"])
async def test_transitions_keep_the_total_duration(
    client: httpx.AsyncClient, media: Path, template: str
) -> None:
    scenes = [{"image_key": k} for k in ("img/a.jpg", "img/b.jpg", "img/portrait.jpg")]
    body = {**BASE, "scenes": scenes, "template": template}
    response = await client.post("/render", json=body)
    assert response.status_code == 200, response.text
    info = probe(media / response.json()["video_key"])
    assert abs(info.duration - probe(media / "audio/narration.mp3").duration) <= 1 / 24
    with av.open(str(media / response.json()["video_key"])) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == round(3.0 * 24)


async def test_burned_subtitles_change_the_pixels_of_their_region(
    client: httpx.AsyncClient, media: Path
) -> None:
    words = words_for("captions must be readable on every picture", 0.2, 0.3)
    plain = await client.post("/render", json={**BASE, "template": "basic_fade"})
    subbed = await client.post(
        "/render",
        json={
            **BASE,
            "template": "basic_fade",
            "words": words,
            "subtitles": {"style": "boxed", "position": "bottom"},
        },
    )
    assert plain.status_code == subbed.status_code == 200, subbed.text
    (a,) = frames_at(media / plain.json()["video_key"], [1.0])
    (b,) = frames_at(media / subbed.json()["video_key"], [1.0])
    bottom = np.abs(a[-200:] - b[-200:]).mean()
    top = np.abs(a[:200] - b[:200]).mean()
    assert bottom > 10 * max(top, 0.5), (bottom, top)


async def test_beside_the_captions_the_picture_shows_through(
    client: httpx.AsyncClient, media: Path
) -> None:
    words = words_for("captions must be readable on every picture", 0.2, 0.3)
    plain = await client.post("/render", json={**BASE, "template": "basic_fade"})
    subbed = await client.post(
        "/render",
        json={
            **BASE,
            "template": "basic_fade",
            "words": words,
            "subtitles": {"style": "tiktok_highlight", "position": "bottom"},
        },
    )
    assert plain.status_code == subbed.status_code == 200, subbed.text
    (a,) = frames_at(media / plain.json()["video_key"], [1.0])
    (b,) = frames_at(media / subbed.json()["video_key"], [1.0])
    # The band the captions are drawn on is transparent: its edges are the picture's.
    beside = np.abs(a[-200:, :16] - b[-200:, :16]).mean()
    assert beside < 3, beside


def band_level(samples: np.ndarray, rate: int, low: float, high: float) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    return float(np.sqrt(np.mean(spectrum[(freqs >= low) & (freqs < high)] ** 2)))


async def test_music_is_ducked_under_speech_and_loudness_is_normalised(
    client: httpx.AsyncClient, media: Path
) -> None:
    # Silence for 2.5 s, then a 3 kHz "voice": the music's low band alone, then under speech.
    tone(media / "audio/late.mp3", 5.0, silence_before=2.5, freq=3000)
    body = {**BASE, "narration_key": "audio/late.mp3", "music": "ambient", "music_volume": 1}
    response = await client.post("/render", json=body)
    assert response.status_code == 200, response.text
    path = media / response.json()["video_key"]
    with av.open(str(path)) as container:
        rate = container.streams.audio[0].rate
        chunks = [f.to_ndarray().mean(axis=0) for f in container.decode(audio=0)]
    audio = np.concatenate(chunks)
    alone = band_level(audio[int(1.2 * rate) : int(2.3 * rate)], rate, 40, 1500)
    under = band_level(audio[int(3.2 * rate) : int(4.3 * rate)], rate, 40, 1500)
    assert under < alone / 2, (alone, under)
    measured = subprocess.run(
        [FFMPEG, "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a",
         "-af", "ebur128=framelog=quiet", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    assert integrated_loudness(measured) == pytest.approx(-14.0, abs=1.0)


async def test_scenes_follow_the_sections_of_the_word_timings(
    client: httpx.AsyncClient, media: Path
) -> None:
    words = words_for("one two three four five six", 0.1, 0.45)
    scenes = [
        {"image_key": "img/a.jpg", "text": "One two three four."},
        {"image_key": "img/b.jpg", "text": "Five six."},
    ]
    response = await client.post(
        "/render", json={**BASE, "scenes": scenes, "words": words, "template": "zoom_in"}
    )
    assert response.status_code == 200, response.text
    timings = response.json()["scenes"]
    assert timings[1]["start"] == pytest.approx(words[4]["start"], abs=1 / 24)
    assert timings[1]["end"] == pytest.approx(3.0, abs=1 / 24)


async def test_durations_are_scaled_to_the_narration(
    client: httpx.AsyncClient, media: Path
) -> None:
    scenes = [{"image_key": "img/a.jpg", "duration": 1}, {"image_key": "img/b.jpg", "duration": 3}]
    response = await client.post("/render", json={**BASE, "scenes": scenes})
    assert response.status_code == 200, response.text
    timings = response.json()["scenes"]
    assert timings[1]["start"] == pytest.approx(0.75, abs=1 / 24)


async def test_contain_keeps_a_portrait_image_whole_over_a_blurred_fill(
    client: httpx.AsyncClient, media: Path
) -> None:
    body = {
        **BASE,
        "aspect": "16:9",
        "scenes": [{"image_key": "img/portrait.jpg"}],
        "template": "basic_fade",
        "fit": "contain",
    }
    response = await client.post("/render", json=body)
    assert response.status_code == 200, response.text
    (frame,) = frames_at(media / response.json()["video_key"], [1.0])
    assert frame.shape == (720, 1280, 3)
    # The side bands are the blurred fill: far smoother than the picture in the middle.
    side = np.abs(np.diff(frame[:, :150], axis=1)).mean()
    centre = np.abs(np.diff(frame[:, 500:780], axis=1)).mean()
    assert side < centre / 3, (side, centre)


async def test_burn_subtitles_makes_a_new_video(client: httpx.AsyncClient, media: Path) -> None:
    first = await client.post("/render", json={**BASE, "template": "basic_fade"})
    assert first.status_code == 200, first.text
    srt = "1\n00:00:00,200 --> 00:00:02,500\nHello from an SRT file\n"
    (media / "subs").mkdir()
    (media / "subs/a.srt").write_text(srt)
    response = await client.post(
        "/burn-subtitles",
        json={
            "video_key": first.json()["video_key"],
            "subtitles": {"file_key": "subs/a.srt", "style": "classic", "position": "top"},
        },
    )
    assert response.status_code == 200, response.text
    burned = response.json()
    assert burned["video_key"] != first.json()["video_key"]
    info = probe(media / burned["video_key"])
    assert abs(info.duration - first.json()["duration"]) <= 1 / 24
    assert info.first("audio") is not None
    (a,) = frames_at(media / first.json()["video_key"], [1.0])
    (b,) = frames_at(media / burned["video_key"], [1.0])
    assert np.abs(a[:200] - b[:200]).mean() > 10 * max(np.abs(a[-200:] - b[-200:]).mean(), 0.5)


async def test_a_watermark_marks_the_bottom_right_corner_of_every_frame(
    client: httpx.AsyncClient, media: Path
) -> None:
    two_scenes = {**BASE, "template": "basic_fade"}
    plain = await client.post("/render", json=two_scenes)
    marked = await client.post("/render", json={**two_scenes, "watermark": "AI Video Studio"})
    assert plain.status_code == marked.status_code == 200, marked.text
    info = probe(media / marked.json()["video_key"])
    assert abs(info.duration - probe(media / plain.json()["video_key"]).duration) <= 1 / 24
    times = [0.2, 1.4, 2.8]  # both scenes and the last frames
    for a, b in zip(
        frames_at(media / plain.json()["video_key"], times),
        frames_at(media / marked.json()["video_key"], times),
        strict=True,
    ):
        corner = np.abs(a[-60:, -300:] - b[-60:, -300:]).mean()
        rest = np.abs(a[:-200, :400] - b[:-200, :400]).mean()
        assert corner > 10 * max(rest, 0.5), (corner, rest)


async def test_a_bad_watermark_is_422(client: httpx.AsyncClient) -> None:
    for mark, detail in (
        ("", "watermark: String should have at least 1 character"),
        ("x" * 41, "watermark: String should have at most 40 characters"),
        ("a\x00b", "watermark: Text must not contain NUL characters"),
    ):
        r = await client.post("/render", json={**BASE, "watermark": mark})
        assert (r.status_code, r.json()["detail"]) == (422, detail)
