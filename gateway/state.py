"""What the gateway holds for its lifetime, and the FastAPI dependencies that hand it out."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from gateway.clients import ServiceClient
from gateway.db import Database
from gateway.jobs import JobStore
from gateway.media_owners import MediaOwners
from gateway.media_urls import MediaUrls
from gateway.projects.store import ProjectStore
from gateway.settings import GatewaySettings
from runtime.storage import Storage


@dataclass
class Services:
    script: ServiceClient
    audio: ServiceClient
    image: ServiceClient
    video: ServiceClient

    def all(self) -> list[ServiceClient]:
        return [self.script, self.audio, self.image, self.video]


@dataclass
class GatewayState:
    settings: GatewaySettings
    db: Database
    storage: Storage
    services: Services
    projects: ProjectStore
    jobs: JobStore
    media_owners: MediaOwners

    @property
    def urls(self) -> MediaUrls:
        return self.projects.urls

    def media_url(self, key: str) -> str:
        return self.urls.url(key)

    def media_key(self, url: str | None) -> str | None:
        """The storage key behind one of our media URLs (absolute or /media/...), else None."""
        return self.urls.key(url)


# Dependencies are `async def` on purpose: FastAPI runs a plain `def` dependency in a worker
# thread, and that hand-off cost a sixth of the gateway's CPU on the hot read path.
def state_of(request: Request) -> GatewayState:
    state: GatewayState = request.app.state.gateway
    return state


async def get_state(request: Request) -> GatewayState:
    return state_of(request)


async def get_projects(request: Request) -> ProjectStore:
    return state_of(request).projects
