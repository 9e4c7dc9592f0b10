"""The worker process type of the gateway deployable: `celery -A gateway.worker worker` runs
jobs, `celery -A gateway.worker beat` schedules the sweep. Settings come from the environment,
as the web process's do."""

from __future__ import annotations

from celery import signals

from gateway.jobs.queue import build_celery
from gateway.settings import GatewaySettings
from runtime.logs import configure_logging

settings = GatewaySettings()
celery_app = build_celery(settings)


@signals.setup_logging.connect
def _logging(**_: object) -> None:
    # One JSON log format for every process of the stack, as the web process has.
    configure_logging("worker", settings.log_level, access_log=False)
