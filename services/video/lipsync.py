"""Lip-sync: a video made to speak an audio track, by a cloud provider or an offline stand-in.

Sync (sync.so) moves the lips of the person in the video: a generation is submitted with the
two inputs' URLs, polled until it ends, and its output downloaded. Offline nothing can move a
filmed mouth, so the stand-in says what it is: it lays the audio over the video (looped to the
audio's length) and puts a presenter avatar in the corner whose mouth opens while words are
spoken (the narration's word timings, or the audio's loudness when it has none) and who blinks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

import av
import httpx
import numpy as np
from pydantic import ValidationError

from contracts.ai_media import LipSyncProviderName, LipSyncRequest, LipSyncResponse
from contracts.audio import WordsFile
from contracts.errors import ApiError
from runtime.probe import MediaInfo, NotMedia, probe
from runtime.storage import Storage
from runtime.upstream import ProviderHttp
from services.video.ffmpeg import FfmpegFailed, run_ffmpeg
from services.video.settings import VideoSettings

log = logging.getLogger("video.lipsync")
# The avatar's poses are sampled this often; a mouth moves at most this fast.
POSE_STEP = 0.04
# Loudness (RMS of full scale) above which the audio counts as speech, over windows of a step.
SPEECH_RMS = 0.02
BLINK_EVERY = 4.0
BLINK_SECONDS = 0.16
# The avatar's height as a share of the video's, and its margin from the corner.
AVATAR_SHARE = 0.4
MARGIN_SHARE = 0.03
Intervals = list[tuple[float, float]]


@contextlib.asynccontextmanager
async def _workdir(parent: Path | None) -> AsyncIterator[Path]:
    if parent is not None:
        await asyncio.to_thread(parent.mkdir, parents=True, exist_ok=True)
    path = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="lipsync-", dir=parent))
    try:
        yield path
    finally:
        await asyncio.to_thread(shutil.rmtree, path, True)


async def _probe(path: Path, field: str, kind: str) -> MediaInfo:
    try:
        info = await asyncio.to_thread(probe, path)
    except NotMedia:
        raise ApiError(422, f"{field} is not a readable media file") from None
    if info.first(kind) is None:
        raise ApiError(422, f"{field} has no {kind} stream")
    return info


def loud_intervals(path: Path, step: float = POSE_STEP) -> Intervals:
    """Where the audio is loud enough to be speech (blocking: decodes the whole file)."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.rate
        chunks = [frame.to_ndarray().astype(np.float64) for frame in container.decode(stream)]
    if not chunks:
        return []
    samples = np.concatenate([c.mean(axis=0) if c.ndim > 1 else c for c in chunks])
    if np.abs(samples).max() > 1.5:  # integer samples: scale to full scale 1.0
        samples = samples / 32768.0
    window = max(int(rate * step), 1)
    count = len(samples) // window
    if count == 0:
        return []
    rms = np.sqrt(np.mean(samples[: count * window].reshape(count, window) ** 2, axis=1))
    intervals: Intervals = []
    for index in np.nonzero(rms > SPEECH_RMS)[0]:
        start = float(index * step)
        if intervals and abs(intervals[-1][1] - start) < 1e-6:
            intervals[-1] = (intervals[-1][0], start + step)
        else:
            intervals.append((start, start + step))
    return intervals


def pose_runs(
    duration: float, talking: Intervals, step: float = POSE_STEP
) -> list[tuple[str, float]]:
    """(pose, seconds) runs covering `duration`: open while talking, a blink every few
    seconds when the mouth is shut, closed otherwise."""
    runs: list[tuple[str, float]] = []
    spans = sorted(talking)
    span = 0
    for index in range(max(round(duration / step), 1)):
        t = index * step
        while span < len(spans) and spans[span][1] <= t:
            span += 1  # time only moves on: the spans already past are never looked at again
        if span < len(spans) and spans[span][0] <= t:
            pose = "open"
        elif t % BLINK_EVERY < BLINK_SECONDS and t >= BLINK_SECONDS:
            pose = "blink"
        else:
            pose = "closed"
        if runs and runs[-1][0] == pose:
            runs[-1] = (pose, runs[-1][1] + step)
        else:
            runs.append((pose, step))
    return runs


def concat_script(runs: list[tuple[str, float]], files: dict[str, Path]) -> str:
    lines = ["ffconcat version 1.0"]
    for pose, seconds in runs:
        lines += [f"file '{files[pose]}'", f"duration {seconds:.3f}"]
    # The concat demuxer takes the last file's duration only when it is listed again.
    lines.append(f"file '{files[runs[-1][0]]}'")
    return "\n".join(lines) + "\n"


class LipSyncProvider(Protocol):
    name: LipSyncProviderName
    stand_in: bool
    description: str

    async def lip_sync(self, request: LipSyncRequest, work: Path) -> Path: ...

    async def aclose(self) -> None: ...


class AvatarStandIn:
    name: LipSyncProviderName = "avatar"
    stand_in = True
    description = (
        "Offline stand-in, not lip-sync: the audio is laid over the video and a presenter "
        "avatar in the corner talks (its mouth opens on the spoken words, it blinks). The "
        "lips in the video itself do not move; a cloud lip-sync provider does that."
    )

    def __init__(self, settings: VideoSettings, storage: Storage) -> None:
        self.settings = settings
        self.storage = storage

    async def _talking(self, request: LipSyncRequest, audio: Path) -> Intervals:
        if request.words_key is not None:
            try:
                words = WordsFile.model_validate_json(
                    await self.storage.get_bytes(request.words_key)
                )
            except ValidationError:
                raise ApiError(422, "words_key is not a words.json of a narration") from None
            return [(w.start, w.end) for w in words.words]
        return await asyncio.to_thread(loud_intervals, audio)

    async def lip_sync(self, request: LipSyncRequest, work: Path) -> Path:
        if request.avatar is None:
            raise ApiError(422, "avatar: the offline stand-in needs an avatar's poses")
        video, audio = work / "input-video", work / "input-audio"
        await self.storage.download(request.video_key, video)
        await self.storage.download(request.audio_key, audio)
        video_info = await _probe(video, "video_key", "video")
        audio_info = await _probe(audio, "audio_key", "audio")
        poses = request.avatar.model_dump()
        files = {pose: work / f"{pose}.png" for pose in poses}
        for pose, key in poses.items():
            await self.storage.download(key, files[pose])
        duration = audio_info.duration
        runs = pose_runs(duration, await self._talking(request, audio))
        script = work / "avatar.ffconcat"
        await asyncio.to_thread(script.write_text, concat_script(runs, files))
        stream = video_info.first("video")
        if stream is None or not stream.height:
            raise ApiError(422, "video_key has no picture size")
        height = max(int(stream.height * AVATAR_SHARE) // 2 * 2, 2)
        margin = int(stream.height * MARGIN_SHARE)
        out = work / "lipsync.mp4"
        graph = (
            f"[1:v]format=rgba,scale=-2:{height}[avatar];"
            f"[0:v][avatar]overlay=W-w-{margin}:H-h-{margin}:eof_action=repeat,"
            "format=yuv420p[v]"
        )
        try:
            await run_ffmpeg(
                ["-stream_loop", "-1", "-i", str(video),
                 "-f", "concat", "-safe", "0", "-i", str(script),
                 "-i", str(audio),
                 "-filter_complex", graph, "-map", "[v]", "-map", "2:a",
                 "-t", f"{duration:.3f}",
                 "-c:v", "libx264", "-preset", self.settings.video_x264_preset,
                 "-crf", str(self.settings.video_crf), "-c:a", "aac", "-b:a", "160k",
                 "-movflags", "+faststart", "-y", str(out)],
                time_limit=self.settings.video_lipsync_timeout_seconds,
            )  # fmt: skip
        except FfmpegFailed:
            raise ApiError(500, "The talking avatar could not be encoded") from None
        return out

    async def aclose(self) -> None:
        return None


class SyncLipSync:
    """Sync's API v2: `POST /v2/generate` with a model and the video and audio inputs' URLs,
    `GET /v2/generate/{id}` until COMPLETED (an `outputUrl`) or FAILED/REJECTED (an error)."""

    name: LipSyncProviderName = "sync"
    stand_in = False
    description = "Lip-synced by Sync (sync.so): the mouth in the video speaks the audio."
    label = "Sync lip-sync"

    def __init__(
        self,
        http: ProviderHttp,
        *,
        api_key: str | None,
        base_url: str,
        model: str,
        poll_seconds: float,
        timeout_seconds: float,
    ) -> None:
        self.http = http
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.poll_seconds = poll_seconds
        self.timeout_seconds = timeout_seconds

    def _headers(self) -> dict[str, str]:
        return {"x-api-key": self.api_key or ""}

    async def _submit(self, request: LipSyncRequest) -> str:
        answer = await self.http.request(
            "POST",
            f"{self.base_url}/v2/generate",
            headers=self._headers(),
            json={
                "model": self.model,
                "input": [
                    {"type": "video", "url": request.video_url},
                    {"type": "audio", "url": request.audio_url},
                ],
                "options": {"sync_mode": "loop"},
            },
        )
        generation = self.http.json(answer)
        if not isinstance(generation.get("id"), str):
            raise ApiError(502, f"{self.label} answered without a generation id")
        return str(generation["id"])

    async def _output_url(self, generation_id: str) -> str:
        deadline = time.monotonic() + self.timeout_seconds
        while True:
            answer = await self.http.request(
                "GET", f"{self.base_url}/v2/generate/{generation_id}", headers=self._headers()
            )
            generation = self.http.json(answer)
            status = generation.get("status")
            if status == "COMPLETED":
                url = generation.get("outputUrl")
                if not isinstance(url, str) or not url.startswith("https://"):
                    raise ApiError(502, f"{self.label} completed without an output URL")
                return url
            if status in ("FAILED", "REJECTED"):
                log.warning("%s %s: %s", self.label, status, generation.get("error"))
                raise ApiError(422, f"{self.label} could not sync this video ({status})")
            if time.monotonic() > deadline:
                raise ApiError(504, f"{self.label} did not finish in time")
            await asyncio.sleep(self.poll_seconds)

    async def lip_sync(self, request: LipSyncRequest, work: Path) -> Path:
        if not self.api_key:
            raise ApiError(503, f"{self.label} is not configured: VIDEO_SYNC_API_KEY is unset")
        if not request.video_url or not request.audio_url:
            raise ApiError(422, "video_url and audio_url are needed by the cloud provider")
        output = await self._output_url(await self._submit(request))
        answer = await self.http.request("GET", output)
        out = work / "lipsync.mp4"
        await asyncio.to_thread(out.write_bytes, answer.content)
        return out

    async def aclose(self) -> None:
        await self.http.client.aclose()


def build_lipsync_provider(settings: VideoSettings, storage: Storage) -> LipSyncProvider:
    if settings.video_lipsync_provider == "sync":
        return SyncLipSync(
            ProviderHttp(
                SyncLipSync.label,
                httpx.AsyncClient(),
                timeout_seconds=settings.video_sync_http_timeout_seconds,
                attempts=settings.video_sync_http_attempts,
                max_backoff_seconds=settings.video_sync_max_backoff_seconds,
                max_bytes=settings.video_max_video_bytes,
            ),
            api_key=settings.video_sync_api_key,
            base_url=settings.video_sync_base_url,
            model=settings.video_sync_model,
            poll_seconds=settings.video_sync_poll_seconds,
            timeout_seconds=settings.video_lipsync_timeout_seconds,
        )
    return AvatarStandIn(settings, storage)


class LipSyncMaker:
    def __init__(
        self, settings: VideoSettings, storage: Storage, provider: LipSyncProvider
    ) -> None:
        self.settings = settings
        self.storage = storage
        self.provider = provider
        self.gate = asyncio.Semaphore(settings.video_lipsync_max_concurrency)

    async def _check_sizes(self, request: LipSyncRequest) -> None:
        limits = (
            ("video_key", request.video_key, self.settings.video_max_video_bytes),
            ("audio_key", request.audio_key, self.settings.video_max_audio_bytes),
        )
        for field, key, limit in limits:
            stored = await self.storage.stat(key)
            if stored is None:
                raise ApiError(422, f"{field}: no stored file {key}")
            if stored.size > limit:
                raise ApiError(413, f"{field}: over {limit} bytes")

    async def lip_sync(self, request: LipSyncRequest) -> LipSyncResponse:
        await self._check_sizes(request)
        async with self.gate, _workdir(self.settings.video_temp_dir) as work:
            out = await self.provider.lip_sync(request, work)
            try:
                info = await asyncio.to_thread(probe, out)
            except NotMedia:
                raise ApiError(
                    502, f"{self.provider.name} sent a video that cannot be read"
                ) from None
            if info.first("video") is None:
                raise ApiError(502, f"{self.provider.name} sent a file without video")
            key = f"lipsync/{uuid.uuid4().hex}/video.mp4"
            await self.storage.put_file(key, out, "video/mp4")
        return LipSyncResponse(
            video_key=key,
            duration=round(info.duration, 3),
            provider=self.provider.name,
            stand_in=self.provider.stand_in,
            description=self.provider.description,
        )
