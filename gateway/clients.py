"""HTTP clients for the four services: pooled, with explicit timeouts and bounded, safe retries.

Retries follow the one policy (runtime.upstream.RetryPolicy): the connection was never made, or
the service said 429/503 (it did not take the request). A service's 502/504 is not retried: it
already retried its own provider, so it is a verdict, and its work may have been done. Every
failure becomes a 502/503/504 whose `detail` names the service; a service's own 4xx (bad input it
detected) is passed through as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from contracts.errors import ApiError
from gateway.settings import GatewaySettings
from runtime.request_id import current_request_id
from runtime.servicetoken import bearer_header
from runtime.upstream import RetryPolicy, UpstreamStatus

log = logging.getLogger("gateway.clients")

PASSED_THROUGH = {400, 404, 409, 413, 415, 422}
M = TypeVar("M", bound=BaseModel)
MAX_RETRY_AFTER = 10.0


class ServiceTokenConfigError(ValueError):
    pass


def service_token(settings: GatewaySettings) -> str | None:
    """The token sent to the services: the first of SERVICE_TOKENS (the newest, when rotating).

    With auth required the gateway refuses to start without one, as it does without signing
    keys: a deployment that checks its users must not leave the services open beside it.
    """
    tokens = settings.service_token_values()
    if not tokens and settings.auth_required:
        raise ServiceTokenConfigError(
            "no service token configured: set SERVICE_TOKENS (the same on the gateway and every "
            "service) when AUTH_REQUIRED=true"
        )
    return tokens[0] if tokens else None


def _upstream_detail(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    detail = body.get("detail") if isinstance(body, dict) else None
    return detail if isinstance(detail, str) else None


class ServiceClient:
    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        connect_timeout: float,
        read_timeout: float,
        retries: int,
        token: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """`token`: the service token (runtime.servicetoken) sent on every call, if any."""
        self.name = name
        self.retry = RetryPolicy(
            attempts=retries,
            backoff_seconds=0.2,
            max_backoff_seconds=2.0,
            max_retry_after_seconds=MAX_RETRY_AFTER,
        )
        self.http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers=bearer_header(token) if token else None,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
            transport=transport,
        )

    async def _send(
        self, method: str, path: str, json: Any, params: Mapping[str, Any] | None
    ) -> httpx.Response:
        request_id = current_request_id()
        headers = {"x-request-id": request_id} if request_id else {}
        response = await self.http.request(method, path, json=json, params=params, headers=headers)
        if self.retry.retries_status(response.status_code):
            raise UpstreamStatus(response.status_code, response.headers)
        return response

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        """Call the service and return its JSON body, or raise an ApiError naming the service."""
        try:
            response = await self.retry.run(lambda: self._send(method, path, json, params))
        except UpstreamStatus as exc:
            after = min(exc.retry_after or 5, MAX_RETRY_AFTER)
            headers = {"Retry-After": str(int(after))}
            busy = "is busy" if exc.status == 429 else "is unavailable"
            raise ApiError(503, f"The {self.name} service {busy}", headers=headers) from None
        except httpx.TimeoutException:
            raise ApiError(504, f"The {self.name} service timed out") from None
        except httpx.TransportError as exc:
            log.warning("%s service unreachable: %s", self.name, type(exc).__name__)
            raise ApiError(503, f"The {self.name} service is unavailable") from None
        return self._result(response)

    def _result(self, response: httpx.Response) -> Any:
        status = response.status_code
        if status < 300:
            try:
                return response.json()
            except ValueError:
                raise ApiError(502, f"The {self.name} service returned invalid JSON") from None
        detail = _upstream_detail(response)
        if status in PASSED_THROUGH and detail:
            raise ApiError(status, detail)
        if status == 401:
            log.error("%s service refused our token: SERVICE_TOKENS differ between them", self.name)
        else:
            log.warning("%s service answered %s", self.name, status)
        raise ApiError(502, f"The {self.name} service failed (status {status})")

    async def call(self, method: str, path: str, answer: type[M], *, json: Any = None) -> M:
        """Like request, with the answer checked against its contract model: a service whose
        answer does not fit is at fault (502); the details stay in the log."""
        body = await self.request(method, path, json=json)
        try:
            return answer.model_validate(body)
        except ValidationError as exc:
            log.warning("%s answer does not fit %s: %s", self.name, answer.__name__, exc)
            raise ApiError(502, f"The {self.name} service returned an unexpected answer") from None

    async def health(self) -> dict[str, Any]:
        response = await self.http.get("/health", timeout=2.0)
        response.raise_for_status()
        body = response.json()
        return body if isinstance(body, dict) else {}

    async def aclose(self) -> None:
        await self.http.aclose()
