"""A timeline's media fetched and prepared: backgrounds (fitted stills, probed clips), overlay
pictures, the speech track of per-scene voiceovers and the audio beds."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from contracts.errors import ApiError
from contracts.timeline import Timeline
from services.video.canvas import NotAnImage, fit_picture
from services.video.ffmpeg import run_ffmpeg
from services.video.graph import Clip, Source, Still
from services.video.inputs import Inputs
from services.video.motion import canvas_size
from services.video.music import music_loop
from services.video.soundtrack import SAMPLE_RATE, Bed, music_bed
from services.video.tasks import together
from services.video.timeline import Plan


async def backgrounds(
    inputs: Inputs, timeline: Timeline, size: tuple[int, int], work: Path
) -> list[Source]:
    """Each scene's background: image canvases fitted once per (key, fit), clips probed."""
    scenes = timeline.scenes
    stills = [i for i, s in enumerate(scenes) if s.background.type == "image"]
    clips = [i for i, s in enumerate(scenes) if s.background.type == "video"]
    sources: dict[int, Source] = {}

    async def images() -> None:
        canvases = await inputs.canvases(
            [(f"scenes[{i}].background.key", scenes[i].background.key) for i in stills],
            [scenes[i].background.fit for i in stills],
            canvas_size(*size),
            work,
        )
        sources.update((i, Still(path)) for i, path in zip(stills, canvases, strict=True))

    async def clip(i: int) -> None:
        background = scenes[i].background
        field = f"scenes[{i}].background.key"
        path = work / f"clip-{i}"
        await inputs.fetch(background.key, field, path, inputs.settings.video_max_video_bytes)
        info = await inputs.media(path, field, background.key, "video")
        inputs.check_duration(info.duration, field)
        if background.clip_start >= info.duration:
            raise ApiError(
                422,
                f"scenes[{i}].background.clip_start: {background.clip_start} s is past the "
                f"clip's end ({info.duration:.2f} s)",
            )
        sources[i] = Clip(path, background.clip_start, info.duration, background.fit)

    await together(images(), *(clip(i) for i in clips))
    return [sources[i] for i in range(len(scenes))]


class Pictures:
    """Overlay pictures fetched once per key and fitted once per (key, box, opacity)."""

    def __init__(self, inputs: Inputs, work: Path) -> None:
        self.inputs = inputs
        self.work = work
        self._fetched: dict[str, asyncio.Task[Path]] = {}
        self._made: dict[tuple[str, tuple[int, int], float], tuple[Path, tuple[int, int]]] = {}
        self._count = itertools.count()

    async def _source(self, key: str, field: str) -> Path:
        if key not in self._fetched:
            path = self.work / f"picture-src-{next(self._count)}"
            limit = self.inputs.settings.video_max_image_bytes
            self._fetched[key] = asyncio.ensure_future(self._fetch(key, field, path, limit))
        return await self._fetched[key]

    async def _fetch(self, key: str, field: str, path: Path, limit: int) -> Path:
        await self.inputs.fetch(key, field, path, limit)
        return path

    async def get(
        self, key: str, field: str, box: tuple[int, int], opacity: float
    ) -> tuple[Path, tuple[int, int]]:
        wanted = (key, box, opacity)
        if wanted not in self._made:
            src = await self._source(key, field)
            dest = self.work / f"picture-{next(self._count)}.png"
            pixels = self.inputs.settings.video_max_image_pixels
            try:
                made = await asyncio.to_thread(fit_picture, src, dest, box, opacity, pixels)
            except NotAnImage:
                raise ApiError(422, f"{field}: {key} is not a readable image") from None
            self._made[wanted] = (dest, made)
        return self._made[wanted]


async def voiceovers(
    inputs: Inputs, timeline: Timeline, work: Path
) -> dict[int, tuple[Path, float]]:
    """Each scene's voiceover, fetched and probed: its file and length in seconds."""
    found: dict[int, tuple[Path, float]] = {}

    async def one(i: int, key: str) -> None:
        field = f"scenes[{i}].voiceover_key"
        path = work / f"voiceover-{i}"
        await inputs.fetch(key, field, path, inputs.settings.video_max_audio_bytes)
        info = await inputs.media(path, field, key, "audio")
        stream = info.first("audio")
        seconds = (stream.duration if stream and stream.duration else None) or info.duration
        inputs.check_duration(seconds, field)
        found[i] = (path, seconds)

    await together(
        *(
            one(i, scene.voiceover_key)
            for i, scene in enumerate(timeline.scenes)
            if scene.voiceover_key is not None
        )
    )
    return found


async def speech_track(
    voiced: dict[int, tuple[Path, float]], plan: Plan, dest: Path, time_limit: float
) -> None:
    """The voiceovers one after another, each from its scene's start (silence elsewhere)."""
    args: list[str] = []
    chains: list[str] = []
    fps = plan.fps
    for i, (a, b) in enumerate(itertools.pairwise(plan.boundaries)):
        length = (b - a) / fps
        if i in voiced:
            args += ["-i", str(voiced[i][0])]
            source = (
                f"[{len(args) // 2 - 1}:a]aresample={SAMPLE_RATE},"
                "aformat=sample_fmts=fltp:channel_layouts=stereo,apad"
            )
        else:
            source = f"anullsrc=r={SAMPLE_RATE}:cl=stereo"
        chains.append(f"{source},atrim=end={length:.6f}[p{i}]")
    pieces = "".join(f"[p{i}]" for i in range(len(plan.boundaries) - 1))
    chains.append(f"{pieces}concat=n={len(plan.boundaries) - 1}:v=0:a=1[speech]")
    await run_ffmpeg(
        [*args, "-filter_complex", ";".join(chains), "-map", "[speech]", "-c:a", "pcm_s16le",
         "-y", str(dest)],
        time_limit=time_limit,
    )  # fmt: skip


async def beds(inputs: Inputs, timeline: Timeline, plan: Plan, work: Path) -> list[Bed]:
    """The music under the whole timeline, then every scene's audio layers at their times."""
    settings = inputs.settings
    duration = plan.duration
    found: list[Bed] = []
    music = timeline.music
    if music is not None and music.mood is not None:
        loop = await asyncio.to_thread(music_loop, music.mood, settings.video_cache_dir)
        found.append(music_bed(loop, duration=duration, volume=music.volume))
    elif music is not None and music.key is not None:
        path = work / "music"
        await inputs.fetch(music.key, "music.key", path, settings.video_max_audio_bytes)
        await inputs.media(path, "music.key", music.key, "audio")
        found.append(music_bed(path, duration=duration, volume=music.volume, gain=1.0))
    fps = plan.fps
    for i, scene in enumerate(timeline.scenes):
        start, end = plan.boundaries[i] / fps, plan.boundaries[i + 1] / fps
        for j, layer in enumerate(scene.audio):
            field = f"scenes[{i}].audio[{j}]"
            if start + layer.start >= end:
                raise ApiError(
                    422,
                    f"{field}.start: {layer.start} s is after its scene's end "
                    f"({end - start:.2f} s); use 0-{end - start:.2f}",
                )
            path = work / f"sound-{i}-{j}"
            await inputs.fetch(layer.key, f"{field}.key", path, settings.video_max_audio_bytes)
            await inputs.media(path, f"{field}.key", layer.key, "audio")
            last = end if layer.end is None else min(end, start + layer.end)
            found.append(
                Bed(
                    path,
                    layer.volume,
                    start + layer.start,
                    last,
                    fade_in=layer.fade_in,
                    fade_out=layer.fade_out,
                    duck=layer.duck,
                    loop=layer.type == "music",
                )
            )
    return found
