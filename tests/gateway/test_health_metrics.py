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


async def not_found_reads(gateway: Gateway) -> float:
    """The process's count of 404 reads of one project, by route template (0 before any)."""
    text = (await gateway.http.get("/metrics")).text
    wanted = ('route="/projects/{project_id}"', 'method="GET"', 'status="404"')
    for ln in text.splitlines():
        if ln.startswith("http_requests_total{") and all(label in ln for label in wanted):
            return float(ln.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_count_requests_by_route_template(gateway: Gateway) -> None:
    # Counters live as long as the process, which earlier tests of the module may have used.
    before = await not_found_reads(gateway)
    await gateway.http.get("/projects/abc")
    await gateway.http.get("/projects/def")
    assert await not_found_reads(gateway) == before + 2
