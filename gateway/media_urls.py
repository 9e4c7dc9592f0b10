"""Our media URLs and the storage keys behind them: one parser for the whole gateway."""

from __future__ import annotations

import contextlib
from typing import Any

from contracts.errors import ApiError
from contracts.storage import validate_key


class MediaUrls:
    def __init__(self, public_base_url: str) -> None:
        # Projects may hold absolute URLs (what the app is given) or site-relative ones.
        self.prefixes = (f"{public_base_url.rstrip('/')}/media/", "/media/")

    def url(self, key: str) -> str:
        return f"{self.prefixes[0]}{key}"

    def key(self, url: str | None) -> str | None:
        """The storage key behind one of our media URLs, None for any other URL; 400 if bad."""
        if not url:
            return None
        for prefix in self.prefixes:
            if url.startswith(prefix):
                return validate_key(url[len(prefix) :].split("?", 1)[0])
        return None

    def keys_in(self, doc: Any) -> list[str]:
        """Every storage key a project refers to: `*_key` fields and our `/media/` URLs."""
        keys: set[str] = set()

        def add(candidate: str) -> None:
            # Not a key we could have stored: nothing of ours to keep or delete.
            with contextlib.suppress(ApiError):
                keys.add(validate_key(candidate))

        def walk(value: Any, name: str) -> None:
            if isinstance(value, dict):
                for k, v in value.items():
                    walk(v, str(k))
            elif isinstance(value, list):
                for item in value:
                    walk(item, name)
            elif isinstance(value, str) and value:
                for prefix in self.prefixes:
                    if value.startswith(prefix):
                        add(value[len(prefix) :].split("?", 1)[0])
                        return
                if name.endswith("_key") and "://" not in value:
                    add(value)

        walk(doc, "")
        return sorted(keys)
