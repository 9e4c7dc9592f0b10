"""Each render's private scratch folder, always removed, and those a killed process left."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path


def remove_stale_workdirs(parent: Path | None, older_than: float) -> int:
    """Scratch folders a killed process left behind. Only those older than the longest render
    allowed: another process sharing the folder may be rendering in a younger one."""
    root = parent or Path(tempfile.gettempdir())
    cutoff = time.time() - older_than
    removed = 0
    for path in root.glob("render-*") if root.is_dir() else ():
        if path.is_dir() and path.stat().st_mtime < cutoff:
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


@contextlib.asynccontextmanager
async def workdir(parent: Path | None) -> AsyncIterator[Path]:
    if parent is not None:
        await asyncio.to_thread(parent.mkdir, parents=True, exist_ok=True)
    path = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="render-", dir=parent))
    try:
        yield path
    finally:
        await asyncio.to_thread(shutil.rmtree, path, True)
