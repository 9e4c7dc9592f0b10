"""The beat's YouTube views pull, run by a worker with its state: every published project's
channel token from the YouTube connection, the reports over Google's pooled client."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from celery import Task, shared_task

from gateway.analytics import youtube_views
from gateway.jobs.queue import PULL_YOUTUBE_VIEWS
from gateway.jobs.worker import context_for
from gateway.state import GatewayState
from gateway.youtube.connect import access_token


async def pull_views(state: GatewayState) -> int:
    """The snapshots written (the reports' days are YouTube's, in UTC)."""
    yt = state.youtube
    token_for = functools.partial(access_token, yt)
    today = datetime.now(UTC).date()
    return await youtube_views.pull(state.db, yt.google.http, token_for, today)


@shared_task(name=PULL_YOUTUBE_VIEWS, bind=True)
def pull_youtube_views(self: Task[Any, Any]) -> int:
    context = context_for(self.app)
    return context.run(pull_views(context.state))
