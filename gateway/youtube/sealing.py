"""AES-GCM for tokens at rest, with keys by kid so they rotate without a migration."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from contracts.errors import ApiError

MIN_SECRET = 32
NONCE_BYTES = 12


def _derive(secret: str, purpose: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose)
    return hkdf.derive(secret.encode())


class Sealer:
    """Encrypts under the active kid; opens anything sealed under a listed kid."""

    def __init__(self, keys: dict[str, str], active: str | None) -> None:
        for kid, secret in keys.items():
            if len(secret) < MIN_SECRET:
                raise ValueError(f"YOUTUBE_TOKEN_KEYS[{kid!r}] must be at least 32 characters")
        if active is not None and active not in keys:
            raise ValueError(f"YOUTUBE_TOKEN_ACTIVE_KID {active!r} is not in YOUTUBE_TOKEN_KEYS")
        self.active = active or (next(iter(keys)) if keys else None)
        self._aead = {kid: AESGCM(_derive(s, b"youtube-tokens")) for kid, s in keys.items()}
        self._mac = {kid: _derive(s, b"youtube-oauth-state") for kid, s in keys.items()}

    @property
    def configured(self) -> bool:
        return self.active is not None

    def _require(self) -> str:
        if self.active is None:
            raise ApiError(409, "YouTube is not configured: set YOUTUBE_TOKEN_KEYS")
        return self.active

    def seal(self, plaintext: bytes, context: str) -> dict[str, str]:
        kid = self._require()
        nonce = os.urandom(NONCE_BYTES)
        # The context (whose tokens these are) is authenticated: a sealed blob copied onto
        # another user's record does not open there.
        sealed = self._aead[kid].encrypt(nonce, plaintext, context.encode())
        return {"kid": kid, "nonce": _b64(nonce), "data": _b64(sealed)}

    def open(self, box: dict[str, str], context: str) -> bytes:
        aead = self._aead.get(box.get("kid", ""))
        if aead is None:
            raise KeyError(f"unknown token key {box.get('kid')!r}")
        return aead.decrypt(_unb64(box["nonce"]), _unb64(box["data"]), context.encode())

    def stale(self, box: dict[str, str]) -> bool:
        return box.get("kid") != self.active

    def sign(self, value: str) -> str:
        kid = self._require()
        mac = hmac.new(self._mac[kid], value.encode(), hashlib.sha256).digest()
        return f"{value}.{kid}.{_b64(mac)}"

    def unsign(self, signed: str) -> str | None:
        value, _, rest = signed.partition(".")
        kid, _, mac = rest.rpartition(".")
        key = self._mac.get(kid)
        if key is None or not value:
            return None
        expected = hmac.new(key, value.encode(), hashlib.sha256).digest()
        try:
            given = _unb64(mac)
        except ValueError:
            return None
        return value if hmac.compare_digest(expected, given) else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
