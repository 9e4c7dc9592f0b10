"""POST /timeline-render over real HTTP: overlays, backgrounds, audio layers and outputs checked
in the decoded frames and samples of the real FFmpeg output."""

from __future__ import annotations

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
from tests.video.conftest import tone
from tests.video.test_video_render import frames_at

GREY = (70, 70, 70)


def solid(path: Path, size: tuple[int, int], colour: tuple[int, ...], mode: str = "RGB") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, colour).save(path)


def flat(media: Path) -> None:
    """A grey background, and pictures to put on it."""
    rng = np.random.default_rng(5)
    noisy = np.clip(rng.normal(GREY[0], 3, (720, 1280, 3)), 0, 255).astype(np.uint8)
    (media / "bg").mkdir(parents=True, exist_ok=True)
    Image.fromarray(noisy).save(media / "bg/grey.png")
    solid(media / "pics/red.png", (200, 200), (230, 20, 20, 255), "RGBA")
    solid(media / "pics/blue.png", (200, 200), (20, 20, 230, 255), "RGBA")
    solid(media / "pics/closed.png", (200, 200), (20, 200, 20, 255), "RGBA")
    solid(media / "pics/open.png", (200, 200), (200, 20, 200, 255), "RGBA")


def scene(duration: float, **extra: Any) -> dict[str, Any]:
    return {"id": "s1", "background": {"key": "bg/grey.png"}, "duration": duration, **extra}


def timeline(*scenes: dict[str, Any], **output: Any) -> dict[str, Any]:
    return {
        "scenes": list(scenes),
        "template": "basic_fade",
        "output": {"resolution": "720p", "aspect": "1:1", "fps": 24, **output},
    }


def region(frame: np.ndarray, x: float, y: float, half: int = 60) -> np.ndarray:
    """The pixels around x, y percent of the frame."""
    h, w = frame.shape[:2]
    cx, cy = round(x * w / 100), round(y * h / 100)
    return frame[max(0, cy - half) : cy + half, max(0, cx - half) : cx + half]


def red_pixels(pixels: np.ndarray) -> int:
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return int(np.count_nonzero((r > 150) & (g < 90) & (b < 90)))


async def render(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/timeline-render", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_text_overlay_shows_in_its_region_from_its_start_and_not_before(
    client: httpx.AsyncClient, media: Path
) -> None:
    flat(media)
    text = {"type": "text", "text": "HELLO", "color": "#FF0000", "font_size": 120,
            "font_weight": "bold", "position": {"x": 50, "y": 25},
            "start": 1.0, "end": 2.0}  # fmt: skip
    body = await render(client, timeline(scene(3.0, overlays=[text]), watermark="FREE PLAN"))
    video = media / body["video_key"]
    before, during, after = frames_at(video, [0.5, 1.5, 2.6])
    assert red_pixels(region(before, 50, 25, 200)) == 0
    assert red_pixels(region(during, 50, 25, 200)) > 500
    assert red_pixels(region(after, 50, 25, 200)) == 0
    # Nowhere else: the lower half stays the grey background.
    assert red_pixels(during[400:600]) == 0
    assert np.abs(during[400:600, :300] - np.array(GREY)).mean() < 6
    # The watermark is drawn in the bottom right corner of every frame, whatever the tier.
    for frame in (before, during, after):
        corner = frame[-60:, -300:]
        assert corner.max() > 150
        assert np.abs(frame[:60, :300] - np.array(GREY)).mean() < 6


async def test_later_overlays_are_on_top_and_reordering_swaps_them(
    client: httpx.AsyncClient, media: Path
) -> None:
    flat(media)
    red = {"type": "image", "key": "pics/red.png", "scale": 0.3}
    blue = {"type": "image", "key": "pics/blue.png", "scale": 0.3, "position": {"x": 60, "y": 50}}
    colours = []
    for order in ([red, blue], [blue, red]):
        body = await render(client, timeline(scene(1.0, overlays=order)))
        (frame,) = frames_at(media / body["video_key"], [0.5])
        colours.append(region(frame, 55, 50, 10).reshape(-1, 3).mean(axis=0))
    # Where the two overlap, the later one shows.
    assert colours[0][2] > 180 > 60 > colours[0][0]
    assert colours[1][0] > 180 > 60 > colours[1][2]


async def test_entrance_animations_move_fade_and_type(
    client: httpx.AsyncClient, media: Path
) -> None:
    flat(media)
    common = {"type": "text", "color": "#FF0000", "font_size": 100, "start": 0.5,
              "animation_seconds": 1.0}  # fmt: skip
    overlays = [
        {**common, "text": "FADE", "animation": "fadeIn", "position": {"x": 50, "y": 18}},
        {**common, "text": "SLIDE", "animation": "slideUp", "position": {"x": 50, "y": 50}},
        {**common, "text": "TYPEWRITER", "animation": "typewriter", "font_size": 60,
         "position": {"x": 50, "y": 82}},
    ]  # fmt: skip
    body = await render(client, timeline(scene(2.5, overlays=overlays)))
    early, mid, late = frames_at(media / body["video_key"], [0.7, 1.0, 2.2])
    # fadeIn: partly transparent at first, opaque once the animation is over.
    assert region(early, 50, 18, 150)[..., 0].max() < region(late, 50, 18, 150)[..., 0].max() - 40

    # slideUp: below its place at first, in it at the end.
    def rows(frame: np.ndarray) -> float:
        band = frame[250:520]
        ys, _ = np.nonzero((band[..., 0] > 150) & (band[..., 1] < 90))
        assert ys.size > 0
        return float(ys.mean())

    assert rows(early) > rows(late) + 15
    # typewriter: more letters as time goes on.
    typed = [red_pixels(f[540:680]) for f in (early, mid, late)]
    assert 0 < typed[0] < typed[1] < typed[2]


async def test_portrait_render_is_1080x1920_with_the_picture_covering_it(
    client: httpx.AsyncClient, media: Path
) -> None:
    flat(media)
    body = await render(
        client,
        {**timeline(scene(1.0)), "output": {"resolution": "1080p", "aspect": "9:16", "fps": 24}},
    )
    info = probe(media / body["video_key"])
    stream = info.first("video")
    assert stream is not None
    assert (stream.width, stream.height) == (1080, 1920)
    assert (body["width"], body["height"]) == (1080, 1920)
    (frame,) = frames_at(media / body["video_key"], [0.5])
    # Cover: the grey picture reaches every edge (no bars).
    for strip in (frame[:20], frame[-20:], frame[:, :20], frame[:, -20:]):
        assert np.abs(strip - np.array(GREY)).mean() < 8


async def test_webm_is_vp9_and_opus_and_plays_through(
    client: httpx.AsyncClient, media: Path
) -> None:
    flat(media)
    body = await render(
        client,
        {
            **timeline(
                scene(1.0, id="a", overlays=[{"type": "text", "text": "One"}]),
                {**scene(1.0, id="b"), "background": {"key": "img/b.jpg"}},
                format="webm",
                aspect="16:9",
            ),
            "narration_key": "audio/narration.mp3",
        },
    )
    assert body["video_key"].endswith("/video.webm")
    video = media / body["video_key"]
    info = probe(video)
    v, a = info.first("video"), info.first("audio")
    assert v is not None
    assert a is not None
    assert (v.codec, v.width, v.height) == ("vp9", 1280, 720)
    assert a.codec == "opus"
    with av.open(str(video)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    with av.open(str(video)) as container:
        samples = sum(frame.samples for frame in container.decode(audio=0))
    narration = probe(media / "audio/narration.mp3").duration
    assert abs(frames - narration * 24) <= 1
    assert abs(samples / 48_000 - narration) < 0.1


def two_colour_clip(path: Path) -> None:
    """One second of video: red for half a second, then blue."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error",
         "-f", "lavfi", "-i", "color=c=red:s=320x240:r=24:d=0.5",
         "-f", "lavfi", "-i", "color=c=blue:s=320x240:r=24:d=0.5",
         "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", "-y", str(path)],
        check=True,
    )  # fmt: skip


async def test_a_video_background_is_trimmed_and_looped_to_its_scene(
    client: httpx.AsyncClient, media: Path
) -> None:
    flat(media)
    two_colour_clip(media / "clips/rb.mp4")
    clip = {"type": "video", "key": "clips/rb.mp4", "clip_start": 0.5}
    body = await render(client, timeline({**scene(2.0), "background": clip}))
    frames = frames_at(media / body["video_key"], [0.2, 0.7, 1.2, 1.7])
    colours = ["red" if f[360, 360, 0] > f[360, 360, 2] else "blue" for f in frames]
    # From half a second in (blue), then looped from its start (red).
    assert colours == ["blue", "red", "blue", "red"]


async def test_avatar_opens_its_mouth_while_a_word_is_spoken(
    client: httpx.AsyncClient, media: Path
) -> None:
    flat(media)
    avatar = {"type": "avatar", "pose_keys": ["pics/closed.png", "pics/open.png"],
              "scale": 0.3, "position": {"x": 50, "y": 60}}  # fmt: skip
    body = {
        **timeline(scene(2.0, overlays=[avatar])),
        "words": [{"word": "hello", "start": 0.8, "end": 1.3}],
    }
    result = await render(client, body)
    frames = frames_at(media / result["video_key"], [0.4, 1.0, 1.7])
    centres = [region(f, 50, 60, 10).reshape(-1, 3).mean(axis=0) for f in frames]
    closed, talking, closed_again = centres
    assert closed[1] > 150 > 60 > closed[0]
    assert talking[0] > 150 > 60 > talking[1]
    assert closed_again[1] > 150 > 60 > closed_again[0]


def rms(samples: np.ndarray, a: float, b: float, rate: int = 48_000) -> float:
    return float(np.sqrt(np.mean(samples[round(a * rate) : round(b * rate)] ** 2)))


def decoded_audio(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        chunks = [f.to_ndarray().mean(axis=0) for f in container.decode(audio=0)]
    return np.concatenate(chunks)


async def test_voiceovers_time_their_scenes_and_sounds_play_at_their_times(
    client: httpx.AsyncClient, media: Path
) -> None:
    flat(media)
    tone(media / "audio/one.mp3", 1.0, freq=500)
    tone(media / "audio/two.mp3", 1.5, freq=700)
    tone(media / "audio/beep.mp3", 3.0, freq=3000)
    sound = {"type": "sound", "key": "audio/beep.mp3", "start": 0.5, "end": 1.0,
             "volume": 1, "duck": False}  # fmt: skip
    body = {
        "scenes": [
            {"id": "a", "background": {"key": "bg/grey.png"}, "voiceover_key": "audio/one.mp3"},
            {"id": "b", "background": {"key": "bg/grey.png"}, "voiceover_key": "audio/two.mp3",
             "audio": [sound]},
            {"id": "c", "background": {"key": "bg/grey.png"}, "duration": 1.0},
        ],
        "template": "basic_fade",
        "output": {"resolution": "720p", "aspect": "1:1", "fps": 24},
    }  # fmt: skip
    result = await render(client, body)
    assert [(s["start"], s["end"]) for s in result["scenes"]] == [
        (0, 1.0),
        (1.0, pytest.approx(2.5, abs=0.05)),
        (pytest.approx(2.5, abs=0.05), pytest.approx(3.5, abs=0.05)),
    ]
    samples = decoded_audio(media / result["video_key"])
    assert len(samples) / 48_000 == pytest.approx(3.5, abs=0.05)
    spectrum_beep = np.abs(np.fft.rfft(samples[round(1.6 * 48_000) : round(1.9 * 48_000)]))
    spectrum_voice = np.abs(np.fft.rfft(samples[round(2.1 * 48_000) : round(2.4 * 48_000)]))
    freqs = np.fft.rfftfreq(round(0.3 * 48_000), 1 / 48_000)
    beep = (freqs > 2900) & (freqs < 3100)
    # The sound plays from 0.5 s to 1.0 s of the second scene (1.5-2.0 s), not after.
    assert spectrum_beep[beep].max() > 20 * spectrum_voice[beep].max()
    # The last scene has no voiceover: silence.
    assert rms(samples, 2.6, 3.4) < 0.01 < rms(samples, 0.2, 0.8)
