"""What the gateway holds for its lifetime, and the FastAPI dependencies that hand it out."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from contracts.storage import Storage
from gateway.clients import ServiceClient
from gateway.db import Database
from gateway.projects.store import ProjectStore
from gateway.settings import GatewaySettings


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

    def media_url(self, key: str) -> str:
        return f"{self.settings.public_base_url}/media/{key}"


def get_state(request: Request) -> GatewayState:
    state: GatewayState = request.app.state.gateway
    return state


def get_projects(request: Request) -> ProjectStore:
    return get_state(request).projects
