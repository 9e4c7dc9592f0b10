"""The accounts service: registration, login, sessions, reset, verification, deletion.

One object per gateway process. Routes parse and call it; the auth middleware asks it who a
request's credentials name. Database-backed parts are attached at start-up (`start`).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from contracts.auth import LegacyAuthResponse, TokenResponse
from contracts.errors import ApiError
from gateway.auth.mail import Mail, MailSender, build_mail_sender
from gateway.auth.passwords import Passwords
from gateway.auth.principal import Principal, principal_for
from gateway.auth.revocation import Revocations
from gateway.auth.sessions import Sessions
from gateway.auth.tokens import KeyRing
from gateway.db import Database, Doc
from gateway.library.store import LibraryStore
from gateway.media_owners import MediaOwners
from gateway.projects.store import ProjectStore
from gateway.security.audit import AuditLog
from gateway.security.counters import Counters, too_many
from gateway.settings import GatewaySettings
from gateway.users.apikeys import ApiKeyStore
from gateway.users.store import UserStore, normalize_email, user_out
from gateway.webhooks.store import WebhookStore
from runtime.storage import Storage

log = logging.getLogger("gateway.auth")
CACHE_LIMIT = 10_000


class Accounts:
    db: Database
    storage: Storage
    projects: ProjectStore
    media: MediaOwners
    users: UserStore
    sessions: Sessions
    revocations: Revocations
    api_keys: ApiKeyStore
    audit: AuditLog
    rate: Counters
    login_failures: Counters
    library: LibraryStore

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.keys = (
            KeyRing(settings.auth_jwt_keys, settings.auth_jwt_active_kid, settings.auth_jwt_issuer)
            if settings.auth_jwt_keys or settings.auth_required
            else KeyRing.ephemeral(settings.auth_jwt_issuer)
        )
        self.passwords = Passwords(
            time_cost=settings.auth_argon2_time_cost,
            memory_kib=settings.auth_argon2_memory_kib,
            concurrency=settings.auth_hash_concurrency,
        )
        self.mail: MailSender = build_mail_sender(settings)
        # Credentials that need a database read (API keys, proxy users) -> principal, briefly.
        self.cache: dict[str, tuple[float, Principal | None]] = {}

    async def start(
        self, db: Database, storage: Storage, projects: ProjectStore, media: MediaOwners
    ) -> None:
        s = self.settings
        self.db, self.storage, self.projects, self.media = db, storage, projects, media
        self.users = UserStore(db)
        self.sessions = Sessions(db)
        self.revocations = Revocations(
            db,
            max(s.auth_access_ttl_seconds, s.auth_refresh_ttl_seconds),
            s.auth_revocation_poll_seconds,
        )
        self.api_keys = ApiKeyStore(db)
        self.audit = AuditLog(db)
        self.rate = Counters(db, "rate_limits")
        self.login_failures = Counters(db, "login_failures")
        self.library = LibraryStore(db)
        for part in (
            self.users, self.sessions, self.revocations, self.api_keys, self.audit,
            self.rate, self.login_failures,
        ):  # fmt: skip
            await part.ensure_indexes()
        await self._bootstrap_admin()
        await self.revocations.start()

    async def stop(self) -> None:
        await self.revocations.stop()

    async def _bootstrap_admin(self) -> None:
        s = self.settings
        if not (s.auth_admin_email and s.auth_admin_password):
            return
        existing = await self.users.by_email(s.auth_admin_email)
        if existing is None:
            hashed = await self.passwords.hash(s.auth_admin_password)
            doc = await self.users.create(
                s.auth_admin_email, "Administrator", hashed, role="admin", verified=True
            )
            await self.audit.record("user.bootstrap_admin", actor=None, target=doc["_id"])
        elif existing["role"] != "admin":
            await self.users.update(existing["_id"], {"role": "admin"})

    # --- tokens -------------------------------------------------------------------------------

    async def tokens_for(self, user: Doc, family: str | None = None) -> TokenResponse:
        s = self.settings
        refresh, family = await self.sessions.issue_refresh(
            user["_id"], family, s.auth_refresh_ttl_seconds
        )
        access, _ = self.keys.issue_access(
            user["_id"], user["role"], user["tier"], family, s.auth_access_ttl_seconds
        )
        return TokenResponse(
            access_token=access,
            refresh_token=refresh,
            expires_in=s.auth_access_ttl_seconds,
            refresh_expires_in=s.auth_refresh_ttl_seconds,
            user=user_out(user),
        )

    @staticmethod
    def legacy(tokens: TokenResponse) -> LegacyAuthResponse:
        return LegacyAuthResponse(user=tokens.user, token=tokens.access_token)

    def principal_from_token(self, token: str) -> Principal:
        claims = self.keys.verify_access(token)
        if self.revocations.is_revoked(claims):
            raise ApiError(401, "Access token revoked", headers={"WWW-Authenticate": "Bearer"})
        return principal_for(
            claims.user_id,
            claims.role,
            claims.tier,
            "token",
            token_id=claims.token_id,
            family=claims.family,
            token_exp=claims.expires,
        )

    async def _cached(self, key: str, load: Any) -> Principal | None:
        now = time.monotonic()
        hit = self.cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        principal: Principal | None = await load()
        if len(self.cache) >= CACHE_LIMIT:
            self.cache.clear()
        self.cache[key] = (now + self.settings.auth_api_key_cache_ttl_seconds, principal)
        return principal

    async def principal_from_key(self, key: str) -> Principal:
        async def load() -> Principal | None:
            owner = await self.api_keys.owner_of(key)
            user = await self.users.by_id(owner) if owner else None
            if user is None:
                return None
            return principal_for(user["_id"], user["role"], user["tier"], "api_key")

        principal = await self._cached(f"key:{key}", load)
        if principal is None:
            raise ApiError(401, "Invalid or revoked API key")
        return principal

    async def principal_from_proxy(self, email: str) -> Principal:
        """A user the trusted proxy authenticated; their account is created on first sight."""

        async def load() -> Principal | None:
            user = await self.users.by_email(email)
            if user is None:
                hashed = await self.passwords.hash(f"proxy-only-{time.time_ns()}-unusable")
                user = await self.users.create(
                    email, email.split("@")[0][:100] or email, hashed, verified=True
                )
                await self.audit.record("user.proxy_provisioned", actor=None, target=user["_id"])
            return principal_for(user["_id"], user["role"], user["tier"], "proxy")

        principal = await self._cached(f"proxy:{normalize_email(email)}", load)
        assert principal is not None
        return principal

    def forget_cached(self) -> None:
        """After a change to keys or roles, the next request reads the database again."""
        self.cache.clear()

    # --- flows --------------------------------------------------------------------------------

    async def register(self, email: str, password: str, name: str, ip: str | None) -> Doc:
        hashed = await self.passwords.hash(password)
        user = await self.users.create(email, name, hashed, verified=False)
        await self.audit.record("user.register", actor=user["_id"], target=user["_id"], ip=ip)
        await self.send_verification(user)
        return user

    async def login(self, email: str, password: str, ip: str | None) -> Doc:
        s = self.settings
        subject = f"email:{normalize_email(email)}"
        failures = await self.login_failures.peek(subject, s.auth_login_window_seconds)
        if failures >= s.auth_login_max_failures:
            window = await self.login_failures.hit(
                subject, s.auth_login_max_failures, s.auth_login_window_seconds
            )
            await self.audit.record("auth.login", actor=None, ip=ip, outcome="throttled")
            raise too_many("Too many failed logins for this account; try again later", window)
        user = await self.users.by_email(email)
        ok, new_hash = await self.passwords.verify(password, user["password"] if user else None)
        if user is None or not ok:
            await self.login_failures.hit(
                subject, s.auth_login_max_failures, s.auth_login_window_seconds
            )
            await self.audit.record(
                "auth.login", actor=user["_id"] if user else None, ip=ip, outcome="failed"
            )
            raise ApiError(401, "Invalid email or password")
        if new_hash:
            await self.users.update(user["_id"], {"password": new_hash})
        await self.audit.record("auth.login", actor=user["_id"], ip=ip)
        return user

    async def refresh(self, token: str, ip: str | None) -> TokenResponse:
        outcome = await self.sessions.use_refresh(token)
        if outcome.status == "replayed" and outcome.family:
            # A used token came back: whoever holds the family's newer token may be a thief.
            await self.sessions.end_family(outcome.family)
            await self.revocations.revoke_family(outcome.family)
            await self.audit.record(
                "auth.refresh_reuse", actor=outcome.user_id, ip=ip, outcome="revoked_family"
            )
            raise ApiError(401, "Refresh token already used; the session has been revoked")
        if outcome.status != "ok" or outcome.user_id is None:
            raise ApiError(401, "Invalid or expired refresh token")
        user = await self.users.by_id(outcome.user_id)
        if user is None:
            raise ApiError(401, "Invalid or expired refresh token")
        return await self.tokens_for(user, outcome.family)

    async def logout(self, principal: Principal, refresh_token: str | None) -> None:
        if principal.token_id and principal.token_exp:
            await self.revocations.revoke_token(principal.token_id, principal.token_exp)
        families = {principal.family} if principal.family else set()
        if refresh_token:
            doc = await self.sessions.find_refresh(refresh_token)
            if doc is not None and doc["user"] == principal.user_id:
                families.add(doc["family"])
        for family in families:
            await self.sessions.end_family(family)
            await self.revocations.revoke_family(family)
        await self.audit.record("auth.logout", actor=principal.user_id)

    async def end_all_sessions(self, user_id: str) -> None:
        await self.sessions.end_user(user_id)
        await self.revocations.cut_off_user(user_id)
        self.forget_cached()

    def _link(self, path: str, token: str) -> str:
        base = (self.settings.auth_link_base_url or self.settings.public_base_url).rstrip("/")
        return f"{base}{path}?token={token}"

    async def _send(self, mail: Mail) -> None:
        try:
            await self.mail.send(mail)
        except Exception:
            log.exception("could not send mail %r", mail.subject)

    async def send_verification(self, user: Doc) -> None:
        token = await self.sessions.issue_one_time(
            "verify", user["_id"], self.settings.auth_verify_ttl_seconds
        )
        link = self._link("/api/v1/auth/verify-email", token)
        await self._send(
            Mail(user["email"], "Confirm your email", f"Confirm your address: {link}\n")
        )

    async def verify_email(self, token: str) -> Doc:
        user_id = await self.sessions.use_one_time("verify", token)
        if user_id is None:
            raise ApiError(400, "Invalid, used or expired verification token")
        return await self.users.update(user_id, {"emailVerified": True})

    async def request_reset(self, email: str, ip: str | None) -> None:
        user = await self.users.by_email(email)
        await self.audit.record(
            "auth.password_reset_request", actor=user["_id"] if user else None, ip=ip
        )
        if user is None:
            return
        ttl = self.settings.auth_reset_ttl_seconds
        token = await self.sessions.issue_one_time("reset", user["_id"], ttl)
        link = self._link("/api/v1/auth/password-reset/confirm", token)
        await self._send(
            Mail(
                user["email"],
                "Reset your password",
                f"Someone asked to reset your password. If it was you: {link}\n"
                f"The link works once, within {ttl // 60} minutes.\n",
            )
        )

    async def confirm_reset(self, token: str, new_password: str, ip: str | None) -> None:
        user_id = await self.sessions.use_one_time("reset", token)
        if user_id is None:
            raise ApiError(400, "Invalid, used or expired reset token")
        hashed = await self.passwords.hash(new_password)
        await self.users.update(user_id, {"password": hashed})
        await self.end_all_sessions(user_id)
        await self.audit.record("auth.password_reset", actor=user_id, target=user_id, ip=ip)

    async def change_password(self, user: Doc, current: str | None, new: str) -> None:
        ok, _ = await self.passwords.verify(current or "", user["password"])
        if not ok:
            raise ApiError(403, "current_password is wrong", details={"field": "current_password"})
        await self.users.update(user["_id"], {"password": await self.passwords.hash(new)})
        await self.end_all_sessions(user["_id"])
        await self.audit.record("user.password_change", actor=user["_id"], target=user["_id"])

    async def set_role_or_tier(
        self, actor: Principal, user_id: str, changes: dict[str, str]
    ) -> Doc:
        before = await self.users.get(user_id)
        user = await self.users.update(user_id, changes)
        # Tokens carry the role and tier: the old ones must not outlive the change.
        await self.revocations.cut_off_user(user_id)
        self.forget_cached()
        await self.audit.record(
            "user.role_change",
            actor=actor.user_id,
            target=user_id,
            before={k: before.get(k) for k in changes},
            after=changes,
        )
        return user

    async def delete_account(self, user_id: str, actor: str) -> dict[str, int]:
        """Delete a user with everything they own; see the README's "Accounts and security".

        Media files go only if they were produced for this user (or in their projects) and no
        remaining project refers to them: a URL pasted from someone else's project is not theirs.
        """
        owned = await self.projects.owned_ids(user_id)
        candidates = await self.media.produced_for(user_id, owned)
        deleted = await self.projects.delete_owned_by(user_id)
        shared = await self.projects.drop_member_everywhere(user_id)
        in_use = await self.projects.referenced(candidates)
        removed = [key for key in candidates if key not in in_use]
        for key in removed:
            try:
                await self.storage.delete(key)
            except Exception:
                log.warning("could not delete media %s of user %s", key, user_id, exc_info=True)
        await self.media.forget(removed)
        # Their uploads went with the media above; their library entries and favorites go too.
        await self.library.delete_user(user_id)
        await self.api_keys.delete_all(user_id)
        # Their YouTube grants (this server can no longer act for them) and channels.
        await self.db.db["youtube_tokens"].delete_many({"user_id": user_id})
        await self.db.db["channels"].delete_many({"user_id": user_id})
        await WebhookStore(self.db).delete_all(user_id)
        await self.end_all_sessions(user_id)
        await self.sessions.delete_user(user_id)
        await self.users.delete(user_id)
        await self.audit.record(
            "user.delete", actor=actor, target=user_id, projects=deleted, media=len(removed)
        )
        return {"projects": deleted, "media": len(removed), "shared": shared}
