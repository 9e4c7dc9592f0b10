"""Uploading a project: a queued job on the resumable protocol, resumed after a dropped
connection or a worker restart; scheduled and premiere uploads; token refresh; a revoked
grant; the quota; and every refusal leaving nothing queued or published."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.gateway.conftest import Gateway
from tests.support import job_worker
from tests.youtube.conftest import CHUNK, VIDEO_BYTES, connect, ready_project, state_of
from tests.youtube.google import UPLOAD, VIDEO_ID, FakeGoogle, Session, quota_exceeded

SIZE = len(VIDEO_BYTES)


async def jobs(gateway: Gateway) -> int:
    return await state_of(gateway).jobs.collection.count_documents({"kind": "publish"})


async def project(gateway: Gateway, project_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = (await gateway.http.get(f"/projects/{project_id}")).json()
    return answer


@pytest.mark.usefixtures("worker")
async def test_the_app_uploads_a_project_and_a_dropped_connection_resumes(
    yt: Gateway, google: FakeGoogle
) -> None:
    await connect(yt, google)
    made = await ready_project(yt)
    google.faults = ["drop"]
    answer = await yt.http.post(
        f"/videos/upload/{made['id']}", params={"privacy_status": "public"}, json={}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["youtube_video_id"] == VIDEO_ID
    assert body["youtube_url"] == f"https://www.youtube.com/watch?v={VIDEO_ID}"
    assert (body["scheduled_publish_at"], body["is_premiere"]) == (None, False)
    [session] = google.sessions.values()
    assert bytes(session.received) == VIDEO_BYTES
    # First chunk, second chunk dropped halfway, a status query, then on from the byte
    # YouTube acknowledged (not from the chunk's start).
    half = CHUNK + CHUNK // 2
    assert session.puts == [
        f"0-{CHUNK - 1}",
        f"{CHUNK}-{2 * CHUNK - 1}",
        "*",
        f"{half}-{SIZE - 1}",
    ]
    assert session.metadata["snippet"]["title"] == "Morning habits of the Stoics"
    assert session.metadata["snippet"]["tags"] == ["stoics", "mornings"]
    assert session.metadata["status"]["privacyStatus"] == "public"
    assert google.thumbnails == [VIDEO_ID]
    stored = await project(yt, made["id"])
    assert stored["status"] == "uploaded_to_youtube"
    assert stored["youtube_video_id"] == VIDEO_ID
    assert stored["youtube_uploaded_at"] == body["uploaded_at"]
    # Read as the app reads it (truthiness): the embedded database's `$set` stores a bool as 0/1.
    assert not stored["youtube_is_premiere"]
    # 1,600 for the insert, 50 for the thumbnail, 1 for the channel read at connection.
    usage = (await yt.http.get("/api/v1/youtube/quota")).json()
    assert usage["used_today"] == 1651
    assert await state_of(yt).youtube.quota.project_units(made["id"]) == 1650

    # Nothing is published twice.
    again = await yt.http.post(f"/videos/upload/{made['id']}", json={})
    assert again.status_code == 409
    assert again.json()["detail"].startswith(f"The project is already on YouTube as {VIDEO_ID}")
    assert len(google.sessions) == 1


@pytest.mark.usefixtures("worker")
async def test_a_scheduled_premiere_is_private_until_its_time(
    yt: Gateway, google: FakeGoogle
) -> None:
    await connect(yt, google)
    made = await ready_project(yt, status="video_subtitled")
    local = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
    params = {
        "privacy_status": "public",
        "publish_at": local.strftime("%Y-%m-%dT%H:%M"),
        "is_premiere": "true",
        "timezone": "Europe/Paris",
    }
    answer = await yt.http.post(f"/videos/upload/{made['id']}", params=params, json={})
    assert answer.status_code == 200, answer.text
    # The app's local time, read in the zone given: Paris is UTC+1 in winter, +2 in summer.
    expected = (
        datetime.strptime(params["publish_at"], "%Y-%m-%dT%H:%M")
        .replace(tzinfo=ZoneInfo("Europe/Paris"))
        .astimezone(UTC)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    assert expected != local.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert answer.json()["scheduled_publish_at"] == expected
    assert answer.json()["is_premiere"] is True
    [session] = google.sessions.values()
    assert session.metadata["status"]["privacyStatus"] == "private"
    assert session.metadata["status"]["publishAt"] == expected
    stored = await project(yt, made["id"])
    assert stored["status"] == "scheduled_for_publish"
    assert stored["youtube_scheduled_publish_at"] == expected
    assert stored["youtube_is_premiere"]


@pytest.mark.parametrize(
    ("fields", "params", "status", "detail"),
    [
        (
            {"status": "images_ready"},
            {},
            409,
            "The project is not ready to upload (status 'images_ready')",
        ),
        (
            {"video_url": None},
            {},
            409,
            "The project is not ready to upload (status 'video_ready', no video_url)",
        ),
        ({}, {"publish_at": "2020-01-01T10:00"}, 422, "publish_at: must be in the future"),
        ({}, {"publish_at": "tomorrow"}, 422, "publish_at: give a local time as YYYY-MM-DDTHH:MM"),
        ({}, {"privacy_status": "friends"}, 422, "privacy_status"),
        (
            {},
            {"publish_at": "2099-01-01T10:00", "timezone": "Mars/Olympus"},
            422,
            "timezone: unknown time zone 'Mars/Olympus'",
        ),
    ],
)
async def test_a_refused_upload_queues_nothing_and_publishes_nothing(
    yt: Gateway,
    google: FakeGoogle,
    fields: dict[str, Any],
    params: dict[str, str],
    status: int,
    detail: str,
) -> None:
    await connect(yt, google)
    made = await ready_project(yt, **fields)
    answer = await yt.http.post(f"/videos/upload/{made['id']}", params=params, json={})
    assert answer.status_code == status, answer.text
    assert detail in answer.json()["detail"]
    assert await jobs(yt) == 0
    assert google.sessions == {}
    assert (await project(yt, made["id"]))["status"] == made["status"]


@pytest.mark.usefixtures("worker")
async def test_an_upload_without_a_connection_says_to_connect(
    yt: Gateway, google: FakeGoogle
) -> None:
    made = await ready_project(yt)
    answer = await yt.http.post(f"/videos/upload/{made['id']}", json={})
    assert answer.status_code == 409
    assert answer.json()["detail"].startswith("Not connected to YouTube: connect first")
    assert await jobs(yt) == 0
    missing = await yt.http.post("/videos/upload/nope", json={})
    assert missing.status_code == 404


@pytest.mark.usefixtures("worker")
async def test_an_expired_access_token_is_refreshed_mid_upload(
    yt: Gateway, google: FakeGoogle
) -> None:
    await connect(yt, google)
    made = await ready_project(yt)
    google.faults = ["expire"]
    answer = await yt.http.post(f"/videos/upload/{made['id']}", json={})
    assert answer.status_code == 200, answer.text
    refresh = [f for f in google.token_forms if f["grant_type"] == "refresh_token"]
    assert refresh == [
        {
            "grant_type": "refresh_token",
            "refresh_token": google.refresh,
            "client_id": "client-id.apps.googleusercontent.com",
            "client_secret": "client-secret",
        }
    ]
    [session] = google.sessions.values()
    assert bytes(session.received) == VIDEO_BYTES


@pytest.mark.usefixtures("worker")
async def test_a_grant_revoked_mid_upload_fails_the_job_clearly(
    yt: Gateway, google: FakeGoogle
) -> None:
    await connect(yt, google)
    made = await ready_project(yt)
    google.faults = ["revoke"]
    answer = await yt.http.post(f"/videos/upload/{made['id']}", json={})
    assert answer.status_code == 403
    assert answer.json()["detail"] == (
        "YouTube access was revoked or has expired; connect the account to YouTube again"
    )
    stored = await project(yt, made["id"])
    assert stored["status"] == "video_ready"
    assert stored.get("youtube_video_id") is None
    assert stored["youtube_error"]["stage"] == "publish"
    assert stored.get("video_error") is None
    # The useless grant is gone: the app shows "connect".
    assert (await yt.http.get("/auth/status")).json()["is_authenticated"] is False
    job = (await yt.http.get("/api/v1/jobs", params={"kind": "publish"})).json()["items"][0]
    assert (job["status"], job["failed_stage"]) == ("failed", "publish")

    # Connected again, the retry resumes the same session: the video is uploaded once.
    await connect(yt, google)
    retried = await yt.http.post(f"/api/v1/videos/{made['id']}/retry")
    assert retried.status_code == 202, retried.text
    for _ in range(400):
        job = (await yt.http.get(f"/jobs/{retried.json()['id']}")).json()
        if job["status"] in ("done", "failed"):
            break
        await asyncio.sleep(0.05)
    assert job["status"] == "done", job
    [session] = google.sessions.values()
    assert bytes(session.received) == VIDEO_BYTES
    # The first chunk went up before the grant was revoked; the retry asked where the
    # session stood and sent the rest, never the first chunk again.
    assert session.puts == ["0-262143", "*", f"{CHUNK}-{2 * CHUNK - 1}", f"{2 * CHUNK}-{SIZE - 1}"]
    stored = await project(yt, made["id"])
    assert (stored["status"], stored["youtube_video_id"]) == ("uploaded_to_youtube", VIDEO_ID)
    assert stored["youtube_error"] is None


@pytest.mark.usefixtures("worker")
async def test_youtube_quota_exceeded_is_a_clear_429_and_counts_the_day_as_spent(
    yt: Gateway, google: FakeGoogle
) -> None:
    await connect(yt, google)
    made = await ready_project(yt)
    google.insert_answer = quota_exceeded()
    answer = await yt.http.post(f"/videos/upload/{made['id']}", json={})
    assert answer.status_code == 429
    assert answer.json()["detail"] == (
        "YouTube's API quota for today is used up; try again after it resets"
    )
    assert (await project(yt, made["id"]))["status"] == "video_ready"
    # The next upload is refused here, before a job is queued.
    before = await jobs(yt)
    again = await yt.http.post(f"/videos/upload/{made['id']}", json={})
    assert again.status_code == 429
    assert again.json()["detail"].startswith("YouTube's daily API quota would run out")
    assert int(again.headers["Retry-After"]) > 0
    assert await jobs(yt) == before


@pytest.mark.usefixtures("worker")
async def test_uploads_are_refused_before_the_daily_quota_runs_out(
    yt: Gateway, google: FakeGoogle
) -> None:
    await connect(yt, google)
    quota = state_of(yt).youtube.quota
    await quota.spend(yt.settings.youtube_daily_quota - 1000)
    made = await ready_project(yt)
    answer = await yt.http.post(f"/videos/upload/{made['id']}", json={})
    assert answer.status_code == 429
    assert answer.json()["detail"] == (
        "YouTube's daily API quota would run out: 9001 of 10000 units used today and this "
        "needs 1600"
    )
    assert await jobs(yt) == 0
    assert await quota.used_today() == 9001


async def test_a_worker_restart_resumes_from_the_session_stored_on_the_job(
    yt: Gateway, google: FakeGoogle
) -> None:
    """A worker died mid-upload: YouTube holds the first bytes, the job its session. The
    execution that takes the job over asks YouTube where it stands and sends only the rest."""
    await connect(yt, google)
    made = await ready_project(yt)
    state = state_of(yt)
    accepted = await yt.http.post(f"/api/v1/videos/{made['id']}/publish", json={})
    assert accepted.status_code == 202, accepted.text
    job_id = accepted.json()["id"]
    assert (accepted.json()["kind"], accepted.json()["stages"]) == ("publish", ["publish"])
    # What the dead worker left behind (no worker runs yet: the job's message waits).
    held = CHUNK + 777
    google.sessions["dead"] = Session(
        {"snippet": {"title": "t"}, "status": {"privacyStatus": "public"}},
        SIZE,
        bytearray(VIDEO_BYTES[:held]),
    )
    await state.youtube.quota.spend(1600, made["id"])
    await state.jobs.set(
        job_id, _youtube={"charged": True, "session": f"{UPLOAD}?upload_id=dead", "offset": CHUNK}
    )
    with job_worker(yt.settings, concurrency=1):
        for _ in range(400):
            job = (await yt.http.get(f"/jobs/{job_id}")).json()
            if job["status"] in ("done", "failed"):
                break
            await asyncio.sleep(0.05)
    assert job["status"] == "done", job
    assert job["result"]["youtube_video_id"] == VIDEO_ID
    session = google.sessions["dead"]
    assert session.puts == ["*", f"{held}-{held + CHUNK - 1}", f"{held + CHUNK}-{SIZE - 1}"]
    assert bytes(session.received) == VIDEO_BYTES
    assert list(google.sessions) == ["dead"]  # no second upload was begun
    assert await state.youtube.quota.project_units(made["id"]) == 1650  # charged once
    assert (await project(yt, made["id"]))["status"] == "uploaded_to_youtube"
