"""The one way every deployable builds its FastAPI app: error envelope, request context, logs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

import uvicorn
from fastapi import FastAPI, Request

from contracts.errors import ErrorEnvelope
from contracts.health import Health
from runtime.errors import install_error_handlers
from runtime.requestctx import RequestContextMiddleware, RequestDone
from runtime.servicetoken import ServiceTokenMiddleware

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]] | None
# What a service's GET /health tells about its setup (provider, model...), asked per request.
HealthDetails = Callable[[Request], dict[str, Any]]

# Every route documents the envelope for the statuses it can answer besides success.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorEnvelope} for code in (400, 404, 413, 422, 429, 500, 502, 503, 504)
}


def create_app(
    *,
    name: str,
    version: str,
    description: str,
    max_body_bytes: int,
    lifespan: Lifespan = None,
    on_request_done: RequestDone | None = None,
    health_details: HealthDetails | None = None,
    service_tokens: list[str] | None = None,
    body_limits: Mapping[str, int] | None = None,
) -> FastAPI:
    """The app; with `health_details`, also GET /health saying it is up and how it is set up;
    with `service_tokens`, every other route requires one of them (runtime.servicetoken);
    `body_limits` lets the paths it names (uploads) take bodies over `max_body_bytes`."""
    app = FastAPI(
        title=name,
        version=version,
        description=description,
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
    )
    install_error_handlers(app)
    if service_tokens:
        # Added first, so it runs inside the request context: its 401 carries the request id
        # and is logged like any other answer.
        app.add_middleware(ServiceTokenMiddleware, tokens=service_tokens)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=max_body_bytes,
        on_done=on_request_done,
        body_limits=body_limits,
    )
    if health_details is not None:

        @app.get("/health", response_model=Health)
        async def health(request: Request) -> Health:
            details = health_details(request)
            return Health(status="ok", service=name, version=version, details=details)

    return app


def run(factory: str, *, host: str, port: int) -> None:
    """Serve the app `factory` ("module:function") builds; its logs are ours, not uvicorn's."""
    uvicorn.run(factory, factory=True, host=host, port=port, log_config=None)
