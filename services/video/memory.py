"""Handing freed memory back to the system between the steps of a render."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

# glibc keeps what Pillow and numpy freed in the heap and in the worker threads' arenas: the
# service would carry the canvases' and the music's memory through the whole encode.
# Absent from other C libraries (musl, macOS), where this does nothing.
_MALLOC_TRIM = getattr(ctypes.CDLL(ctypes.util.find_library("c")), "malloc_trim", None)


def release_memory() -> None:
    """Collect cycles, then return the free memory of every arena to the system (blocking:
    a few ms)."""
    gc.collect()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
