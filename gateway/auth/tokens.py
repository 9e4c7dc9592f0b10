"""Access tokens: HS256 JWTs signed by a rotatable key ring (`kid` in the header).

Verification is CPU only. The algorithm list is explicit, so `alg: none` and algorithm confusion
are refused; an unknown `kid` is refused rather than tried against every key.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from contracts.errors import ApiError

ALGORITHM = "HS256"
MIN_KEY_CHARS = 32
ACCESS_TYPE = "access"


class KeyConfigError(ValueError):
    pass


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    role: str
    tier: str
    token_id: str
    family: str | None
    issued_ms: int
    expires: float


def _unauthorized(detail: str) -> ApiError:
    return ApiError(401, detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class KeyRing:
    def __init__(self, keys: dict[str, str], active: str | None, issuer: str) -> None:
        if not keys:
            raise KeyConfigError("no signing keys configured")
        for kid, secret in keys.items():
            if len(secret) < MIN_KEY_CHARS:
                raise KeyConfigError(f"key {kid!r} is shorter than {MIN_KEY_CHARS} characters")
        self.keys = dict(keys)
        self.active = active or next(iter(keys))
        if self.active not in self.keys:
            raise KeyConfigError(f"active key id {self.active!r} is not among the keys")
        self.issuer = issuer

    @classmethod
    def ephemeral(cls, issuer: str) -> KeyRing:
        """Local mode without configured keys: tokens last as long as this process."""
        return cls({"local": secrets.token_urlsafe(48)}, "local", issuer)

    def issue_access(
        self, user_id: str, role: str, tier: str, family: str | None, ttl: int
    ) -> tuple[str, AccessClaims]:
        now = time.time()
        claims = AccessClaims(
            user_id, role, tier, uuid.uuid4().hex, family, int(now * 1000), now + ttl
        )
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "sub": user_id,
            "typ": ACCESS_TYPE,
            "role": role,
            "tier": tier,
            "jti": claims.token_id,
            "iat": int(now),
            # Milliseconds: a revocation cut-off must tell apart tokens issued in the same second.
            "ims": claims.issued_ms,
            "exp": int(claims.expires),
        }
        if family:
            payload["fam"] = family
        token = jwt.encode(
            payload, self.keys[self.active], algorithm=ALGORITHM, headers={"kid": self.active}
        )
        return token, claims

    def verify_access(self, token: str) -> AccessClaims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _unauthorized("Malformed access token") from None
        kid = header.get("kid")
        if not isinstance(kid, str) or kid not in self.keys:
            raise _unauthorized("Access token signed with an unknown key")
        try:
            payload = jwt.decode(
                token,
                self.keys[kid],
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "jti", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise _unauthorized("Access token expired") from None
        except jwt.PyJWTError:
            raise _unauthorized("Invalid access token") from None
        if payload.get("typ") != ACCESS_TYPE:
            raise _unauthorized("Not an access token")
        try:
            return AccessClaims(
                user_id=str(payload["sub"]),
                role=str(payload["role"]),
                tier=str(payload["tier"]),
                token_id=str(payload["jti"]),
                family=str(payload["fam"]) if payload.get("fam") else None,
                issued_ms=int(payload.get("ims", int(payload["iat"]) * 1000)),
                expires=float(payload["exp"]),
            )
        except (KeyError, TypeError, ValueError):
            raise _unauthorized("Invalid access token") from None
