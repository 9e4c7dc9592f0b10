"""One uploaded file and a few text fields, read from a multipart body as it arrives.

The file goes to a temporary file on disk chunk by chunk and its bytes are counted exactly, so
an upload over its limit is refused as soon as it passes it, without reading the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from contracts.errors import ApiError

MAX_FIELD_BYTES = 4096
MAX_PARTS = 16


class OverLimit(Exception):
    """The file part passed `limit` bytes (the route says which limit that was)."""


@dataclass
class Upload:
    path: Path
    filename: str | None = None
    content_type: str | None = None
    size: int = 0
    fields: dict[str, str] = field(default_factory=dict)


class _Parts:
    """Parser callbacks: collect headers per part, route data to the file or a field."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts = 0
        self.header_name = b""
        self.header_value = b""
        self.headers: dict[bytes, bytes] = {}
        self.name: str | None = None
        self.is_file = False
        self.file_seen = False
        self.field_value = bytearray()
        self.pending = bytearray()  # file bytes parsed but not yet written
        self.size = 0
        self.filename: str | None = None
        self.content_type: str | None = None
        self.fields: dict[str, str] = {}

    def callbacks(self) -> Any:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": lambda d, s, e: self._add("header_name", d[s:e]),
            "on_header_value": lambda d, s, e: self._add("header_value", d[s:e]),
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def _add(self, attr: str, data: bytes) -> None:
        setattr(self, attr, getattr(self, attr) + data)

    def part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise ApiError(400, f"file: the form has more than {MAX_PARTS} parts")
        self.headers, self.name, self.is_file = {}, None, False
        self.field_value = bytearray()

    def header_end(self) -> None:
        self.headers[self.header_name.lower()] = self.header_value
        self.header_name = self.header_value = b""

    def headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition"))
        self.name = options.get(b"name", b"").decode("utf-8", "replace")
        self.is_file = self.name == "file"
        if self.is_file:
            if self.file_seen:
                raise ApiError(400, "file: send exactly one file")
            self.file_seen = True
            raw = options.get(b"filename")
            self.filename = os.path.basename(raw.decode("utf-8", "replace"))[:255] if raw else None
            declared = self.headers.get(b"content-type")
            self.content_type = declared.decode("latin-1")[:255] if declared else None

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self.is_file:
            self.size += end - start
            if self.size > self.limit:
                raise OverLimit
            self.pending += data[start:end]
        else:
            self.field_value += data[start:end]
            if len(self.field_value) > MAX_FIELD_BYTES:
                raise ApiError(400, f"{self.name}: longer than {MAX_FIELD_BYTES} bytes")

    def part_end(self) -> None:
        if not self.is_file and self.name:
            self.fields[self.name] = self.field_value.decode("utf-8", "replace")


def _boundary(request: Request) -> bytes:
    kind, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise ApiError(
            415, "Send the upload as multipart/form-data with the file in a field named file"
        )
    return boundary


@contextlib.asynccontextmanager
async def read_upload(request: Request, limit: int) -> AsyncIterator[Upload]:
    """The upload in a temporary file, removed when the block ends; OverLimit once the file
    passes `limit` bytes."""
    parts = _Parts(limit)
    parser = MultipartParser(_boundary(request), parts.callbacks())
    fd, name = await asyncio.to_thread(tempfile.mkstemp, prefix="upload-")
    path = Path(name)
    out = os.fdopen(fd, "wb")
    try:
        try:
            async for chunk in request.stream():
                parser.write(chunk)
                if parts.pending:
                    data, parts.pending = bytes(parts.pending), bytearray()
                    await asyncio.to_thread(out.write, data)
            parser.finalize()
        except MultipartParseError:
            raise ApiError(400, "file: the multipart body is malformed") from None
        finally:
            await asyncio.to_thread(out.close)
        if not parts.file_seen:
            raise ApiError(422, "file: Field required (send the file in a field named file)")
        yield Upload(path, parts.filename, parts.content_type, parts.size, parts.fields)
    finally:
        await asyncio.to_thread(path.unlink, True)
