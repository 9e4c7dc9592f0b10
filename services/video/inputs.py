"""A render's inputs, fetched from storage by key and checked: every refusal is a 4xx naming
the request field that held the key."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from contracts.audio import WordsFile, WordTiming
from contracts.errors import ApiError
from contracts.media_keys import validate_field_key
from contracts.video import Fit, SubtitleOptions
from runtime.captions import Cue
from runtime.probe import MediaInfo, NotMedia, probe
from runtime.storage import Storage
from services.video.canvas import NotAnImage, fit_canvas
from services.video.settings import VideoSettings
from services.video.subtitles import cues_from_file, cues_from_words
from services.video.tasks import together

_WORDS = TypeAdapter(list[WordTiming])
_WORDS_DOC = TypeAdapter(WordsFile)
_RESOLUTIONS = ("720p", "1080p", "1440p", "2160p")


class Inputs:
    def __init__(self, settings: VideoSettings, storage: Storage) -> None:
        self.settings = settings
        self.storage = storage

    async def fetch(self, key: str, field: str, dest: Path, limit: int) -> None:
        info = await self.storage.stat(validate_field_key(key, field))
        if info is None:
            raise ApiError(422, f"{field}: media not found: {key}")
        if info.size > limit:
            raise ApiError(413, f"{field}: {key} is {info.size} bytes; the limit is {limit}")
        await self.storage.download(key, dest)

    async def small(self, key: str, field: str) -> bytes:
        info = await self.storage.stat(validate_field_key(key, field))
        if info is None:
            raise ApiError(422, f"{field}: media not found: {key}")
        limit = self.settings.video_max_words_bytes
        if info.size > limit:
            raise ApiError(413, f"{field}: {key} is {info.size} bytes; the limit is {limit}")
        return await self.storage.get_bytes(key)

    async def words(
        self, inline: list[WordTiming] | None, key: str | None, field: str
    ) -> list[WordTiming] | None:
        if inline is not None or key is None:
            return inline
        data = await self.small(key, field)
        for adapter in (_WORDS, _WORDS_DOC):
            try:
                parsed = adapter.validate_json(data)
            except ValidationError:
                continue
            return parsed if isinstance(parsed, list) else parsed.words
        raise ApiError(422, f"{field}: {key} is not a JSON list of {{word, start, end}}")

    async def media(self, path: Path, field: str, key: str, kind: str) -> MediaInfo:
        """Probe a fetched file; a 422 unless it holds a `kind` ("audio"/"video") stream."""
        try:
            info = await asyncio.to_thread(probe, path)
        except NotMedia:
            info = None
        if info is None or info.first(kind) is None:
            raise ApiError(422, f"{field}: {key} is not {kind}")
        return info

    def check_duration(self, seconds: float, field: str) -> None:
        limit = self.settings.video_max_duration_seconds
        if seconds <= 0:
            raise ApiError(422, f"{field}: the media has no duration")
        if seconds > limit:
            raise ApiError(422, f"{field}: {seconds:.1f} s is over the limit of {limit:.0f} s")

    def check_resolution(self, resolution: str, field: str = "resolution") -> None:
        allowed = _RESOLUTIONS[: _RESOLUTIONS.index(self.settings.video_max_resolution) + 1]
        if resolution not in allowed:
            raise ApiError(
                422,
                f"{field}: {resolution} is over this server's limit; use one of "
                + ", ".join(allowed),
                details={"allowed": list(allowed)},
            )

    async def cues(
        self,
        options: SubtitleOptions,
        fallback: list[WordTiming] | None,
        size: tuple[int, int],
        field: str = "subtitles",
    ) -> list[Cue]:
        words = await self.words(options.words, options.words_key, f"{field}.words_key")
        if words is None and options.file_key is not None:
            raw = await self.small(options.file_key, f"{field}.file_key")
            try:
                return cues_from_file(raw.decode("utf-8-sig"))
            except (UnicodeDecodeError, ValueError):
                raise ApiError(
                    422, f"{field}.file_key: {options.file_key} is not an SRT or WebVTT file"
                ) from None
        words = words if words is not None else fallback
        if words is None:
            raise ApiError(
                422,
                "Subtitles need word timings: give words or words_key (on the request or in "
                f"{field}), or {field}.file_key",
            )
        return cues_from_words(words, options.style, size)

    async def canvases(
        self, keys: Sequence[tuple[str, str]], fit: Sequence[Fit], size: tuple[int, int], work: Path
    ) -> list[Path]:
        """One canvas per distinct (image, fit), fetched and fitted a few at a time; `keys`
        are (field, key) pairs."""
        wanted = [(key, how) for (_, key), how in zip(keys, fit, strict=True)]
        distinct = list(dict.fromkeys(wanted))
        field_of = {item: keys[wanted.index(item)][0] for item in distinct}
        limit = asyncio.Semaphore(max(2, self.settings.video_parallel_segments))
        made: dict[tuple[str, Fit], Path] = {}

        async def one(n: int, item: tuple[str, Fit]) -> None:
            key, how = item
            field = field_of[item]
            src = work / f"image-{n}"
            dest = work / f"canvas-{n}.ppm"
            async with limit:
                await self.fetch(key, field, src, self.settings.video_max_image_bytes)
                try:
                    await asyncio.to_thread(
                        fit_canvas, src, dest, size, how, self.settings.video_max_image_pixels
                    )
                except NotAnImage:
                    raise ApiError(422, f"{field}: {key} is not a readable image") from None
                src.unlink(missing_ok=True)
            made[item] = dest

        await together(*(one(n, item) for n, item in enumerate(distinct)))
        return [made[item] for item in wanted]
