"""Encoded segments kept in storage under a hash of everything that shapes their bytes, so a
render of an edited project re-encodes only the segments whose inputs changed and joins the
others exactly as they were stored.

The key of a segment is the sha256 of its FFmpeg argument list, with every file it reads (the
scene canvases, its subtitle document) replaced by the sha256 of that file's content and its
output path by a placeholder, together with the environment every segment shares: the FFmpeg
build (`ffmpeg -version`, which names x264, libass and their versions), the fonts libass may
pick from, and RENDERER_VERSION. The arguments already carry the segment's frames on the
timeline, its motion, its transition and its neighbour's frames in it, the encoder settings:
a scene that moves in time, or a neighbour that changes, gives a new key by construction.

Objects live under `cache/segments/<key>.<ext>` in the media storage, shared by every replica
of the video service. A use stamps the object (Storage.touch); the sweep removes what has not
been used for the TTL, then the least recently used until the total fits the bound. The sweep
is safe while renders run: a render that finds its segment gone (or unreadable) encodes it,
and a render that stored one keeps using its own copy in its scratch folder.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from contracts.errors import ApiError
from runtime.storage import Storage
from services.video.ffmpeg import FFMPEG, filter_path
from services.video.graph import Layer, Picture, Source, Still
from services.video.sublayer import SubtitleLayer

log = logging.getLogger("services.video.segment_cache")

# Raise when a change to the renderer changes the bytes of a segment without changing its
# FFmpeg arguments or input files (the arguments run_ffmpeg adds itself, say): stored segments
# made by the old code then stop matching.
RENDERER_VERSION = "1"
PREFIX = "cache/segments"
_CHUNK = 1 << 20


def file_digest(path: Path) -> str:
    """sha256 of a file's content, or of a folder's names and files' contents (a text
    layer's fonts); blocking: run it in a thread."""
    if path.is_dir():
        listing = [(p.name, file_digest(p)) for p in sorted(path.iterdir())]
        return hashlib.sha256(json.dumps(listing).encode()).hexdigest()
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def environment_digest(fonts_dir: Path | None) -> str:
    """What every segment's bytes depend on besides its own arguments (blocking)."""
    version = subprocess.run(
        [FFMPEG, "-hide_banner", "-version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    fonts: list[tuple[str, int, int]] = []
    if fonts_dir is not None and fonts_dir.is_dir():
        for path in sorted(fonts_dir.rglob("*")):
            if path.is_file():
                st = path.stat()
                fonts.append((path.relative_to(fonts_dir).as_posix(), st.st_size, st.st_mtime_ns))
    document = json.dumps([RENDERER_VERSION, version, str(fonts_dir), fonts])
    return hashlib.sha256(document.encode()).hexdigest()


def segment_key(
    args: Sequence[str],
    inputs: Mapping[Path, str],
    *,
    out: Path,
    scratch: Path,
    environment: str,
) -> str | None:
    """The cache key of one segment's FFmpeg run: `inputs` maps each file it reads to its
    content digest, `out` is where it writes, `scratch` the render's own folder. None when an
    argument still names a file in `scratch` that `inputs` does not give: that run is not
    cacheable (its key would hold a path that no other render has)."""
    names = [(str(out), "<out>")]
    for path, digest in inputs.items():
        names.append((str(path), f"<sha256:{digest}>"))
        names.append((filter_path(path), f"<sha256:{digest}>"))
    # Longest first, so a path is never replaced inside a longer one that starts with it.
    names.sort(key=lambda pair: -len(pair[0]))
    replaced = []
    for arg in args:
        for name, token in names:
            arg = arg.replace(name, token)
        replaced.append(arg)
    folder = (str(scratch), filter_path(scratch))
    if any(name in arg for arg in replaced for name in folder):
        return None
    document = json.dumps([environment, replaced])
    return hashlib.sha256(document.encode()).hexdigest()


class _NotPlain(TypeError):
    pass


def _plain(value: object, files: list[Path]) -> object:
    """`value` as JSON data, each Path as its place in `files` (hashed by the caller)."""
    if isinstance(value, Path):
        files.append(value)
        return {"file": len(files) - 1}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v, files) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_plain(v, files) for v in value]
    raise _NotPlain(type(value).__name__)


def input_files(
    sources: Sequence[Source], layers: Sequence[Layer], watermark: SubtitleLayer | None
) -> list[Path]:
    """The files segments read: backgrounds, overlay pictures, text and watermark documents
    and their fonts folders (the subtitles' documents are per segment: segment_subtitles.py;
    their fonts are the configured folder, in the environment)."""
    found = [s.canvas if isinstance(s, Still) else s.path for s in sources]
    for layer in [*layers, *([watermark] if watermark is not None else [])]:
        if isinstance(layer, Picture):
            found.append(layer.path)
            continue
        found.append(layer.ass)
        if layer.fonts_dir is not None:
            found.append(layer.fonts_dir)
    return found


async def digests(paths: Iterable[Path]) -> dict[Path, str]:
    """Content digests of distinct files, hashed in threads side by side."""
    distinct = list(dict.fromkeys(paths))
    found = await asyncio.gather(*(asyncio.to_thread(file_digest, p) for p in distinct))
    return dict(zip(distinct, found, strict=True))


@dataclass(frozen=True)
class Swept:
    removed: int
    kept: int
    kept_bytes: int


class SegmentCache:
    """Get and put encoded segments by key; bound and sweep what is stored."""

    def __init__(
        self,
        storage: Storage,
        *,
        max_bytes: int,
        ttl_seconds: float,
        fonts_dir: Path | None,
    ) -> None:
        self.storage = storage
        self.max_bytes = max_bytes
        self.ttl_seconds = ttl_seconds
        self.fonts_dir = fonts_dir
        self._environment: str | None = None
        self._sweeping = asyncio.Lock()
        # Sweeps under way, held so they are not garbage-collected before they finish.
        self._sweeps: set[asyncio.Task[Swept | None]] = set()

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    async def environment(self) -> str:
        if self._environment is None:
            self._environment = await asyncio.to_thread(environment_digest, self.fonts_dir)
        return self._environment

    async def inputs(self, files: Sequence[Path], known: Mapping[Path, str]) -> dict[Path, str]:
        """The content digests of a render's input files, beside those `known` already; and
        the environment, so the first segment does not wait for it. Nothing when disabled."""
        if not self.enabled:
            return {}
        await self.environment()
        return {**await digests(files), **known}

    @staticmethod
    def storage_key(key: str, suffix: str) -> str:
        return f"{PREFIX}/{key}{suffix or '.bin'}"

    async def fetch(self, key: str, dest: Path) -> bool:
        """Copy the segment stored under `key` to `dest`; False when there is none (or it
        cannot be read: the segment is then encoded, as if it had never been stored)."""
        stored = self.storage_key(key, dest.suffix)
        try:
            await self.storage.download(stored, dest)
        except ApiError as exc:
            if exc.status != 404:
                log.warning("segment cache: %s unreadable: %s", stored, exc.detail)
            return False
        except Exception:
            log.warning("segment cache: %s unreadable", stored, exc_info=True)
            return False
        try:
            await self.storage.touch(stored)
        except Exception:
            # Swept since the download: the copy in hand is whole; it is stored again next time.
            log.info("segment cache: %s went while in use", stored)
        return True

    async def store(self, key: str, src: Path) -> None:
        """Keep an encoded segment; a failure costs a later render an encode, not this one."""
        stored = self.storage_key(key, src.suffix)
        try:
            await self.storage.put_file(stored, src)
        except Exception:
            log.warning("segment cache: could not store %s", stored, exc_info=True)

    async def encode_once(
        self,
        args: list[str],
        *,
        inputs: Mapping[Path, str],
        out: Path,
        scratch: Path,
        encode: Callable[[list[str]], Awaitable[object]],
    ) -> bool:
        """Fetch the segment `args` would write to `out`, else run `encode(args)` and keep
        its output. True when it was fetched (nothing encoded)."""
        key = (
            segment_key(
                args, inputs, out=out, scratch=scratch, environment=await self.environment()
            )
            if self.enabled
            else None
        )
        if key is not None and await self.fetch(key, out):
            return True
        await encode(args)
        if key is not None:
            await self.store(key, out)
        return False

    async def made_once(
        self,
        kind: str,
        parameters: Mapping[str, object],
        *,
        out: Path,
        make: Callable[[], Awaitable[object]],
    ) -> bool:
        """As encode_once, for a product keyed by the parameters of the call that makes it
        (every Path in them, dataclasses and lists included, by its content) rather than by a
        command line: the soundtrack. What the making code does with them is under
        RENDERER_VERSION. A value of any other type makes it uncacheable: nothing says all it
        holds."""
        key = await self._parameters_key(kind, parameters) if self.enabled else None
        if key is None:
            await make()
            return False
        if await self.fetch(key, out):
            return True
        await make()
        await self.store(key, out)
        return False

    async def _parameters_key(self, kind: str, parameters: Mapping[str, object]) -> str | None:
        files: list[Path] = []
        try:
            plain = _plain(dict(parameters), files)
        except _NotPlain:
            return None
        found = await digests(files)
        document = json.dumps([await self.environment(), kind, plain, [found[f] for f in files]])
        return hashlib.sha256(document.encode()).hexdigest()

    def sweep_soon(self) -> None:
        """Sweep in the background (after a render that stored segments, so its answer does
        not wait for it)."""
        if not self.enabled:
            return
        task = asyncio.create_task(self.sweep())
        self._sweeps.add(task)
        task.add_done_callback(self._swept)

    def _swept(self, task: asyncio.Task[Swept | None]) -> None:
        self._sweeps.discard(task)
        if not task.cancelled() and (failed := task.exception()) is not None:
            log.warning("segment cache: sweep failed", exc_info=failed)

    async def sweep(self, now: float | None = None) -> Swept | None:
        """Remove what was not used for the TTL (0: no age limit), then the least recently
        used until the rest fits the bound. None when a sweep is already running here."""
        if self._sweeping.locked():
            return None
        async with self._sweeping:
            now = time.time() if now is None else now
            objects = sorted(await self.storage.list_prefix(PREFIX), key=lambda o: o.modified)
            # Oldest first: the expired ones are a prefix.
            expired = sum(
                1 for o in objects if self.ttl_seconds > 0 and now - o.modified > self.ttl_seconds
            )
            doomed, objects = objects[:expired], objects[expired:]
            total = sum(o.size for o in objects)
            while objects and total > self.max_bytes:
                oldest = objects.pop(0)
                doomed.append(oldest)
                total -= oldest.size
            for item in doomed:
                try:
                    await self.storage.delete(item.key)
                except Exception:
                    log.warning("segment cache: could not remove %s", item.key, exc_info=True)
            if doomed:
                log.info(
                    "segment cache: removed %d, kept %d (%d bytes)",
                    len(doomed),
                    len(objects),
                    total,
                )
            return Swept(len(doomed), len(objects), total)
