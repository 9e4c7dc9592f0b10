from __future__ import annotations

import respx

from tests.gateway.conftest import Gateway


async def test_liveness_needs_nothing_but_the_process(gateway: Gateway) -> None:
    response = await gateway.http.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_is_503_and_names_the_services_that_are_down(gateway: Gateway) -> None:
    response = await gateway.http.get("/health/ready")
    assert response.status_code == 503
    components = response.json()["components"]
    assert components["database"]["status"] == "ok"
    assert components["storage"]["status"] == "ok"
    for name in ("script", "audio", "image", "video"):
        assert components[name]["status"] == "down"


async def test_readiness_is_200_when_every_service_answers(gateway: Gateway) -> None:
    with respx.mock(assert_all_called=False) as mock:
        mock.route(host="127.0.0.1", port=9, path="/health").respond(
            200, json={"status": "ok", "version": "9.9"}
        )
        mock.route().pass_through()
        response = await gateway.http.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["components"]["video"] == {"status": "ok", "version": "9.9"}
    summary = await gateway.http.get("/health")
    assert summary.json()["status"] == "degraded"


async def test_metrics_count_requests_by_route_template(gateway: Gateway) -> None:
    await gateway.http.get("/projects/abc")
    await gateway.http.get("/projects/def")
    text = (await gateway.http.get("/metrics")).text
    line = next(
        ln
        for ln in text.splitlines()
        if ln.startswith("http_requests_total{") and 'route="/projects/{project_id}"' in ln
    )
    assert 'status="404"' in line
    assert line.endswith(" 2.0")
