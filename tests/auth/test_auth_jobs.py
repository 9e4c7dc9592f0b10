"""A render job is as visible as its project."""

from __future__ import annotations

from gateway.state import GatewayState
from tests.auth.conftest import AuthGateway


async def test_only_who_may_read_the_project_may_read_its_job(gw: AuthGateway) -> None:
    owner, other, admin = await gw.register("owner"), await gw.register("other"), await gw.admin()
    project = await gw.http.post("/projects", json={"title": "mine"}, headers=owner.headers)
    assert project.status_code == 201
    state: GatewayState = gw.app.state.gateway
    job = await state.jobs.create(
        state.jobs.new_id(),
        project.json()["id"],
        "render",
        owner=owner.id,
        stages=["render"],
        params={},
        queue=state.queue.jobs_queue,
        priority=0,
    )

    assert (await gw.http.get(f"/jobs/{job.id}", headers=owner.headers)).status_code == 200
    assert (await gw.http.get(f"/jobs/{job.id}", headers=admin.headers)).status_code == 200
    hidden = await gw.http.get(f"/jobs/{job.id}", headers=other.headers)
    assert hidden.status_code == 404
    assert hidden.json()["detail"] == f"Job not found: {job.id}"
    refused = await gw.http.get(f"/jobs/{job.id}")
    assert (refused.status_code, refused.json()["detail"]) == (401, "Authentication required")
