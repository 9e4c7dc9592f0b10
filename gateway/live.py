"""Live events over Socket.IO (seed 002's client: `socket.emit` / `socket.on`) at `/socket.io/`.

Clients connect with the credentials HTTP takes (the `auth` payload `{"token": ...}` or
`{"api_key": ...}`, an `Authorization` or `X-API-Key` header, or anonymously as the local user
where the HTTP middleware would allow it) and join a project's room to receive what workers and
replicas publish there through Redis (gateway/jobs/events.py): `job:progress`, `job:done`,
`job:failed`, `video:regeneration:progress`, `video:regenerated`.

Events about one project go through `project_event`, which checks that the caller may read or
write that project before its handler runs: `join` (read) and the editor's `scene:update`,
`layer:update` and `layers:reorder` (write, gateway/editor/live.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from pymongo.errors import ConnectionFailure
from starlette.types import ASGIApp, Receive, Scope, Send

from contracts.errors import ApiError
from gateway.auth.middleware import Authenticator, Credentials
from gateway.auth.principal import Principal
from gateway.auth.service import Accounts
from gateway.db import Doc
from gateway.editor.live import editor_events
from gateway.jobs.events import channel, project_room
from gateway.projects.store import Need, ProjectStore
from gateway.settings import GatewaySettings

log = logging.getLogger("gateway.live")
PATH = "socket.io"
Ack = dict[str, Any]
ProjectHandler = Callable[[str, Doc, dict[str, Any]], Awaitable[Ack]]
# Which project an event's payload is about (None: it does not say).
Locate = Callable[[dict[str, Any]], str | None]
DB_DOWN = "The database is unavailable; try again"


OK: Ack = {"ok": True}
# Socket.IO's own events, not ones a client emits.
RESERVED = frozenset({"connect", "disconnect", "*"})


def refused(detail: str) -> Ack:
    return {"ok": False, "detail": detail}


def presented(scope: Scope, auth: object, authenticator: Authenticator) -> Credentials:
    """The `auth` payload's credential if it has one (it is what browsers can send: they cannot
    set headers on a WebSocket), else the connection's headers."""
    if isinstance(auth, dict):
        for name in ("token", "api_key"):
            value = auth.get(name)
            if value is None:
                continue
            if not isinstance(value, str) or not value.strip():
                raise socketio.exceptions.ConnectionRefusedError(f"auth.{name} must be a string")
            if name == "token":
                return Credentials(authorization=f"Bearer {value.strip()}")
            return Credentials(api_key=value.strip())
    return authenticator.credentials(scope)


class LiveServer:
    def __init__(self, settings: GatewaySettings, accounts: Accounts) -> None:
        self.authenticator = Authenticator(accounts)
        # Not write-only: this server also listens on the channel, for what others publish.
        manager = socketio.AsyncRedisManager(settings.redis_url, channel=channel(settings))
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            client_manager=manager,
            cors_allowed_origins=settings.cors_origins,
        )
        self._projects: ProjectStore | None = None
        self.sio.on("connect", self.connect)
        self.sio.on("leave", self.leave)
        self.sio.on("*", self.unknown)
        self.project_event("join", "read", self.join)
        editor_events(self)

    @property
    def projects(self) -> ProjectStore:
        assert self._projects is not None, "LiveServer.start was not called"
        return self._projects

    async def start(self, projects: ProjectStore) -> None:
        self._projects = projects
        # Subscribe to Redis now rather than on the first connection (python-socketio's way),
        # so that the listener is a task this process owns and cancels on shutdown.
        self.sio.manager_initialized = True
        self.sio.manager.initialize()

    async def stop(self) -> None:
        await self.sio.shutdown()
        manager = self.sio.manager
        listener: asyncio.Task[None] | None = getattr(manager, "thread", None)
        if listener is not None:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        if manager.redis is not None:
            await manager.redis.aclose()

    # --- connection ---------------------------------------------------------------------------

    async def connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        scope: Scope = environ["asgi.scope"]
        credentials = presented(scope, auth, self.authenticator)
        principal = await self._resolve(scope, credentials)
        # The credentials, not the principal: each room event checks them again, so a token
        # that expired or was revoked since the connection was made opens no further room.
        await self.sio.save_session(sid, credentials)
        log.debug("socket %s connected as %s", sid, principal.user_id)

    async def _resolve(self, scope: Scope, credentials: Credentials) -> Principal:
        try:
            principal = await self.authenticator.resolve(scope, credentials)
        except ApiError as exc:
            raise socketio.exceptions.ConnectionRefusedError(exc.detail) from None
        except ConnectionFailure:
            raise socketio.exceptions.ConnectionRefusedError(DB_DOWN) from None
        if principal is None:
            raise socketio.exceptions.ConnectionRefusedError(
                "Authentication required: connect with auth {token} or {api_key}, or an "
                "Authorization or X-API-Key header"
            )
        return principal

    async def principal(self, sid: str) -> Principal:
        credentials: Credentials = await self.sio.get_session(sid)
        try:
            return await self._resolve(self.sio.get_environ(sid)["asgi.scope"], credentials)
        except socketio.exceptions.ConnectionRefusedError as exc:
            raise ApiError(401, exc.error_args["message"]) from None

    # --- events about one project ---------------------------------------------------------------

    def project_event(
        self,
        event: str,
        need: Need,
        handler: ProjectHandler,
        locate: Locate | None = None,
        names: str = "project_id",
    ) -> None:
        """Handle `event` (payload `{"project_id": ..., ...}`, or whatever `locate` finds the
        project by, from the fields `names`) for callers with `need` access to the project;
        the answer is the event's acknowledgement."""

        async def dispatch(sid: str, data: object = None) -> Ack:
            if not isinstance(data, dict):
                return refused(f"{event} takes an object with a {names}")
            project_id = data.get("project_id") if locate is None else locate(data)
            if not isinstance(project_id, str) or not project_id:
                return refused(f"{names} is required")
            try:
                principal = await self.principal(sid)
                project = await self.projects.get(project_id, principal, need)
            except ApiError as exc:
                return refused(exc.detail)
            except ConnectionFailure:
                return refused(DB_DOWN)
            return await handler(sid, project, data)

        self.sio.on(event, dispatch)

    async def join(self, sid: str, project: Doc, data: dict[str, Any]) -> Ack:
        await self.sio.enter_room(sid, project_room(project["id"]))
        return OK

    async def leave(self, sid: str, data: object = None) -> Ack:
        # Leaving needs no access check: it only ever narrows what the client receives.
        project_id = data.get("project_id") if isinstance(data, dict) else None
        if not isinstance(project_id, str) or not project_id:
            return refused("project_id is required")
        await self.sio.leave_room(sid, project_room(project_id))
        return OK

    async def unknown(self, event: str, sid: str, *args: object) -> Ack:
        handled = sorted(set(self.sio.handlers["/"]) - RESERVED)
        return refused(f"Unknown event {event!r}; this server handles: {', '.join(handled)}")


class SocketIOMount:
    """Serves `/socket.io/` ahead of the HTTP middleware, as the outermost layer of the app.

    Not an `app.mount`: the auth middleware would refuse the handshake's requests whose
    credentials travel in the Socket.IO `auth` payload (this server checks them instead), the
    CORS middleware would add its headers to Engine.IO's own, and long polls would count as
    requests in the access log and metrics.
    """

    def __init__(self, app: ASGIApp, *, live: LiveServer) -> None:
        self.asgi = socketio.ASGIApp(live.sio, other_asgi_app=app, socketio_path=PATH)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.asgi(scope, receive, send)
