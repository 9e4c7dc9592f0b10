"""Media storage shared by the gateway and the services: a local folder or an S3-compatible bucket.

Everything is addressed by a key such as `audio/ab12/narration.mp3`, never by a file-system path
a caller chose: `contracts.media_keys.validate_key` refuses anything that could escape the
storage root.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import mimetypes
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import Field
from pydantic_settings import BaseSettings

from contracts.errors import ApiError
from contracts.media_keys import validate_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger("runtime.storage")

CHUNK = 256 * 1024


def content_type_for(key: str) -> str:
    guessed, _ = mimetypes.guess_type(key)
    return guessed or "application/octet-stream"


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    etag: str
    content_type: str
    modified: float


class Storage(Protocol):
    async def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None: ...
    async def put_file(self, key: str, path: Path, content_type: str | None = None) -> None: ...
    async def get_bytes(self, key: str) -> bytes: ...
    async def download(self, key: str, dest: Path) -> None: ...
    async def stat(self, key: str) -> StoredObject | None: ...
    def iter_range(self, key: str, start: int, end: int) -> AsyncIterator[bytes]: ...
    async def delete(self, key: str) -> None: ...
    async def delete_prefix(self, prefix: str) -> int: ...
    async def ping(self) -> None: ...
    # Caches kept in storage: what is under a prefix, and marking an object as just used.
    async def list_prefix(self, prefix: str) -> list[StoredObject]: ...
    async def touch(self, key: str) -> None: ...

    @asynccontextmanager
    async def staging(self, prefix: str) -> AsyncIterator[None]:
        """Write a group of objects under `prefix` all or nothing: when the body raises,
        cancellation included, everything under the prefix is deleted.

        The deletion is shielded from cancellation: a cancelled request (the client went away,
        shutdown) is the usual way to be stopped part-way, and a cleanup cancelled with it would
        leave the half-written media behind anyway.
        """
        try:
            yield
        except BaseException:
            try:
                await asyncio.shield(self.delete_prefix(prefix))
            except Exception:
                # The body's own error is the one to report; this one only leaves litter.
                log.exception("could not remove %s after a failed write", prefix)
            raise


def _not_found(key: str) -> ApiError:
    return ApiError(404, f"Media not found: {key}")


class LocalStorage(Storage):
    """Files under one root folder; writes are atomic (temp file, then rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path_for(self, key: str) -> Path:
        path = (self.root / validate_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise ApiError(400, "Invalid media key: outside the storage root")
        return path

    def _write(self, key: str, writer: Any) -> None:
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                writer(out)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None:
        await asyncio.to_thread(self._write, key, lambda out: out.write(data))

    async def put_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        def copy(out: Any) -> None:
            with path.open("rb") as src:
                shutil.copyfileobj(src, out, CHUNK)

        await asyncio.to_thread(self._write, key, copy)

    async def get_bytes(self, key: str) -> bytes:
        path = self.path_for(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError):
            raise _not_found(key) from None

    async def download(self, key: str, dest: Path) -> None:
        path = self.path_for(key)
        if not path.is_file():
            raise _not_found(key)
        await asyncio.to_thread(shutil.copyfile, path, dest)

    async def stat(self, key: str) -> StoredObject | None:
        path = self.path_for(key)
        try:
            st = await asyncio.to_thread(path.stat)
        except FileNotFoundError:
            return None
        if not path.is_file():
            return None
        tag = hashlib.md5(f"{st.st_size}-{st.st_mtime_ns}".encode(), usedforsecurity=False)
        return StoredObject(key, st.st_size, tag.hexdigest(), content_type_for(key), st.st_mtime)

    async def iter_range(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        path = self.path_for(key)
        handle = await asyncio.to_thread(path.open, "rb")
        try:
            await asyncio.to_thread(handle.seek, start)
            remaining = end - start + 1
            while remaining > 0:
                chunk = await asyncio.to_thread(handle.read, min(CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                yield chunk
        finally:
            await asyncio.to_thread(handle.close)

    async def delete(self, key: str) -> None:
        self.path_for(key).unlink(missing_ok=True)

    async def delete_prefix(self, prefix: str) -> int:
        folder = self.path_for(prefix.rstrip("/"))
        if not folder.is_dir():
            return 0
        count = sum(1 for p in folder.rglob("*") if p.is_file())
        await asyncio.to_thread(shutil.rmtree, folder, True)
        return count

    async def ping(self) -> None:
        if not os.access(self.root, os.W_OK):
            raise OSError(f"storage root {self.root} is not writable")

    async def list_prefix(self, prefix: str) -> list[StoredObject]:
        folder = self.path_for(prefix.rstrip("/"))

        def scan() -> list[StoredObject]:
            found = []
            for path in folder.rglob("*") if folder.is_dir() else ():
                # A write under way (see _write) is not an object yet.
                if path.name.startswith(".tmp-"):
                    continue
                try:
                    st = path.stat()
                except FileNotFoundError:
                    continue
                if not path.is_file():
                    continue
                key = path.relative_to(self.root).as_posix()
                tag = hashlib.md5(f"{st.st_size}-{st.st_mtime_ns}".encode(), usedforsecurity=False)
                found.append(
                    StoredObject(
                        key, st.st_size, tag.hexdigest(), content_type_for(key), st.st_mtime
                    )
                )
            return found

        return await asyncio.to_thread(scan)

    async def touch(self, key: str) -> None:
        path = self.path_for(key)
        try:
            await asyncio.to_thread(os.utime, path)
        except FileNotFoundError:
            raise _not_found(key) from None


class S3Storage(Storage):
    """Any S3-compatible bucket. boto3 is synchronous, so every call runs in a worker thread."""

    def __init__(self, client: S3Client, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def _k(self, key: str) -> str:
        return self.prefix + validate_key(key)

    @staticmethod
    def _missing(exc: Exception) -> bool:
        response = getattr(exc, "response", None) or {}
        code = str(response.get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")

    async def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None:
        await asyncio.to_thread(
            self.client.put_object,
            Bucket=self.bucket,
            Key=self._k(key),
            Body=data,
            ContentType=content_type or content_type_for(key),
        )

    async def put_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        await asyncio.to_thread(
            self.client.upload_file,
            str(path),
            self.bucket,
            self._k(key),
            ExtraArgs={"ContentType": content_type or content_type_for(key)},
        )

    async def get_bytes(self, key: str) -> bytes:
        def read() -> bytes:
            obj = self.client.get_object(Bucket=self.bucket, Key=self._k(key))
            return obj["Body"].read()

        try:
            return await asyncio.to_thread(read)
        except Exception as exc:
            if self._missing(exc):
                raise _not_found(key) from None
            raise

    async def download(self, key: str, dest: Path) -> None:
        try:
            await asyncio.to_thread(self.client.download_file, self.bucket, self._k(key), str(dest))
        except Exception as exc:
            if self._missing(exc):
                raise _not_found(key) from None
            raise

    async def stat(self, key: str) -> StoredObject | None:
        try:
            head = await asyncio.to_thread(
                self.client.head_object, Bucket=self.bucket, Key=self._k(key)
            )
        except Exception as exc:
            if self._missing(exc):
                return None
            raise
        return StoredObject(
            key,
            int(head["ContentLength"]),
            str(head.get("ETag", "")).strip('"'),
            str(head.get("ContentType") or content_type_for(key)),
            head["LastModified"].timestamp(),
        )

    async def iter_range(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        obj = await asyncio.to_thread(
            self.client.get_object,
            Bucket=self.bucket,
            Key=self._k(key),
            Range=f"bytes={start}-{end}",
        )
        body = obj["Body"]
        try:
            while chunk := await asyncio.to_thread(body.read, CHUNK):
                yield chunk
        finally:
            body.close()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=self._k(key))

    async def delete_prefix(self, prefix: str) -> int:
        full = self._k(prefix.rstrip("/")) + "/"

        def remove() -> int:
            count = 0
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=full):
                keys = [o["Key"] for o in page.get("Contents", [])]
                if keys:
                    self.client.delete_objects(
                        Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in keys]}
                    )
                    count += len(keys)
            return count

        return await asyncio.to_thread(remove)

    async def ping(self) -> None:
        await asyncio.to_thread(self.client.head_bucket, Bucket=self.bucket)

    async def list_prefix(self, prefix: str) -> list[StoredObject]:
        full = self._k(prefix.rstrip("/")) + "/"

        def scan() -> list[StoredObject]:
            found = []
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=full):
                for item in page.get("Contents", []):
                    found.append(
                        StoredObject(
                            item["Key"].removeprefix(self.prefix),
                            int(item["Size"]),
                            str(item.get("ETag", "")).strip('"'),
                            content_type_for(item["Key"]),
                            item["LastModified"].timestamp(),
                        )
                    )
            return found

        return await asyncio.to_thread(scan)

    async def touch(self, key: str) -> None:
        # S3 has no utime: copying an object onto itself with new metadata stamps a new
        # LastModified, server-side, without moving its bytes.
        try:
            await asyncio.to_thread(
                self.client.copy_object,
                Bucket=self.bucket,
                Key=self._k(key),
                CopySource={"Bucket": self.bucket, "Key": self._k(key)},
                MetadataDirective="REPLACE",
                ContentType=content_type_for(key),
            )
        except Exception as exc:
            if self._missing(exc):
                raise _not_found(key) from None
            raise


class StorageSettings(BaseSettings):
    """Storage fields every deployable's settings object inherits (same env names everywhere)."""

    storage_backend: Literal["local", "s3"] = "local"
    media_root: Path = Path("data/media")
    s3_bucket: str = "ai-studio-media"
    s3_prefix: str = ""
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = Field(default=None, repr=False)


def build_storage(settings: StorageSettings) -> Storage:
    if settings.storage_backend == "local":
        return LocalStorage(settings.media_root)
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key_id,
        aws_secret_access_key=settings.s3_secret_access_key,
        config=Config(
            connect_timeout=5,
            read_timeout=60,
            retries={"max_attempts": 3, "mode": "standard"},
            max_pool_connections=32,
        ),
    )
    return S3Storage(client, settings.s3_bucket, settings.s3_prefix)
