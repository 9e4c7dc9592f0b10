"""The gateway: projects in MongoDB; validates and forwards media work to the services."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware import Middleware

from gateway import health, media
from gateway.ai import avatars, media_ai, voices
from gateway.ai import routes as ai_routes
from gateway.analytics import routes as analytics_routes
from gateway.auth import routes as auth_routes
from gateway.auth.middleware import AuthMiddleware
from gateway.auth.service import Accounts
from gateway.channels import routes as channel_routes
from gateway.clients import service_token
from gateway.credits import routes as credit_routes
from gateway.db_errors import install_db_error_handlers
from gateway.editor import routes as editor_routes
from gateway.generation import audio, images, script, video
from gateway.jobs import routes as job_routes
from gateway.library import routes as library_routes
from gateway.live import LiveServer, SocketIOMount
from gateway.media_urls import MediaSigner
from gateway.metrics import Metrics
from gateway.projects import routes as projects
from gateway.projects import v1 as projects_v1
from gateway.security import routes as security_routes
from gateway.security.headers import SecurityHeadersMiddleware
from gateway.settings import GatewaySettings
from gateway.state import close_state, open_state
from gateway.users import routes as user_routes
from gateway.videos import routes as video_routes
from gateway.webhooks import routes as webhook_routes
from gateway.youtube import routes as youtube_routes
from runtime.app import create_app
from runtime.logs import configure_logging

VERSION = "0.1.0"
log = logging.getLogger("gateway")


def build_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    configure_logging("gateway", settings.log_level, access_log=settings.access_log)
    accounts = Accounts(settings)
    # Read now, not when the lifespan builds the clients, so a bad setup fails at start-up.
    token = service_token(settings)
    live = LiveServer(settings, accounts)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        signer = (
            MediaSigner(accounts.keys.keys, accounts.keys.active, settings.media_url_ttl_seconds)
            if settings.auth_required
            else None
        )
        state = await open_state(settings, token, signer)
        await accounts.start(state.db, state.storage, state.projects, state.media_owners)
        app.state.gateway = state
        await live.start(state.projects)
        try:
            yield
        finally:
            await live.stop()
            await accounts.stop()
            await close_state(state)

    metrics = Metrics()
    app = create_app(
        name="gateway",
        version=VERSION,
        description="AI video studio gateway: projects in MongoDB, media work done by services.",
        max_body_bytes=settings.max_body_bytes,
        lifespan=lifespan,
        on_request_done=metrics.observe,
        body_limits=library_routes.body_limits(settings),
    )
    app.state.accounts = accounts
    app.state.live = live
    install_db_error_handlers(app)
    # Innermost, inside the request context, so its 401/429 carry the request id.
    app.user_middleware.append(Middleware(AuthMiddleware, accounts=accounts))
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["X-Total-Count", "Link", "X-Request-ID", "Content-Range"],
        max_age=600,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    # Outermost: Socket.IO answers its own path before any HTTP middleware (gateway/live.py).
    app.add_middleware(SocketIOMount, live=live)
    app.include_router(projects.router)
    for generation in (script, audio, images, video):
        app.include_router(generation.router)
    app.include_router(job_routes.router)
    app.include_router(ai_routes.router)
    app.include_router(media_ai.router)
    app.include_router(voices.router)
    app.include_router(avatars.router)
    app.include_router(auth_routes.router)
    app.include_router(projects_v1.router)
    app.include_router(editor_routes.router)
    app.include_router(user_routes.router)
    app.include_router(security_routes.router)
    app.include_router(credit_routes.router)
    app.include_router(video_routes.router)
    app.include_router(youtube_routes.router)
    app.include_router(channel_routes.router)
    app.include_router(webhook_routes.router)
    app.include_router(analytics_routes.router)
    app.include_router(media.router)
    app.include_router(library_routes.router)
    app.include_router(health.router)
    app.include_router(metrics.router())
    return app
