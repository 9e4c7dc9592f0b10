"""What a gateway process (web or worker) holds for its lifetime, how it is opened and closed,
and the FastAPI dependencies that hand it out."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from gateway.analytics.queries import ensure_indexes as ensure_analytics_indexes
from gateway.clients import ServiceClient
from gateway.credits.ledger import CreditLedger
from gateway.credits.payments import Payments
from gateway.db import Database
from gateway.jobs.events import JobEvents
from gateway.jobs.queue import JobQueue
from gateway.jobs.store import JobStore
from gateway.library.stock import StockShelf
from gateway.library.store import LibraryStore
from gateway.media_owners import MediaOwners
from gateway.media_urls import MediaSigner, MediaUrls
from gateway.projects.store import ProjectStore
from gateway.settings import GatewaySettings
from gateway.webhooks.store import WebhookStore
from gateway.youtube.hub import YouTube
from runtime.storage import Storage, build_storage


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
    queue: JobQueue
    events: JobEvents
    library: LibraryStore
    stock: StockShelf
    credits: CreditLedger
    payments: Payments
    youtube: YouTube
    webhooks: WebhookStore

    @property
    def urls(self) -> MediaUrls:
        return self.projects.urls

    def media_url(self, key: str) -> str:
        return self.urls.url(key)

    def media_key(self, url: str | None) -> str | None:
        """The storage key behind one of our media URLs (absolute or /media/...), else None."""
        return self.urls.key(url)


def _services(settings: GatewaySettings, token: str | None) -> Services:
    def client(name: str, url: str, read_timeout: float) -> ServiceClient:
        return ServiceClient(
            name,
            url,
            connect_timeout=settings.service_connect_timeout_seconds,
            read_timeout=read_timeout,
            retries=settings.service_retries,
            token=token,
        )

    return Services(
        script=client("script", settings.script_service_url, settings.script_timeout_seconds),
        audio=client("audio", settings.audio_service_url, settings.audio_timeout_seconds),
        image=client("image", settings.image_service_url, settings.image_timeout_seconds),
        video=client("video", settings.video_service_url, settings.video_timeout_seconds),
    )


async def open_state(
    settings: GatewaySettings, token: str | None, signer: MediaSigner | None
) -> GatewayState:
    db = Database(settings.mongodb_url, settings.mongodb_db, settings.mongodb_timeout_seconds)
    jobs, media_owners = JobStore(db), MediaOwners(db)
    await db.ensure_indexes()
    await jobs.ensure_indexes()
    await media_owners.ensure_indexes()
    library = LibraryStore(db)
    await library.ensure_indexes()
    services = _services(settings, token)
    stock = StockShelf(
        library, services.video, services.image, settings.library_stock_retry_seconds
    )
    credits = CreditLedger(db)
    await credits.ensure_indexes()
    youtube = YouTube(settings, db)
    await youtube.ensure_indexes()
    webhooks = WebhookStore(db)
    await webhooks.ensure_indexes()
    await ensure_analytics_indexes(db)
    return GatewayState(
        settings=settings,
        db=db,
        storage=build_storage(settings),
        services=services,
        projects=ProjectStore(db, MediaUrls(settings.public_base_url, signer)),
        jobs=jobs,
        media_owners=media_owners,
        queue=JobQueue(settings),
        events=JobEvents(settings),
        library=library,
        stock=stock,
        credits=credits,
        payments=Payments(settings, db, credits),
        youtube=youtube,
        webhooks=webhooks,
    )


async def close_state(state: GatewayState) -> None:
    for service in state.services.all():
        await service.aclose()
    await state.queue.close()
    await state.events.close()
    await state.payments.close()
    await state.youtube.aclose()
    await state.db.close()


# Dependencies are `async def` on purpose: FastAPI runs a plain `def` dependency in a worker
# thread, and that hand-off cost a sixth of the gateway's CPU on the hot read path.
def state_of(request: Request) -> GatewayState:
    state: GatewayState = request.app.state.gateway
    return state


async def get_state(request: Request) -> GatewayState:
    return state_of(request)


async def get_projects(request: Request) -> ProjectStore:
    return state_of(request).projects
