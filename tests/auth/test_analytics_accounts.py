"""Analytics with accounts: the weekly report mailed to its user, other users' figures kept out,
and the admin's figures over everyone."""

from __future__ import annotations

from gateway.clock import now_iso
from tests.auth.conftest import Factory
from tests.gateway.test_analytics import seed, state_of


async def test_the_weekly_report_is_mailed_and_admins_see_everyone(
    make_gateway: Factory,
) -> None:
    async with make_gateway() as gw:
        user = await gw.register("reporter")
        state = state_of(gw)
        await seed(state, user.id, "u")
        await seed(state, "another-user", "o")
        sent = await gw.http.post("/api/v1/analytics/reports/weekly/mail", headers=user.headers)
        assert sent.status_code == 202, sent.text
        assert sent.json() == {"sent_to": user.email}
        mail = [m for m in gw.outbox.outbox if "weekly report" in m.subject][-1]
        assert mail.to == user.email
        assert "Jobs: 3 (+200% on the week before)" in mail.body
        assert "YouTube views: 300" in mail.body
        (pdf,) = mail.attachments
        assert (pdf.content_type, pdf.filename.endswith(".pdf")) == ("application/pdf", True)
        assert pdf.data.startswith(b"%PDF-")
        own = await gw.http.get("/api/v1/analytics/dashboard", headers=user.headers)
        assert own.json()["jobs"]["total"] == 4
        other_video = await gw.http.get("/api/v1/analytics/videos/op1", headers=user.headers)
        assert other_video.status_code == 404
        assert other_video.json()["detail"] == "Project not found: op1"
        refused = await gw.http.get("/api/v1/admin/analytics", headers=user.headers)
        assert refused.status_code == 403
        admin = await gw.admin()
        answer = await gw.http.get("/api/v1/admin/analytics", headers=admin.headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["totalUsers"], body["activeUsers"], body["totalProjects"]) == (2, 2, 4)
        assert body["totalVideosGenerated"] == 8
        assert body["avgGenerationTime"] == f"{(120 + 60 + 600 + 6000) / 4 / 60:.1f} minutes"
        assert body["systemLoad"]["queueDepth"] == 0
        assert 0 <= body["systemLoad"]["cpuUsage"] <= 100
        seed_path = await gw.http.get("/admin/analytics", headers=admin.headers)
        assert seed_path.json()["totalUsers"] == 2
        assert body["totals"]["jobs"]["total"] == 8
        assert sorted(u["user_id"] for u in body["top_users"]) == sorted(["another-user", user.id])
        assert now_iso() > body["since"]
