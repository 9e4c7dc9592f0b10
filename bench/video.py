"""Video service speed and memory: 60 s of 1080p30 from 8 scenes with Ken Burns, cross-fades,
narration, music and burned word-highlight subtitles, rendered through the real HTTP API; then
the same as a timeline with two text overlays (one fading in) and a logo on every scene, in
16:9 and in 9:16.

The service runs as its own uvicorn process. Printed: wall time, realtime factor, peak memory of
the service's whole process tree (uvicorn plus every FFmpeg it starts), output size; and, in
the same run, the time x264 alone takes to encode the same number of frames with the service's
own x264 arguments from pre-decoded frames.
Targets: >= 3x realtime (60 s in <= 20 s), <= 1.3x the bare encode, <= 400 MB peak.
Run: python -m bench.video [project|overlays|portrait ...] (all three by default)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil
from PIL import Image, ImageDraw, ImageFilter

from runtime.probe import probe
from services.video.ffmpeg import FFMPEG
from services.video.segments import Encoding
from services.video.settings import VideoSettings
from tests.support import free_port

SECONDS = 60.0
FPS = 30
SCENES = 8
# Bare-encode source: this many seconds of the rendered video decoded to raw frames once,
# then looped to the full frame count (all of it would be 5.6 GB of raw 1080p).
RAW_SECONDS = 10
QUIET = ["-hide_banner", "-loglevel", "error"]


class PeakMemory:
    """Samples RSS and PSS (shared pages split between processes) of a process and all its
    descendants every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.rss = 0
        self.pss = 0
        self.python = 0  # the service process alone (PSS)
        self.ffmpeg = 0  # the largest single FFmpeg (PSS)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        root = psutil.Process(self.pid)
        while not self._stop.is_set():
            rss = pss = 0
            for proc in [root, *root.children(recursive=True)]:
                try:
                    info = proc.memory_full_info()
                except psutil.Error:
                    continue
                rss += info.rss
                pss += info.pss
                if proc.pid == self.pid:
                    self.python = max(self.python, info.pss)
                else:
                    self.ffmpeg = max(self.ffmpeg, info.pss)
            self.rss, self.pss = max(self.rss, rss), max(self.pss, pss)
            self._stop.wait(0.05)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def make_images(folder: Path) -> list[str]:
    """Detailed test pictures in several sizes and aspects, portrait ones included."""
    rng = np.random.default_rng(7)
    keys = []
    sizes = [(1792, 1024), (1024, 1024), (1024, 1536), (1920, 1080)]
    for i in range(SCENES):
        width, height = sizes[i % len(sizes)]
        y, x = np.mgrid[0:height, 0:width]
        base = np.stack(
            [x / width * 200 + 6 * i, y / height * 180 + 40, (x + y) / (width + height) * 150],
            axis=-1,
        )
        pixels = np.clip(base + rng.normal(0, 10, (height, width, 3)), 0, 255).astype(np.uint8)
        image = Image.fromarray(pixels)
        draw = ImageDraw.Draw(image)
        for _ in range(60):
            cx, cy = int(rng.integers(0, width)), int(rng.integers(0, height))
            r = int(rng.integers(15, 220))
            colour = (
                int(rng.integers(0, 255)),
                int(rng.integers(0, 255)),
                int(rng.integers(0, 255)),
            )
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
        image = image.filter(ImageFilter.GaussianBlur(1.0))
        key = f"bench/scene-{i}.jpg"
        (folder / key).parent.mkdir(parents=True, exist_ok=True)
        image.save(folder / key, quality=90)
        keys.append(key)
    return keys


def make_narration(folder: Path) -> tuple[str, list[dict[str, float | str]], list[str]]:
    """Speech-like audio (voiced bursts with pauses) and one word timing per burst."""
    key = "bench/narration.mp3"
    voice = (
        "volume='if(lt(mod(t,0.42),0.3),1,0)':eval=frame,"
        "aformat=channel_layouts=mono,lowpass=f=3000"
    )
    subprocess.run(
        [FFMPEG, *QUIET, "-f", "lavfi", "-i", f"sine=f=180:d={SECONDS}", "-af", voice,
         "-c:a", "libmp3lame", "-b:a", "96k", "-y", str(folder / key)],
        check=True,
    )  # fmt: skip
    vocabulary = ["the", "quiet", "river", "carries", "every", "small", "stone", "toward", "a"]
    words: list[dict[str, float | str]] = []
    t, n = 0.05, 0
    while t + 0.3 < SECONDS:
        word = vocabulary[n % len(vocabulary)] + ("." if n % 9 == 8 else "")
        words.append({"word": word, "start": round(t, 3), "end": round(t + 0.3, 3)})
        t += 0.42
        n += 1
    per_scene = len(words) // SCENES
    sections = [
        " ".join(str(w["word"]) for w in words[i * per_scene : (i + 1) * per_scene])
        for i in range(SCENES)
    ]
    return key, words, sections


def make_logo(folder: Path) -> str:
    key = "bench/logo.png"
    logo = Image.new("RGBA", (400, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    draw.rounded_rectangle([0, 0, 399, 199], 40, fill=(240, 240, 255, 220))
    draw.ellipse([30, 30, 170, 170], fill=(220, 40, 60, 255))
    logo.save(folder / key)
    return key


def timeline_body(project: dict[str, Any], logo: str, aspect: str) -> dict[str, Any]:
    """The project render as a timeline, two text overlays and a logo on every scene."""
    overlays = [
        {"type": "text", "text": "Chapter title", "font_size": 72, "font_weight": "bold",
         "position": {"x": 50, "y": 12}, "animation": "fadeIn", "end": 4.0},
        {"type": "text", "text": "www.example.com", "font_size": 36, "color": "#FFE000",
         "position": {"x": 20, "y": 90}, "text_align": "left"},
        {"type": "image", "key": logo, "scale": 0.12, "position": {"x": 92, "y": 8}},
    ]  # fmt: skip
    return {
        "scenes": [
            {
                "id": f"s{i}",
                "background": {"key": s["image_key"]},
                "text": s["text"],
                "overlays": overlays,
            }
            for i, s in enumerate(project["scenes"])
        ],
        "narration_key": project["narration_key"],
        "words": project["words"],
        "template": project["template"],
        "music": {"mood": project["music"]},
        "output": {
            "resolution": "1080p",
            "aspect": aspect,
            "fps": FPS,
            "subtitles": project["subtitles"],
        },
    }


def bare_encode(
    video: Path, frames: int, size: tuple[int, int], settings: VideoSettings, work: Path
) -> dict[str, float]:
    """x264 alone on the same frames: decode RAW_SECONDS of the render to raw YUV once (not
    timed), then encode `frames` of it, looped, with the service's x264 arguments: once as one
    process with x264's own threads, once as two one-thread processes like the segments."""
    raw = work / "frames.yuv"
    subprocess.run(
        [FFMPEG, *QUIET, "-ss", "20", "-t", str(RAW_SECONDS), "-i", str(video),
         "-f", "rawvideo", "-pix_fmt", "yuv420p", "-y", str(raw)],
        check=True,
    )  # fmt: skip
    source = ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{size[0]}x{size[1]}", "-r", str(FPS)]
    results = {}
    for label, threads, procs in (("auto threads, 1 process", 0, 1), ("2 x 1 thread", 1, 2)):
        encoding = Encoding(settings.video_x264_preset, settings.video_crf, FPS, threads)
        started = time.perf_counter()
        running = [
            subprocess.Popen(
                [
                    FFMPEG,
                    *QUIET,
                    "-stream_loop",
                    "-1",
                    *source,
                    "-i",
                    str(raw),
                    "-frames:v",
                    str(frames // procs),
                    *encoding.args(),
                    "-f",
                    "mp4",
                    "-y",
                    str(work / f"bare-{k}.mp4"),
                ]
            )
            for k in range(procs)
        ]
        for proc in running:
            proc.wait()
        results[label] = time.perf_counter() - started
    raw.unlink()
    return results


def serve_subprocess(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "services.video.app:build_app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).raise_for_status()
            return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the video service did not start")


def run(variant: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        media = Path(tmp) / "media"
        media.mkdir()
        env = {
            "MEDIA_ROOT": str(media),
            "VIDEO_CACHE_DIR": str(Path(tmp) / "cache"),
            "LOG_LEVEL": "WARNING",
        }
        settings = VideoSettings(media_root=media)
        images = make_images(media)
        narration, words, sections = make_narration(media)
        body: dict[str, Any] = {
            "scenes": [{"image_key": k, "text": s} for k, s in zip(images, sections, strict=True)],
            "narration_key": narration,
            "words": words,
            "resolution": "1080p",
            "fps": FPS,
            "template": "ken_burns",
            "music": "cinematic",
            "subtitles": {"style": "tiktok_highlight", "position": "bottom"},
        }
        route = "/render"
        if variant != "project":
            route = "/timeline-render"
            aspect = "9:16" if variant == "portrait" else "16:9"
            body = timeline_body(body, make_logo(media), aspect)
        port = free_port()
        server = serve_subprocess(env, port)
        try:
            with PeakMemory(server.pid) as memory:
                started = time.perf_counter()
                response = httpx.post(f"http://127.0.0.1:{port}{route}", json=body, timeout=600)
                wall = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait()
        response.raise_for_status()
        video = media / response.json()["video_key"]
        info = probe(video)
        stream = info.first("video")
        assert stream is not None
        assert stream.width
        assert stream.height
        frames = round(info.duration * FPS)
        bare = bare_encode(video, frames, (stream.width, stream.height), settings, Path(tmp))
    args = Encoding(settings.video_x264_preset, settings.video_crf, FPS, 1).args()
    extra = ", two text overlays and a logo per scene" if variant != "project" else ""
    print(f"== {variant} ({route})")
    print(
        f"render: {info.duration:.2f} s of {stream.width}x{stream.height}@{FPS}, {SCENES} scenes, "
        "ken_burns + cross-fades, narration, music (first use: synthesised), word subtitles" + extra
    )
    print(f"x264: {' '.join(args[:6])} {' '.join(args[10:14])}; "
          f"{settings.video_parallel_segments} segment encoders in parallel")  # fmt: skip
    print(f"wall time            {wall:6.2f} s   (target <= {SECONDS / 3:.0f} s)")
    print(f"realtime factor      {info.duration / wall:6.2f} x   (target >= 3x)")
    print(f"peak memory (tree)   {memory.pss / 2**20:6.0f} MB PSS, {memory.rss / 2**20:.0f} MB RSS"
          "   (target <= 400 MB)")  # fmt: skip
    print(f"  of which: service process peak {memory.python / 2**20:.0f} MB PSS, "
          f"largest FFmpeg {memory.ffmpeg / 2**20:.0f} MB PSS")  # fmt: skip
    print(f"output size          {info.size / 2**20:6.2f} MB "
          f"({info.size * 8 / info.duration / 1e6:.1f} Mb/s)")  # fmt: skip
    for label, seconds in bare.items():
        print(f"x264 alone ({label}): {seconds:6.2f} s for {frames} frames; "
              f"render / bare = {wall / seconds:.2f} (target <= 1.3)")  # fmt: skip


VARIANTS = ("project", "overlays", "portrait")


def main() -> None:
    chosen = sys.argv[1:] or list(VARIANTS)
    unknown = [v for v in chosen if v not in VARIANTS]
    if unknown:
        raise SystemExit(f"unknown variant {unknown[0]!r}; use one of {', '.join(VARIANTS)}")
    for variant in chosen:
        run(variant)


if __name__ == "__main__":
    main()
