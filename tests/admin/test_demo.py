"""``flask demo setup`` gives a newcomer an admin login and responses to compute results from."""

from __future__ import annotations

import re

from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from survey_app.cli.demo import DEMO_ADMIN, DEMO_RESPONSES, PREVIOUS_SLUG
from survey_app.domain.results.runs import latest_run, table_of
from survey_app.extensions import db
from survey_app.models import Campaign, Response, ScoreRun
from tests.admin.admintools import login
from tests.apptools import csrf_of

_PASSWORD = re.compile(r"e-mail: (\S+)\s+password: (\S+)")


def test_demo_prints_a_working_admin_login_and_adds_responses_once(
    runner: FlaskCliRunner, client: FlaskClient
) -> None:
    first = runner.invoke(args=["demo", "setup"])
    assert first.exit_code == 0, first.output
    email, old_password = _PASSWORD.findall(first.output)[0]
    assert email == DEMO_ADMIN
    # The same design in this campaign and last year's (closed, for the trend).
    expected = 2 * sum(sum(counts.values()) for counts, _ in DEMO_RESPONSES.values())
    assert db.session.scalar(select(func.count()).select_from(Response)) == expected
    assert f"Added {expected} synthetic responses" in first.output
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.opens_on)).all()
    assert [c.slug for c in campaigns] == [PREVIOUS_SLUG, "demo"]
    assert campaigns[0].status == "closed"
    for campaign in campaigns:  # results computed and published on first start
        run = latest_run(campaign, published_only=True)
        assert run is not None
        assert run.responses_read == expected // 2
    previous, current = (table_of(latest_run(c), "index") for c in campaigns)  # type: ignore[arg-type]
    # Last year's answers were less favourable, so the trend rises.
    assert previous["estimate"].mean() < current["estimate"].mean()

    second = runner.invoke(args=["demo", "setup"])
    assert second.exit_code == 0, second.output
    new_password = _PASSWORD.findall(second.output)[0][1]
    assert new_password != old_password
    assert db.session.scalar(select(func.count()).select_from(Response)) == expected  # not added twice

    assert login(client, email, old_password).status_code == 401  # type: ignore[attr-defined]
    assert login(client, email, new_password).status_code == 302  # type: ignore[attr-defined]
    page = client.get("/admin/campaigns/demo/results/").get_data(as_text=True)
    client.post("/admin/campaigns/demo/results/compute", data={"csrf_token": csrf_of(page)})
    run = db.session.scalar(
        select(ScoreRun).where(ScoreRun.created_by == DEMO_ADMIN).order_by(ScoreRun.id.desc())
    )
    assert run is not None
    index = table_of(run, "index")
    assert set(index["unit"]) == set(DEMO_RESPONSES)
    assert index["estimate"].notna().all()
    # The coached unit is flagged, so the demo shows what a data-quality flag looks like.
    flags = table_of(run, "quality_flags")
    assert "BAPPEDA" in set(flags["unit"])
