"""The stock entries: what ships offline, rendered by the services once and then listed.

Audio: the music moods the video service synthesises (a preview MP3 of each loop). Media: one
sample picture per art style of the image service. Each is rendered the first time a library
is listed without it; the unique `stock_id` keeps one entry per item across replicas. While
the services cannot render them, listings go without them for a while, then try again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import get_args

from contracts.errors import ApiError
from contracts.image import GeneratedImage
from contracts.library import MusicPreview
from contracts.project import ImageStyle
from contracts.video import MusicResponse
from gateway.clients import ServiceClient
from gateway.library.store import Kind, LibraryStore

log = logging.getLogger("gateway.library")
ART_CATEGORY = "Art styles"
SAMPLE_PROMPT = "a lighthouse on a rocky coast at sunset, seen from the beach"
SAMPLE_SIZE = (640, 360)
ARTIST = "AI Studio"


def style_label(style: str) -> str:
    return style.replace("_", " ").capitalize()


class StockShelf:
    def __init__(
        self,
        library: LibraryStore,
        video: ServiceClient,
        image: ServiceClient,
        retry_seconds: float,
    ) -> None:
        self.library = library
        self.video, self.image = video, image
        self.retry_seconds = retry_seconds
        self.locks = {"media": asyncio.Lock(), "audio": asyncio.Lock()}
        self.failed_at: dict[str, float] = {}
        # Kinds whose stock is all there: listings then skip the check.
        self.complete: set[str] = set()

    async def ensure(self, kind: Kind) -> None:
        """Render the stock entries of `kind` still missing; a failure is logged, not raised."""
        if kind in self.complete:
            return
        if time.monotonic() - self.failed_at.get(kind, -1e9) < self.retry_seconds:
            return
        async with self.locks[kind]:
            have = await self.library.stock_ids(kind)
            try:
                if kind == "audio":
                    await self._music(have)
                else:
                    await self._art(have)
                self.complete.add(kind)
            except ApiError as exc:
                self.failed_at[kind] = time.monotonic()
                log.warning("stock %s entries not rendered: %s", kind, exc.detail)

    async def _music(self, have: set[str]) -> None:
        moods = await self.video.call("GET", "/music", MusicResponse)
        for mood in moods.moods:
            stock_id = f"music:{mood.id}"
            if stock_id in have:
                continue
            preview = await self.video.call("POST", f"/music/{mood.id}/preview", MusicPreview)
            await self.library.add(
                "audio",
                None,
                source="stock",
                title=mood.label,
                artist=ARTIST,
                key=preview.key,
                content_type="audio/mpeg",
                size_bytes=preview.size_bytes,
                category="music",
                tags=[mood.id, "loop", *mood.description.lower().strip(".").split(", ")[:1]],
                duration=preview.duration,
                waveform_key=preview.waveform_key,
                stock_id=stock_id,
            )

    async def _art(self, have: set[str]) -> None:
        width, height = SAMPLE_SIZE
        for style in get_args(ImageStyle):
            stock_id = f"art:{style}"
            if stock_id in have:
                continue
            body = {"prompt": SAMPLE_PROMPT, "style": style, "width": width, "height": height,
                    "seed": 7, "format": "jpeg"}  # fmt: skip
            image = await self.image.call("POST", "/generate", GeneratedImage, json=body)
            await self.library.add(
                "media",
                None,
                source="stock",
                media_type="image",
                title=f"{style_label(style)} sample",
                key=image.key,
                content_type=image.content_type,
                size_bytes=image.bytes,
                category=ART_CATEGORY,
                tags=[style, "art style", "lighthouse"],
                width=image.width,
                height=image.height,
                thumbnail_key=image.key,
                stock_id=stock_id,
            )
