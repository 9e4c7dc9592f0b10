"""`/media/{key}` over both storage backends: local folder and a real S3 server on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from contracts.errors import ApiError
from gateway.app import build_app
from runtime.storage import LocalStorage, Storage, StorageSettings, build_storage
from tests.gateway.conftest import gateway_settings
from tests.support import free_port, serve

PAYLOAD = bytes(range(256)) * 40  # 10,240 bytes, every byte value


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
    ).create_bucket(Bucket="media-test")
    yield endpoint
    server.stop()


def s3_settings(endpoint: str) -> dict[str, object]:
    return {
        "storage_backend": "s3",
        "s3_bucket": "media-test",
        "s3_endpoint_url": endpoint,
        "s3_access_key_id": "test",
        "s3_secret_access_key": "test",
        "s3_prefix": "tests",
    }


@pytest.fixture(params=["local", "s3"])
def storage_overrides(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[dict[str, object]]:
    if request.param == "local":
        yield {"media_root": tmp_path / "local-media"}
    else:
        yield s3_settings(request.getfixturevalue("s3_endpoint"))


@pytest.fixture
async def media(
    mongo_url: str, tmp_path: Path, storage_overrides: dict[str, object]
) -> AsyncIterator[tuple[httpx.AsyncClient, Storage]]:
    settings = gateway_settings(mongo_url, tmp_path / "media").model_copy(
        update=StorageSettings.model_validate(storage_overrides).model_dump()
    )
    storage = build_storage(settings)
    await storage.put_bytes("videos/abc/video.mp4", PAYLOAD)
    async with serve(build_app(settings)) as url, httpx.AsyncClient(base_url=url) as http:
        yield http, storage


async def test_whole_file_with_type_length_and_etag(
    media: tuple[httpx.AsyncClient, Storage],
) -> None:
    http, _ = media
    response = await http.get("/media/videos/abc/video.mp4")
    assert response.status_code == 200
    assert response.content == PAYLOAD
    assert response.headers["content-type"] == "video/mp4"
    assert response.headers["content-length"] == str(len(PAYLOAD))
    assert response.headers["accept-ranges"] == "bytes"
    etag = response.headers["etag"]
    again = await http.get("/media/videos/abc/video.mp4", headers={"If-None-Match": etag})
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=0-99", 0, 99), ("bytes=10000-", 10000, 10239), ("bytes=-40", 10200, 10239),
     ("bytes=5000-999999", 5000, 10239)],
)  # fmt: skip
async def test_byte_ranges_answer_206(
    media: tuple[httpx.AsyncClient, Storage], header: str, start: int, end: int
) -> None:
    http, _ = media
    response = await http.get("/media/videos/abc/video.mp4", headers={"Range": header})
    assert response.status_code == 206
    assert response.content == PAYLOAD[start : end + 1]
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(PAYLOAD)}"


async def test_unsatisfiable_range_is_416(media: tuple[httpx.AsyncClient, Storage]) -> None:
    http, _ = media
    response = await http.get("/media/videos/abc/video.mp4", headers={"Range": "bytes=20000-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(PAYLOAD)}"
    assert isinstance(response.json()["detail"], str)


async def test_head_has_headers_and_no_body(media: tuple[httpx.AsyncClient, Storage]) -> None:
    http, _ = media
    response = await http.head("/media/videos/abc/video.mp4")
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(PAYLOAD))
    assert response.content == b""


async def test_missing_media_is_404(media: tuple[httpx.AsyncClient, Storage]) -> None:
    http, _ = media
    response = await http.get("/media/videos/abc/other.mp4")
    assert response.status_code == 404
    assert response.json()["detail"] == "Media not found: videos/abc/other.mp4"


@pytest.mark.parametrize(
    "path",
    ["/media/videos/%2e%2e/%2e%2e/etc/passwd", "/media/%2Fetc/passwd", "/media/a//b",
     "/media/videos/abc/..%5c..%5cx", "/media/.hidden"],
)  # fmt: skip
async def test_keys_cannot_escape_the_storage_root(
    media: tuple[httpx.AsyncClient, Storage], path: str
) -> None:
    http, _ = media
    response = await http.get(path)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Invalid media key")


async def test_storage_contract(storage_overrides: dict[str, object]) -> None:
    storage = build_storage(StorageSettings.model_validate(storage_overrides))
    await storage.put_bytes("a/b/c.bin", b"hello world")
    stat = await storage.stat("a/b/c.bin")
    assert stat is not None
    assert stat.size == 11
    assert await storage.get_bytes("a/b/c.bin") == b"hello world"
    assert b"".join([c async for c in storage.iter_range("a/b/c.bin", 6, 10)]) == b"world"
    await storage.put_bytes("a/b/d.bin", b"x")
    assert await storage.delete_prefix("a") == 2
    assert await storage.stat("a/b/c.bin") is None
    with pytest.raises(ApiError) as missing:
        await storage.get_bytes("a/b/c.bin")
    assert missing.value.status == 404


async def test_staging_keeps_a_finished_write(storage_overrides: dict[str, object]) -> None:
    storage = build_storage(StorageSettings.model_validate(storage_overrides))
    async with storage.staging("s/ok"):
        await storage.put_bytes("s/ok/a.bin", b"a")
    assert await storage.get_bytes("s/ok/a.bin") == b"a"


async def test_staging_removes_a_failed_write(storage_overrides: dict[str, object]) -> None:
    storage = build_storage(StorageSettings.model_validate(storage_overrides))

    async def write_then_fail() -> None:
        async with storage.staging("s/failed"):
            await storage.put_bytes("s/failed/a.bin", b"a")
            raise ApiError(502, "the second file could not be made")

    with pytest.raises(ApiError):
        await write_then_fail()
    assert await storage.stat("s/failed/a.bin") is None


class SlowToDelete(LocalStorage):
    """A backend whose deletion waits before it starts, as a network round trip does."""

    async def delete_prefix(self, prefix: str) -> int:
        await asyncio.sleep(0.05)
        return await super().delete_prefix(prefix)


async def test_staging_cleans_up_even_when_cancelled_again(tmp_path: Path) -> None:
    storage = SlowToDelete(tmp_path)
    written = asyncio.Event()

    async def write() -> None:
        async with storage.staging("s/cancelled"):
            await storage.put_bytes("s/cancelled/a.bin", b"a")
            written.set()
            await asyncio.sleep(60)

    task = asyncio.ensure_future(write())
    await written.wait()
    task.cancel()
    await asyncio.sleep(0)
    # A second cancellation reaches the cleanup itself: the shield lets it finish regardless.
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):
        if await storage.stat("s/cancelled/a.bin") is None:
            break
        await asyncio.sleep(0.01)
    assert await storage.stat("s/cancelled/a.bin") is None


def test_local_storage_writes_atomically_under_its_root(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    with pytest.raises(ApiError):
        storage.path_for("../outside")
    (tmp_path / "link").symlink_to("/etc")
    with pytest.raises(ApiError):
        storage.path_for("link/passwd")
