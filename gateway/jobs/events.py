"""Live job events for Socket.IO clients, published on Redis so that any replica or worker can
emit them and every gateway replica delivers them to the clients in the project's room."""

from __future__ import annotations

import logging
from typing import Any

import socketio

from contracts.jobs import Job
from gateway.settings import GatewaySettings

log = logging.getLogger("gateway.jobs.events")
# Kinds whose progress is also seed 002's video regeneration.
VIDEO_KINDS = ("render", "pipeline")


def project_room(project_id: str) -> str:
    return f"project:{project_id}"


def channel(settings: GatewaySettings) -> str:
    return f"{settings.queue_prefix}-socketio"


class JobEvents:
    def __init__(self, settings: GatewaySettings) -> None:
        self.manager = socketio.AsyncRedisManager(
            settings.redis_url, channel=channel(settings), write_only=True
        )

    async def publish(self, job: Job) -> None:
        """The event a job's current state calls for; never fails the job that reports it."""
        if job.status == "done":
            names = ["job:done"] + (["video:regenerated"] if job.kind in VIDEO_KINDS else [])
        elif job.status in ("failed", "cancelled"):
            names = ["job:failed"]
        else:
            names = ["job:progress"]
            if job.kind in VIDEO_KINDS:
                names.append("video:regeneration:progress")
        if job.project_id is None:
            return  # a user's own AI job has no room to tell: its owner follows it over HTTP
        payload = job.model_dump(mode="json")
        try:
            for name in names:
                await self.manager.emit(name, payload, room=project_room(job.project_id))
        except Exception:  # Redis down: the job goes on, clients can still poll it
            log.warning("could not publish %s for job %s", names[0], job.id, exc_info=True)

    async def emit(
        self, event: str, payload: dict[str, Any], project_id: str, skip_sid: str | None = None
    ) -> None:
        """Any event to a project's room (the editor's `scene:updated`, `layer:updated`); the
        change it reports is stored already, so a Redis outage only costs the live update."""
        try:
            await self.manager.emit(
                event, payload, room=project_room(project_id), skip_sid=skip_sid
            )
        except Exception:
            log.warning("could not publish %s for project %s", event, project_id, exc_info=True)

    async def close(self) -> None:
        # The manager opens its Redis connection on the first publish.
        if self.manager.redis is not None:
            await self.manager.redis.aclose()
