"""Compute jobs: the progress page, its JSON status, joining a running job, failures, and a real thread."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from questionnaires.bundled import load_bundled_questionnaire
from survey_app.domain.results.runs import compute_run
from survey_app.extensions import db
from survey_app.models import AuditEntry, ScoreRun
from survey_app.models.score_runs import ComputeJob
from tests.admin.admintools import BUNDLED, add_campaign_responses, login, make_user
from tests.apptools import Survey, build_survey, csrf_of
from tests.conftest import make_app


def _compute(client: FlaskClient, slug: str) -> object:
    page = client.get(f"/admin/campaigns/{slug}/results/").get_data(as_text=True)
    return client.post(f"/admin/campaigns/{slug}/results/compute", data={"csrf_token": csrf_of(page)})


def test_progress_callback_reports_stages_in_order(app: Flask, spi: Survey) -> None:
    add_campaign_responses(spi.campaign, {"SETDA": 6})
    seen: list[tuple[str, float]] = []
    compute_run(spi.campaign, "test", progress=lambda stage, fraction: seen.append((stage, fraction)))
    stages = [s for s, _ in seen]
    assert stages[0] == "reading responses"
    assert stages[-1] == "storing"
    assert {"index", "data quality"} <= set(stages)
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions)
    assert all(0 <= f < 1 for f in fractions)


def test_compute_runs_a_job_and_lands_on_the_results(app: Flask, client: FlaskClient, spi: Survey) -> None:
    add_campaign_responses(spi.campaign, {"SETDA": 8, "DINKES": 6})
    make_user("analyst", ["KOTA"])
    login(client, "analyst@example.org")
    response = _compute(client, spi.campaign.slug)
    job = db.session.scalar(select(ComputeJob).where(ComputeJob.campaign_id == spi.campaign.id))
    assert job is not None
    assert response.headers["Location"] == f"/admin/campaigns/{spi.campaign.slug}/results/jobs/{job.id}"  # type: ignore[attr-defined]
    assert (job.state, job.stage, job.progress, job.error) == ("done", "done", 1.0, "")
    assert job.requested_by == "analyst@example.org"
    assert job.finished_at is not None
    run = db.session.get(ScoreRun, job.score_run_id)
    assert run is not None
    assert run.responses_read == 3 * 14
    status = client.get(f"/admin/campaigns/{spi.campaign.slug}/results/jobs/{job.id}.json").get_json()
    assert status["state"] == "done"
    assert status["progress"] == 1.0
    # The job page of a finished job goes to the results.
    page = client.get(f"/admin/campaigns/{spi.campaign.slug}/results/jobs/{job.id}?lang=en")
    assert page.status_code == 302
    assert page.headers["Location"].endswith(f"/admin/campaigns/{spi.campaign.slug}/results/")
    mine = AuditEntry.user_email == "analyst@example.org"
    actions = db.session.scalars(select(AuditEntry.action).where(mine))
    assert {"results.compute_requested", "results.compute"} <= set(actions)


def test_status_page_works_without_script_and_without_inline_script(
    app: Flask, client: FlaskClient, spi: Survey
) -> None:
    job = ComputeJob(campaign_id=spi.campaign.id, requested_by="admin@example.org", state="running")
    job.stage, job.progress = "data quality", 0.75
    db.session.add(job)
    db.session.commit()
    make_user("admin")
    login(client, "admin@example.org")
    url = f"/admin/campaigns/{spi.campaign.slug}/results/jobs/{job.id}"
    page = client.get(f"{url}?lang=en").get_data(as_text=True)
    assert '<progress id="compute-progress" max="1" value="0.75">' in page
    assert "Checking data quality" in page
    assert f'href="{url}">Check again</a>' in page
    assert 'src="/static/compute.js"' in page
    assert "<script>" not in page
    assert "http-equiv" not in page
    status = client.get(f"{url}.json?lang=en")
    assert status.headers["Cache-Control"] == "no-store"
    assert status.get_json() == {
        "id": job.id,
        "state": "running",
        "stage": "Checking data quality",
        "progress": 0.75,
        "error": "",
        "waiting": "",
        "results_url": f"/admin/campaigns/{spi.campaign.slug}/results/",
        "page_url": url,
    }
    assert client.get("/static/compute.js").status_code == 200


def test_second_request_joins_the_running_job(app: Flask, client: FlaskClient, spi: Survey) -> None:
    add_campaign_responses(spi.campaign, {"SETDA": 6})
    running = ComputeJob(campaign_id=spi.campaign.id, requested_by="other@example.org", state="running")
    db.session.add(running)
    db.session.commit()
    make_user("analyst", ["KOTA"])
    login(client, "analyst@example.org")
    response = _compute(client, spi.campaign.slug)
    assert response.headers["Location"].endswith(f"/results/jobs/{running.id}")  # type: ignore[attr-defined]
    assert db.session.scalar(select(func.count()).select_from(ComputeJob)) == 1
    assert db.session.scalar(select(func.count()).select_from(ScoreRun)) == 0


def test_a_stale_job_does_not_block_a_new_one(app: Flask, client: FlaskClient, spi: Survey) -> None:
    add_campaign_responses(spi.campaign, {"SETDA": 6})
    lost = ComputeJob(
        campaign_id=spi.campaign.id,
        requested_by="other@example.org",
        state="running",
        requested_at=datetime.now(UTC) - timedelta(hours=2),
    )
    db.session.add(lost)
    db.session.commit()
    make_user("analyst", ["KOTA"])
    login(client, "analyst@example.org")
    _compute(client, spi.campaign.slug)
    jobs = db.session.scalars(select(ComputeJob).order_by(ComputeJob.id)).all()
    assert [j.state for j in jobs] == ["failed", "done"]


def test_failed_job_reports_in_json(app: Flask, client: FlaskClient, spi: Survey) -> None:
    make_user("analyst", ["KOTA"])
    login(client, "analyst@example.org")
    response = _compute(client, spi.campaign.slug)
    location = response.headers["Location"]  # type: ignore[attr-defined]
    status = client.get(f"{location}.json?lang=en").get_json()
    assert status["state"] == "failed"
    assert status["error"] == "There are no responses to compute yet."


def test_job_pages_refuse_viewers_and_unknown_jobs(app: Flask, client: FlaskClient, spi: Survey) -> None:
    job = ComputeJob(campaign_id=spi.campaign.id, requested_by="admin@example.org", state="queued")
    db.session.add(job)
    db.session.commit()
    make_user("viewer", ["KOTA"])
    login(client, "viewer@example.org")
    assert client.get(f"/admin/campaigns/{spi.campaign.slug}/results/jobs/{job.id}").status_code == 403
    make_user("analyst", ["KOTA"])
    analyst = app.test_client()
    login(analyst, "analyst@example.org")
    assert analyst.get(f"/admin/campaigns/{spi.campaign.slug}/results/jobs/{job.id + 1}").status_code == 404
    assert analyst.get(f"/admin/campaigns/{spi.campaign.slug}/results/jobs/{job.id}").status_code == 200


def test_job_runs_in_a_real_thread(committed_database: str, tmp_path: Path) -> None:
    app = make_app(committed_database, tmp_path, COMPUTE_IN_BACKGROUND=True)
    with app.app_context():
        survey = build_survey(app, {g: load_bundled_questionnaire(i) for g, i in BUNDLED.items()})
        add_campaign_responses(survey.campaign, {"SETDA": 8, "DINKES": 6})
        make_user("analyst", ["KOTA"])
        slug = survey.campaign.slug
        db.session.remove()
    client = app.test_client()
    login(client, "analyst@example.org")
    location = _compute(client, slug).headers["Location"]  # type: ignore[attr-defined]
    deadline = time.monotonic() + 120
    states = []
    while time.monotonic() < deadline:
        status = client.get(f"{location}.json").get_json()
        states.append(status["state"])
        if status["state"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert states[-1] == "done", states
    with app.app_context():
        job = db.session.scalar(select(ComputeJob))
        assert job is not None
        assert job.score_run_id is not None
        run = db.session.get(ScoreRun, job.score_run_id)
        assert run is not None
        assert run.responses_read == 3 * 14
        db.session.remove()
        db.engine.dispose()
