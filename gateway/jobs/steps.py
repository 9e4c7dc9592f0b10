"""What a worker does for a job: its stages in order, each a call to a service over HTTP whose
result lands on the project, as the gateway's own routes do.

A task execution first claims the job (gateway/jobs/store.py); while it works, a keeper renews
the lease and stops the work the moment the job is cancelled or taken over. A stage that ends
writes where the job goes on from (`_next`), so a redelivered job starts again at the stage
that did not finish, keeping what succeeded. The outcome lands on the job first, then on the
project with its lock released in the same write; the sweep repairs a project whose write was
cut off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from pymongo.errors import ConnectionFailure
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from contracts.errors import ApiError
from contracts.image import GeneratedImage, GenerateImageRequest
from contracts.video import BurnSubtitlesResponse, RenderProgress, RenderResponse
from gateway.clock import now_iso
from gateway.credits import reservations
from gateway.db import Doc
from gateway.editor.render import TIMELINE_RENDER, editor_scenes, timeline_of
from gateway.generation.audio import generate_audio
from gateway.generation.images import image_options
from gateway.generation.requests import as_json, contract_request
from gateway.generation.script import generate_script
from gateway.jobs import ai
from gateway.jobs.render import burn_request, render_request, rendered, subtitled
from gateway.projects.access import ProjectRef
from gateway.state import GatewayState
from gateway.webhooks.delivery import job_ended
from gateway.youtube import upload
from gateway.youtube.google import QUOTA_EXCEEDED

log = logging.getLogger("gateway.jobs")
PROGRESS_EVERY = 1.0
# Waits between tries of a step whose service failed in a way that may pass (502, 504).
MAX_BACKOFF = 60.0
# How long the final writes are retried while the database is unreachable.
FINAL_WRITE_WINDOW = 120.0
BUSY = (429, 503)
INTERNAL_ERROR = "Internal error in the worker"
TRANSIENT = (502, 504)


@dataclass
class Outcome:
    """What the task does next: nothing, or run the job again after `wait` seconds."""

    wait: float | None = None


async def publish(state: GatewayState, job_id: str) -> None:
    with contextlib.suppress(ApiError, ConnectionFailure):
        await state.events.publish(await state.jobs.get(job_id))


async def _ref(state: GatewayState, doc: Doc) -> ProjectRef:
    project = await state.projects.get(doc["project_id"])
    return ProjectRef(doc["project_id"], project, state.projects, state.media_owners, doc["_owner"])


async def _keep_lease(
    state: GatewayState, job_id: str, lease: str, work: asyncio.Task[Any]
) -> None:
    """Renew the lease; cancel the work as soon as this execution no longer holds the job."""
    every = max(state.settings.job_lease_seconds / 4, 0.2)
    while True:
        await asyncio.sleep(every)
        try:
            held = await state.jobs.report(job_id, lease)
        except ConnectionFailure:
            continue  # the database blinked: the next renewal tells
        if not held:
            work.cancel()
            return


async def run_job(state: GatewayState, job_id: str, lease: str) -> Outcome:
    settings = state.settings
    doc = await state.jobs.claim(job_id, lease, settings.job_lease_seconds)
    if doc is None:
        return Outcome()  # ended, cancelled, or held by a live execution: a duplicate message
    if doc["attempts"] > settings.job_max_attempts:
        await end_failed(
            state,
            doc,
            lease,
            doc["_next"],
            ApiError(
                500, f"Gave up after {settings.job_max_attempts} attempts: its worker stopped"
            ),
        )
        return Outcome()
    if doc.get("startedAt") is None:
        # Kept on `doc` too: the job's run time (what estimates average) counts from it.
        doc["_started"] = time.time()
        await state.jobs.report(job_id, lease, startedAt=now_iso(), _started=doc["_started"])
    work = asyncio.create_task(_stages(state, doc, lease))
    keeper = asyncio.create_task(_keep_lease(state, job_id, lease, work))
    try:
        return await work
    except asyncio.CancelledError:
        if keeper.done():  # cancelled by the keeper: the job is someone else's now
            log.info("job %s: stopped, it was cancelled or taken over", job_id)
            return Outcome()
        raise
    except Exception:
        # A bug, not a service's answer: one ERROR with its traceback, and the job ends with
        # a reason instead of waiting for the sweep to find it quiet.
        log.exception("job %s failed", job_id)
        fresh = await state.jobs.doc(job_id)
        await end_failed(state, fresh, lease, fresh["_next"], ApiError(500, INTERNAL_ERROR))
        return Outcome()
    finally:
        keeper.cancel()


async def _stages(state: GatewayState, doc: Doc, lease: str) -> Outcome:
    if doc["project_id"] is None:
        return await _own_stage(state, doc, lease)
    job_id, stages = doc["_id"], doc["stages"]
    try:
        ref = await _ref(state, doc)
    except ApiError as exc:
        await end_failed(state, doc, lease, doc["_next"], exc)
        return Outcome()
    # One stage per task execution: the next stage is a new message, so a pipeline's stages
    # spread over the workers as its images do.
    index = stages.index(doc["_next"])
    stage = stages[index]
    begun = time.time()
    await state.jobs.report(job_id, lease, stage=stage, percent=_percent(doc, stage, 0.0))
    await publish(state, job_id)
    try:
        ran = await _run_stage(state, doc, lease, ref, stage)
    except ApiError as exc:
        return await _failed_or_wait(state, doc, lease, stage, exc)
    if ran is None:
        return Outcome()  # the last image task continues the job
    changes = ran
    # How long the stage ran (its last, successful try): the gateway's metrics read it.
    took = {f"_stage_seconds.{stage}": round(time.time() - begun, 3)}
    took.update(await reservations.cost_fields(state, doc, stage, changes))
    if index + 1 == len(stages):
        await state.jobs.report(job_id, lease, _next="done", _waited=0.0, **took)
        await end_done(state, doc, lease, changes)
        return Outcome()
    if changes:  # a render followed by a publish: the video is on the project for it
        await ref.save(changes, [])
    # Handing on is not a failed try: the next claim's count is taken back here. Queued, not
    # running, while its message waits: the sweep only takes over jobs that went quiet.
    await state.jobs.hand_off(
        job_id,
        lease,
        status="queued",
        _next=stages[index + 1],
        _waited=0.0,
        attempts=doc["attempts"] - 1,
        **took,
    )
    await state.queue.run_job(job_id, doc["_priority"])
    return Outcome()


async def _run_stage(
    state: GatewayState, doc: Doc, lease: str, ref: ProjectRef, stage: str
) -> Doc | None:
    """Run one stage: the project changes it made, or None once its images were fanned out."""
    if stage == "script":
        await generate_script(state, ref, {})
    elif stage == "audio":
        await generate_audio(state, ref, {})
    elif stage == "images":
        if await _fan_out(state, doc, lease, ref):
            return None
    elif stage == "render":
        return await _render(state, doc, lease, ref, subtitles=False)
    elif stage == "subtitles":
        return await _render(state, doc, lease, ref, subtitles=True)
    elif stage == "publish":
        return await upload.publish(state, doc, lease, ref)
    return {}


async def _own_stage(state: GatewayState, doc: Doc, lease: str) -> Outcome:
    """A user's own AI job (gateway/jobs/ai.py): one stage, its result on the job alone."""
    job_id, stage = doc["_id"], doc["_next"]
    begun = time.time()
    await state.jobs.report(job_id, lease, stage=stage, percent=0.0)
    await publish(state, job_id)
    try:
        result = await ai.run_stage(state, doc)
    except ApiError as exc:
        return await _failed_or_wait(state, doc, lease, stage, exc)
    took = {f"_stage_seconds.{stage}": round(time.time() - begun, 3)}
    await state.jobs.report(job_id, lease, _next="done", _waited=0.0, **took)
    await end_done(state, doc, lease, result)
    return Outcome()


def _percent(doc: Doc, stage: str, within: float) -> float:
    """A pipeline's percent spans its stages; a render's is the video service's own."""
    stages: list[str] = doc["stages"]
    if len(stages) == 1:
        return round(within, 1)
    return round((stages.index(stage) + within / 100) / len(stages) * 100, 1)


def _retry_after(exc: ApiError, attempt: int) -> float:
    header = exc.headers.get("Retry-After", "")
    if header.isdigit():
        return min(float(header), MAX_BACKOFF)
    return min(2.0**attempt, MAX_BACKOFF)


async def _failed_or_wait(
    state: GatewayState, doc: Doc, lease: str, stage: str, exc: ApiError
) -> Outcome:
    """A busy or unreachable service makes the job wait; a 502/504 is tried again a few
    times; anything else (a 4xx, a broken answer) fails the job with the service's reason."""
    settings = state.settings
    waited = float(doc.get("_waited") or 0.0)
    # A spent YouTube quota is not a busy service: it comes back tomorrow, so the job fails.
    if exc.status in BUSY and exc.code != QUOTA_EXCEEDED and waited < settings.job_max_wait_seconds:
        wait = _retry_after(exc, min(int(waited // 5), 6))
    elif exc.status in TRANSIENT and doc["attempts"] < settings.job_max_attempts:
        wait = _retry_after(exc, doc["attempts"])
    else:
        await end_failed(state, doc, lease, stage, exc)
        return Outcome()
    # Waiting for a busy service is not a failed try: only a 502/504 counts against attempts.
    attempts = doc["attempts"] - 1 if exc.status in BUSY else doc["attempts"]
    await state.jobs.hand_off(
        doc["_id"],
        lease,
        status="queued",
        stage=f"waiting: {exc.detail}",
        attempts=attempts,
        _waited=waited + wait,
    )
    await publish(state, doc["_id"])
    log.info("job %s: %s; trying again in %.0f s", doc["_id"], exc.detail, wait)
    return Outcome(wait=wait)


async def _render(
    state: GatewayState, doc: Doc, lease: str, ref: ProjectRef, *, subtitles: bool
) -> Doc:
    job_id = doc["_id"]
    # A new id per attempt: a redelivered render is tracked (and stored) as a new one.
    render_id = f"{job_id}-{doc['attempts']}"
    params: Doc = doc["_params"]
    relay = asyncio.create_task(_relay(state, doc, lease, render_id))
    try:
        if subtitles:
            burn = burn_request(ref, params, render_id)
            burned = await state.services.video.call(
                "POST", "/burn-subtitles", BurnSubtitlesResponse, json=as_json(burn)
            )
            keys = [burned.video_key, burned.thumbnail_key]
            changes = subtitled(state, burned, burn)
        else:
            if "timeline" in params:  # the editor's render (gateway/editor/render.py)
                timeline = await timeline_of(state, doc["project_id"], params, render_id)
                path, body = TIMELINE_RENDER, as_json(timeline)
            else:
                scenes = await editor_scenes(state, doc["project_id"])
                request = render_request(state, ref, params, render_id, scenes)
                if doc.get("_watermark"):
                    request.watermark = state.settings.watermark_text
                path, body = "/render", as_json(request)
            answer = await state.services.video.call("POST", path, RenderResponse, json=body)
            keys = [answer.video_key, answer.thumbnail_key]
            changes = rendered(state, answer)
    finally:
        relay.cancel()
    await state.media_owners.record(keys, doc["_owner"], doc["project_id"])
    return changes


async def _relay(state: GatewayState, doc: Doc, lease: str, render_id: str) -> None:
    """Copy the video service's stage and percent onto the job while it renders."""
    while True:
        await asyncio.sleep(PROGRESS_EVERY)
        # Best effort: a missed update is made good by the next one, or by the outcome.
        with contextlib.suppress(ApiError, ConnectionFailure):
            progress = await state.services.video.call(
                "GET", f"/renders/{render_id}", RenderProgress
            )
            stage = doc["stages"][-1]
            await state.jobs.report(
                doc["_id"],
                lease,
                stage=progress.stage,
                percent=_percent(doc, stage, progress.percent),
            )
            await publish(state, doc["_id"])


# --- images: one task per image ------------------------------------------------------------


async def _fan_out(state: GatewayState, doc: Doc, lease: str, ref: ProjectRef) -> bool:
    """Send one task per image still missing; False when none is (the job goes on here)."""
    images = ref.field("images") or []
    if not images:
        raise ApiError(422, "The script has no scenes to draw: generate the script first")
    missing = [
        i for i, slot in enumerate(images) if not (isinstance(slot, dict) and slot.get("url"))
    ]
    if not missing:
        return False
    await state.jobs.report(
        doc["_id"], lease, _images={}, _missing=missing, _fanout=True, _images_begun=time.time()
    )
    for index in missing:
        await state.queue.run_image(doc["_id"], index, doc["_priority"])
    await state.jobs.hand_off(doc["_id"], lease)
    return True


async def run_image(state: GatewayState, job_id: str, index: int) -> Outcome:
    """Draw one image of a job's fan-out; the last one in continues the job."""
    doc = await state.jobs.doc(job_id)
    if (
        doc["status"] != "running"
        or not doc.get("_fanout")
        or str(index) in (doc.get("_images") or {})
    ):
        return Outcome()  # cancelled, already continued, or a duplicate
    ref = await _ref(state, doc)
    images = ref.field("images") or []
    prompt = images[index].get("prompt") if index < len(images) else None
    try:
        fields = {"prompt": prompt, **image_options(ref, {})}
        request = contract_request(GenerateImageRequest, fields)
        answer = await state.services.image.call(
            "POST", "/generate", GeneratedImage, json=as_json(request)
        )
    except ApiError as exc:
        if exc.status in BUSY:
            return Outcome(wait=_retry_after(exc, 2))
        outcome: Doc = {"prompt": prompt, "url": None, "error": exc.detail}
    else:
        await state.media_owners.record([answer.key], doc["_owner"], doc["project_id"])
        outcome = {"prompt": request.prompt, "url": state.media_url(answer.key)}
    updated = await state.jobs.image_done(job_id, index, outcome)
    if updated is None:
        return Outcome()
    done = updated.get("_images") or {}
    total = len(updated["_missing"])
    await state.jobs.set(job_id, percent=_percent(updated, "images", 100 * len(done) / total))
    await publish(state, job_id)
    if len(done) >= total and await state.jobs.take_continuation(job_id):
        await _images_in(state, updated)
    return Outcome()


async def _images_in(state: GatewayState, doc: Doc) -> None:
    """Every image of the fan-out is in: write them to the project, then go on (or fail)."""
    ref = await _ref(state, doc)
    images = [dict(slot) for slot in ref.field("images") or []]
    for key, outcome in (doc.get("_images") or {}).items():
        if int(key) < len(images):
            images[int(key)] = outcome
    changes: Doc = {"images": images}
    failed = [slot for slot in images if not slot.get("url")]
    if not failed:
        changes["status"] = "images_ready"
    await ref.save(changes, [])
    if failed:
        reason = failed[0].get("error") or "an image could not be drawn"
        await end_failed(state, doc, None, "images", ApiError(502, str(reason)))
        return
    took = round(time.time() - float(doc.get("_images_begun") or time.time()), 3)
    # The continuation's claim counts a start; going on after a fan-out is not a new try (as
    # a wait for a busy service is not), or a pipeline would give up a worker death early.
    await state.jobs.set(
        doc["_id"],
        _next="render",
        _fanout=False,
        attempts=doc["attempts"] - 1,
        **{"_stage_seconds.images": took},
        **await reservations.cost_fields(state, doc, "images"),
    )
    await state.queue.run_job(doc["_id"], doc["_priority"])


# --- the end of a job ------------------------------------------------------------------------


async def _final(action: Any) -> Any:
    """A final write is retried while the database is unreachable: the project must come to
    agree with its job (the sweep repairs it if this process dies first)."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(ConnectionFailure),
        wait=wait_exponential(multiplier=0.5, max=10),
        stop=stop_after_delay(FINAL_WRITE_WINDOW),
        reraise=True,
    ):
        with attempt:
            return await action()


async def end_done(state: GatewayState, doc: Doc, lease: str | None, changes: Doc) -> None:
    job_id = doc["_id"]
    started = doc.get("_started") or time.time()
    apply = {**changes, "video_error": None}

    async def finish() -> Doc | None:
        return await state.jobs.finish(
            job_id,
            lease,
            "done",
            stage="done",
            percent=100.0,
            result=changes,
            _apply=apply,
            _seconds=round(time.time() - started, 3),
        )

    ended = await _final(finish)
    if ended is None:
        return  # cancelled meanwhile: the project keeps what the cancel gave it
    await _final(lambda: reservations.settle(state, ended))
    if doc["project_id"] is not None:
        await _final(lambda: state.projects.release(doc["project_id"], job_id, apply))
    await publish(state, job_id)
    await job_ended(state, job_id)


async def end_failed(
    state: GatewayState, doc: Doc, lease: str | None, stage: str, exc: ApiError
) -> None:
    job_id = doc["_id"]
    error = {"stage": stage, "reason": exc.detail, "job_id": job_id}
    # A failed upload leaves the video as it was: the error is about YouTube, not the video.
    apply: Doc = {"youtube_error": error} if stage == "publish" else {"video_error": error}
    if stage == "render":  # a failed burn or an earlier stage leaves the last video usable
        apply["status"] = "video_failed"

    async def finish() -> Doc | None:
        return await state.jobs.finish(
            job_id,
            lease,
            "failed",
            reason=exc.detail,
            failed_stage=stage,
            _error={"status": exc.status, "detail": exc.detail},
            _apply=apply,
        )

    ended = await _final(finish)
    if ended is None:
        return
    await _final(lambda: reservations.refund(state, ended, f"the job failed at {stage}"))
    if exc.detail != INTERNAL_ERROR:  # that one was logged with its traceback
        log.warning("job %s failed at %s: %s", job_id, stage, exc.detail)
    if doc["project_id"] is not None:
        await _final(lambda: state.projects.release(doc["project_id"], job_id, apply))
    await publish(state, job_id)
    await job_ended(state, job_id)
