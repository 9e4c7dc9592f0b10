"""Generation routes when things go wrong: nothing half-written, errors that name the service."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from respx.patterns import M

from tests.gateway.conftest import Gateway
from tests.support import job_worker

SERVICES = "http://127.0.0.1:9"  # where the test gateway looks for every service


@pytest.fixture(autouse=True)
def services() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=SERVICES, assert_all_called=False) as mock:
        # respx patches every httpx client in the process: the test's own calls go through.
        mock.route(~M(port=9)).pass_through()
        yield mock


async def new_project(gateway: Gateway, **fields: Any) -> dict[str, Any]:
    body = {"title": "Tides", "script_text": "The sea breathes twice a day.", **fields}
    created: dict[str, Any] = (await gateway.http.post("/projects", json=body)).json()
    return created


async def test_a_service_that_is_down_is_503_and_the_project_is_unchanged(
    gateway: Gateway, services: respx.MockRouter
) -> None:
    services.post("/generate").mock(side_effect=httpx.ConnectError("connection refused"))
    project = await new_project(gateway)
    response = await gateway.http.post(f"/scripts/{project['id']}", json={})
    assert response.status_code == 503
    assert response.json()["detail"] == "The script service is unavailable"
    assert (await gateway.http.get(f"/projects/{project['id']}")).json() == project


async def test_the_request_id_reaches_the_service(
    gateway: Gateway, services: respx.MockRouter
) -> None:
    route = services.post("/generate").respond(500)
    project = await new_project(gateway)
    response = await gateway.http.post(
        f"/audios/{project['id']}", json={}, headers={"X-Request-ID": "trace-me-1"}
    )
    assert response.status_code == 502
    assert response.json()["detail"] == "The audio service failed (status 500)"
    assert route.calls.last.request.headers["x-request-id"] == "trace-me-1"


@pytest.mark.parametrize(
    ("service", "call", "route"),
    [
        ("script", ("POST", "/generate"), ("POST", "/scripts/{id}")),
        ("script", ("POST", "/description/generate"), ("POST", "/scripts/description/generate")),
        ("audio", ("POST", "/generate"), ("POST", "/audios/{id}")),
        ("image", ("POST", "/generate-batch"), ("POST", "/images/{id}")),
        ("video", ("GET", "/templates"), ("GET", "/video-template")),
    ],
)
async def test_an_answer_that_breaks_the_contract_is_502(
    gateway: Gateway,
    services: respx.MockRouter,
    service: str,
    call: tuple[str, str],
    route: tuple[str, str],
) -> None:
    """The service is at fault, not the caller: a 502 naming it, and nothing written."""
    services.route(method=call[0], path=call[1]).respond(200, json={"unexpected": "only this"})
    project = await new_project(gateway, images=[{"prompt": "a boat", "url": None}])
    method, path = route
    body = {"title": "Tides"} if method == "POST" else None
    response = await gateway.http.request(method, path.format(id=project["id"]), json=body)
    assert response.status_code == 502
    assert response.json()["detail"] == f"The {service} service returned an unexpected answer"
    assert (await gateway.http.get(f"/projects/{project['id']}")).json() == project


async def test_the_services_own_422_reaches_the_caller(
    gateway: Gateway, services: respx.MockRouter
) -> None:
    services.post("/generate-batch").respond(
        422, json={"detail": "style: Input should be 'realistic', 'pixar' or 'anime'"}
    )
    project = await new_project(gateway, images=[{"prompt": "a boat", "url": None}])
    response = await gateway.http.post(f"/images/{project['id']}", json={})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("style:")


@pytest.mark.parametrize(
    ("path", "body", "fragment"),
    [
        ("/audios/{id}", {"script_text": "   "}, "script_text is empty"),
        ("/audios/{id}", {"voice_id": "robot"}, "voice_id"),
        ("/audios/{id}", {"audio_speed": 3}, "speed"),
        ("/scripts/{id}", {"language": "xx"}, "language"),
        ("/scripts/{id}", {"nb_section": 0}, "nb_section"),
        ("/images/{id}", {}, "No image prompts"),
        ("/images/{id}/7", {"prompt": "x"}, "past the end"),
        ("/video/{id}", {}, "no images"),
        ("/subtitles/{id}", {}, "no video yet"),
    ],
)
async def test_bad_generation_input_is_refused_before_any_call(
    gateway: Gateway, services: respx.MockRouter, path: str, body: dict[str, Any], fragment: str
) -> None:
    catch_all = services.route().respond(500)
    project = await new_project(gateway)
    response = await gateway.http.post(path.format(id=project["id"]), json=body)
    assert response.status_code == 422
    assert fragment in response.json()["detail"]
    assert catch_all.call_count == 0
    assert (await gateway.http.get(f"/projects/{project['id']}")).json() == project


async def test_generation_for_an_unknown_project_is_404(gateway: Gateway) -> None:
    for path in ("/scripts/nope", "/audios/nope", "/images/nope", "/video/nope"):
        response = await gateway.http.post(path, json={})
        assert response.status_code == 404, path
        assert response.json()["detail"] == "Project not found: nope"


async def test_an_unknown_job_is_404(gateway: Gateway) -> None:
    response = await gateway.http.get("/jobs/0123456789abcdef")
    assert response.status_code == 404
    assert response.json()["detail"] == "Job not found: 0123456789abcdef"


async def test_subtitle_for_a_foreign_audio_url_is_422(gateway: Gateway) -> None:
    response = await gateway.http.get(
        "/audios/generate-subtitle",
        params={"project_id": "temp", "audio_path": "https://elsewhere.test/a.mp3"},
    )
    assert response.status_code == 422
    assert "served by this gateway" in response.json()["detail"]


async def test_a_failed_render_leaves_a_failed_job_and_says_why(
    gateway: Gateway, services: respx.MockRouter
) -> None:
    services.post("/render").respond(500, text="Traceback: ffmpeg exploded")
    services.get(url__regex=r"/renders/").respond(404, json={"detail": "Render not found"})
    project = await new_project(
        gateway,
        images=[{"prompt": "a boat", "url": "http://media.test/media/images/a/0.png"}],
        audio_key="audio/a/narration.mp3",
    )
    with job_worker(gateway.settings):  # in this process, where respx answers for the service
        response = await gateway.http.post(f"/video/{project['id']}", json={}, timeout=60)
    assert response.status_code == 502
    assert response.json()["detail"] == "The video service failed (status 500)"
    stored = (await gateway.http.get(f"/projects/{project['id']}")).json()
    assert stored["status"] == "video_failed"
    error = stored["video_error"]
    assert error["reason"] == "The video service failed (status 500)"
    assert error["stage"] == "render"
    job = (await gateway.http.get(f"/jobs/{error['job_id']}")).json()
    assert (job["status"], job["reason"]) == ("failed", error["reason"])
    assert "Traceback" not in response.text
