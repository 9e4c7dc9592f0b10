"""POST /subtitles: cues from word timings, written as SRT, WebVTT and ASS."""

from __future__ import annotations

import asyncio
import uuid

from pydantic import ValidationError

from contracts.audio import SubtitlesRequest, SubtitlesResponse, WordsFile, WordTiming
from contracts.errors import ApiError
from contracts.media_keys import validate_key
from runtime.captions import Cue, build_cues, to_ass, to_srt, to_vtt
from runtime.storage import Storage

# Formats, content types, renderers: one file each per request.
_FORMATS = (
    ("srt", "application/x-subrip", to_srt),
    ("vtt", "text/vtt", to_vtt),
    ("ass", "text/x-ssa", to_ass),
)


class Subtitler:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    async def _words(self, request: SubtitlesRequest) -> list[WordTiming]:
        if request.words is not None:
            return request.words
        key = validate_key(request.words_key or "")
        raw = await self.storage.get_bytes(key)
        try:
            return WordsFile.model_validate_json(raw).words
        except ValidationError:
            raise ApiError(422, f"{key} does not hold word timings") from None

    async def write(self, request: SubtitlesRequest) -> SubtitlesResponse:
        words = await self._words(request)
        cues: list[Cue] = await asyncio.to_thread(
            build_cues, words, max_line_chars=request.max_line_chars, max_lines=request.max_lines
        )
        if not cues:
            raise ApiError(422, "no words to caption: every word is blank")
        prefix = f"subtitles/{uuid.uuid4().hex}"
        keys: dict[str, str] = {}
        async with self.storage.staging(prefix):
            for ext, content_type, render in _FORMATS:
                keys[ext] = f"{prefix}/captions.{ext}"
                await self.storage.put_bytes(keys[ext], render(cues).encode(), content_type)
        return SubtitlesResponse(
            srt_key=keys["srt"],
            vtt_key=keys["vtt"],
            ass_key=keys["ass"],
            cue_count=len(cues),
            duration=round(cues[-1].end, 3),
        )
