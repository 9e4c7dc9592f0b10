"""Our media URLs and the storage keys behind them: one parser for the whole gateway.

With auth required, the URLs of a private project's media are shown signed: an expiring HMAC in
the query string, because `<img>` and `<video>` send no credentials, so the URL itself must carry
them. Projects store plain URLs (a signed one sent back by a client is stored plain again); the
signature is added each time a project is shown. A public project's media stays plain.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from contracts.errors import ApiError
from contracts.media_keys import validate_key


class MediaSigner:
    def __init__(self, keys: Mapping[str, str], active: str, ttl: int) -> None:
        # Derived keys: a media signature can never be replayed as a token signature.
        self.keys = {
            kid: hmac.new(secret.encode(), b"media-url-v1", hashlib.sha256).digest()
            for kid, secret in keys.items()
        }
        self.active = active
        self.ttl = ttl

    def _mac(self, kid: str, key: str, expires: int) -> str:
        message = f"{key}\n{expires}".encode()
        return hmac.new(self.keys[kid], message, hashlib.sha256).hexdigest()[:32]

    def query(self, key: str, now: float | None = None) -> str:
        # Expiries are rounded up to a tenth of the lifetime, so a page shown twice in a row
        # gets the same URLs and the browser's cache still works.
        step = max(self.ttl // 10, 1)
        expires = math.ceil(((now or time.time()) + self.ttl) / step) * step
        return f"exp={expires}&kid={self.active}&sig={self._mac(self.active, key, expires)}"

    def valid(self, key: str, params: Mapping[str, str], now: float | None = None) -> bool:
        kid, expires, sig = params.get("kid", ""), params.get("exp", ""), params.get("sig", "")
        if kid not in self.keys or not expires.isdigit() or int(expires) < (now or time.time()):
            return False
        return hmac.compare_digest(sig, self._mac(kid, key, int(expires)))


class MediaUrls:
    def __init__(self, public_base_url: str, signer: MediaSigner | None = None) -> None:
        # Projects may hold absolute URLs (what the app is given) or site-relative ones.
        self.prefixes = (f"{public_base_url.rstrip('/')}/media/", "/media/")
        self.signer = signer

    def url(self, key: str) -> str:
        return f"{self.prefixes[0]}{key}"

    def _split(self, value: str) -> tuple[str, str] | None:
        """(prefix, key) of one of our media URLs, query dropped; None for anything else."""
        for prefix in self.prefixes:
            if value.startswith(prefix):
                return prefix, value[len(prefix) :].split("?", 1)[0]
        return None

    def key(self, url: str | None) -> str | None:
        """The storage key behind one of our media URLs, None for any other URL; 400 if bad."""
        parts = self._split(url) if url else None
        return None if parts is None else validate_key(parts[1])

    def keys_in(self, doc: Any) -> list[str]:
        """Every storage key a project refers to: `*_key` fields and our `/media/` URLs."""
        keys: set[str] = set()

        def add(candidate: str) -> None:
            # Not a key we could have stored: nothing of ours to keep or delete.
            with contextlib.suppress(ApiError):
                keys.add(validate_key(candidate))

        def visit(value: str, name: str) -> str:
            if (parts := self._split(value)) is not None:
                add(parts[1])
            elif name.endswith("_key") and "://" not in value:
                add(value)
            return value

        _map_strings(doc, visit)
        return sorted(keys)

    def plain(self, doc: Any) -> Any:
        """`doc` with our media URLs unsigned, as they are stored."""
        if self.signer is None:
            return doc

        def visit(value: str, _: str) -> str:
            parts = self._split(value)
            return value if parts is None or "?" not in value else parts[0] + parts[1]

        return _map_strings(doc, visit)

    def signed(self, doc: Any) -> Any:
        """`doc` with our media URLs signed, as a private project's are shown."""
        signer = self.signer
        if signer is None:
            return doc
        now = time.time()

        def visit(value: str, _: str) -> str:
            parts = self._split(value)
            if parts is None:
                return value
            prefix, key = parts
            return f"{prefix}{key}?{signer.query(key, now)}"

        return _map_strings(doc, visit)


def _map_strings(value: Any, visit: Callable[[str, str], str], name: str = "") -> Any:
    """A copy of a JSON value with every string replaced by `visit(string, its field name)`."""
    if isinstance(value, dict):
        return {k: _map_strings(v, visit, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_strings(item, visit, name) for item in value]
    if isinstance(value, str) and value:
        return visit(value, name)
    return value
