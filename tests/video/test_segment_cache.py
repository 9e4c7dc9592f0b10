"""The segment cache without rendering: keys, and get/put/sweep against real storage (a local
folder and a real S3 server on loopback)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from runtime.storage import S3Storage, Storage, StorageSettings, build_storage
from services.video.ffmpeg import filter_path
from services.video.segment_cache import PREFIX, SegmentCache, file_digest, segment_key
from tests.support import free_port


def args_for(folder: Path, start: int) -> list[str]:
    canvas, ass = folder / "canvas-0.ppm", folder / "seg-0003.ass"
    return [
        "-i",
        str(canvas),
        "-filter_complex",
        f"[0:v]zoompan=d={start}[v];color,subtitles=filename={filter_path(ass)}[sub]",
        "-frames:v",
        "90",
        "-y",
        str(folder / "segment-0003.mp4"),
    ]


def key_in(folder: Path, canvas: bytes, ass: bytes, start: int = 0) -> str | None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "canvas-0.ppm").write_bytes(canvas)
    (folder / "seg-0003.ass").write_bytes(ass)
    inputs = {
        folder / name: file_digest(folder / name) for name in ("canvas-0.ppm", "seg-0003.ass")
    }
    return segment_key(
        args_for(folder, start),
        inputs,
        out=folder / "segment-0003.mp4",
        scratch=folder,
        environment="env",
    )


def test_the_key_follows_content_and_arguments_not_the_scratch_folder(tmp_path: Path) -> None:
    first = key_in(tmp_path / "render-a", b"pixels", b"events")
    # Another render's scratch folder (its name has the characters filters escape).
    assert key_in(tmp_path / "render-b:it's", b"pixels", b"events") == first
    assert first is not None
    assert key_in(tmp_path / "render-c", b"pixels!", b"events") != first
    assert key_in(tmp_path / "render-d", b"pixels", b"other events") != first
    assert key_in(tmp_path / "render-e", b"pixels", b"events", start=30) != first


def test_a_file_of_the_render_left_out_of_the_inputs_makes_it_uncacheable(tmp_path: Path) -> None:
    folder = tmp_path / "render-x"
    args = args_for(folder, 0)
    only_canvas = {folder / "canvas-0.ppm": "abc"}
    key = segment_key(
        args, only_canvas, out=folder / "segment-0003.mp4", scratch=folder, environment="e"
    )
    assert key is None


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket="segments-test")
    yield endpoint
    server.stop()


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return build_storage(StorageSettings(media_root=tmp_path / "media"))
    endpoint = request.getfixturevalue("s3_endpoint")
    return build_storage(
        StorageSettings(
            storage_backend="s3",
            s3_bucket="segments-test",
            s3_endpoint_url=endpoint,
            s3_access_key_id="test",
            s3_secret_access_key="test",
            s3_prefix=f"t{time.time_ns()}",
        )
    )


def cache_on(storage: Storage, max_bytes: int = 10_000, ttl: float = 0) -> SegmentCache:
    return SegmentCache(storage, max_bytes=max_bytes, ttl_seconds=ttl, fonts_dir=None)


def segment(tmp_path: Path, name: str, size: int) -> Path:
    path = tmp_path / f"{name}.mp4"
    path.write_bytes(name.encode()[:1] * size)
    return path


async def test_a_stored_segment_comes_back_byte_for_byte(storage: Storage, tmp_path: Path) -> None:
    cache = cache_on(storage)
    src = segment(tmp_path, "a", 1000)
    dest = tmp_path / "out" / "segment-0000.mp4"
    dest.parent.mkdir()
    assert await cache.fetch("k1", dest) is False
    assert not dest.exists()
    await cache.store("k1", src)
    assert await cache.fetch("k1", dest) is True
    assert dest.read_bytes() == src.read_bytes()
    listed = await storage.list_prefix(PREFIX)
    assert [(o.key, o.size) for o in listed] == [(f"{PREFIX}/k1.mp4", 1000)]


async def test_the_sweep_keeps_the_bound_removing_the_least_recently_used(
    storage: Storage, tmp_path: Path
) -> None:
    cache = cache_on(storage, max_bytes=2500)
    # S3 stamps LastModified in whole seconds.
    apart = 1.1 if isinstance(storage, S3Storage) else 0.05
    for name in ("a", "b", "c"):
        await cache.store(name, segment(tmp_path, name, 1000))
        await asyncio.sleep(apart)
    # a is used again: now b is the least recently used.
    assert await cache.fetch("a", tmp_path / "again.mp4")
    swept = await cache.sweep()
    assert swept is not None
    assert (swept.removed, swept.kept, swept.kept_bytes) == (1, 2, 2000)
    left = sorted(o.key for o in await storage.list_prefix(PREFIX))
    assert left == [f"{PREFIX}/a.mp4", f"{PREFIX}/c.mp4"]
    assert await cache.fetch("b", tmp_path / "b-again.mp4") is False


async def test_the_sweep_removes_what_was_not_used_for_the_ttl(
    storage: Storage, tmp_path: Path
) -> None:
    cache = cache_on(storage, max_bytes=10**9, ttl=3600)
    await cache.store("old", segment(tmp_path, "o", 100))
    kept = await cache.sweep()
    assert kept is not None
    assert kept.removed == 0
    later = await cache.sweep(now=time.time() + 3601)
    assert later is not None
    assert (later.removed, later.kept) == (1, 0)
    assert await storage.list_prefix(PREFIX) == []


async def test_a_segment_swept_while_a_render_looks_for_it_is_a_miss(
    storage: Storage, tmp_path: Path
) -> None:
    cache = cache_on(storage, max_bytes=1)
    await cache.store("k", segment(tmp_path, "k", 500))
    await cache.sweep()
    assert await cache.fetch("k", tmp_path / "k-again.mp4") is False


def test_local_listing_skips_writes_under_way(tmp_path: Path) -> None:
    storage = build_storage(StorageSettings(media_root=tmp_path / "media"))
    folder = tmp_path / "media" / PREFIX
    folder.mkdir(parents=True)
    (folder / ".tmp-123").write_bytes(b"half")
    (folder / "done.mp4").write_bytes(b"whole")
    os.utime(folder / "done.mp4", (1, 1))
    listed = asyncio.run(storage.list_prefix(PREFIX))
    assert [(o.key, o.size, o.modified) for o in listed] == [(f"{PREFIX}/done.mp4", 5, 1.0)]
