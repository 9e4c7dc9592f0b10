"""Regenerate only what changed: bench.video's 60 s 1080p30 video of 8 scenes (Ken Burns,
cross-fades, narration, music, word subtitles), with a text overlay on every scene, rendered
once into an empty segment cache through POST /timeline-render, then again after one scene is
edited, through the real HTTP API of one video service process.

Edits: one scene's text overlay retyped (the target: its segment and the cross-fade out of it
are encoded again), one scene's picture replaced (the same two), and one word of one scene's
captions retyped (its segment alone). The music loop is synthesised before the clock starts,
so the full render is not flattered by a first use.
Printed: wall times, regenerate / full (target <= 25%), segments encoded and reused, and the
CPU seconds of the service and its FFmpegs (steadier than wall time on a shared machine).
Run: python -m bench.regenerate
"""

from __future__ import annotations

import copy
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.video import FPS, SCENES, make_images, make_narration, serve_subprocess
from services.video.music import music_loop
from tests.support import free_port

MOOD = "cinematic"


def cpu_seconds(process: psutil.Process) -> float:
    """CPU time of the process and of its children that have exited (the FFmpegs)."""
    times = process.cpu_times()
    return times.user + times.system + times.children_user + times.children_system


def timed_render(
    server: psutil.Process, port: int, body: dict[str, Any]
) -> tuple[float, float, dict[str, Any]]:
    cpu = cpu_seconds(server)
    started = time.perf_counter()
    response = httpx.post(f"http://127.0.0.1:{port}/timeline-render", json=body, timeout=600)
    wall = time.perf_counter() - started
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return wall, cpu_seconds(server) - cpu, result


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        media = Path(tmp) / "media"
        media.mkdir()
        cache = Path(tmp) / "cache"
        music_loop(MOOD, cache)
        images = make_images(media)
        narration, words, sections = make_narration(media)
        body: dict[str, Any] = {
            "scenes": [
                {
                    "id": f"scene-{i}",
                    "background": {"key": key},
                    "text": section,
                    "overlays": [
                        {
                            "type": "text",
                            "text": f"Chapter {i + 1}",
                            "font_size": 96,
                            "font_weight": "bold",
                            "position": {"x": 50, "y": 20},
                            "animation": "slideUp",
                        }
                    ],
                }
                for i, (key, section) in enumerate(zip(images, sections, strict=True))
            ],
            "narration_key": narration,
            "words": words,
            "template": "ken_burns",
            "music": {"mood": MOOD},
            "output": {
                "resolution": "1080p",
                "fps": FPS,
                "subtitles": {"style": "tiktok_highlight", "position": "bottom"},
            },
        }
        overlay = copy.deepcopy(body)
        overlay["scenes"][3]["overlays"][0]["text"] = "A new title"
        picture = copy.deepcopy(body)
        # Scene 3 shows scene 5's picture: a new canvas for one scene.
        picture["scenes"][3]["background"]["key"] = images[5]
        caption = copy.deepcopy(body)
        middle = len(words) * 3 // SCENES + len(words) // (2 * SCENES)
        caption["words"][middle]["word"] = "retyped"
        env = {"MEDIA_ROOT": str(media), "VIDEO_CACHE_DIR": str(cache), "LOG_LEVEL": "WARNING"}
        port = free_port()
        server = serve_subprocess(env, port)
        process = psutil.Process(server.pid)
        try:
            full, full_cpu, first = timed_render(process, port, body)
            runs = [
                ("one scene's text overlay", *timed_render(process, port, overlay)),
                ("one scene's picture", *timed_render(process, port, picture)),
                ("one word of a caption", *timed_render(process, port, caption)),
            ]
        finally:
            server.terminate()
            server.wait()
    print(
        f"60 s 1080p{FPS}, {SCENES} scenes, ken_burns + cross-fades, a text overlay per scene, "
        "narration, music, word subtitles; one video service process"
    )
    total = first["segments_encoded"] + first["segments_reused"]
    print(
        f"full render (empty cache)          {full:6.2f} s wall, {full_cpu:6.1f} s CPU; "
        f"segments encoded {first['segments_encoded']} of {total}"
    )
    for label, wall, cpu, result in runs:
        print(
            f"regenerate: {label:<24} {wall:6.2f} s wall, {cpu:6.1f} s CPU = "
            f"{wall / full:4.0%} of the full render's wall time (target <= 25%), "
            f"{cpu / full_cpu:4.0%} of its CPU; segments encoded {result['segments_encoded']}, "
            f"reused {result['segments_reused']}"
        )


if __name__ == "__main__":
    main()
