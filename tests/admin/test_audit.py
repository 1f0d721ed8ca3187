"""The audit log page lists who did what; viewers see results without data-quality flags."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from survey_app.domain.results.runs import compute_run
from survey_app.extensions import db
from tests.admin.admintools import add_campaign_responses, login, make_user
from tests.apptools import Survey


def test_audit_page_lists_logins_and_exports(app: Flask, client: FlaskClient, spi: Survey) -> None:
    add_campaign_responses(spi.campaign, {"SETDA": 6})
    run = compute_run(spi.campaign, "fixture")
    db.session.commit()
    make_user("admin")
    login(client, "admin@example.org")
    client.get(f"/admin/campaigns/{spi.campaign.slug}/results/{run.id}/results.xlsx")
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert page.index("export.results") < page.index(">login<")  # newest first
    assert f"campaign:{spi.campaign.slug}" in page
    assert "admin@example.org" in page


def test_viewer_sees_results_but_no_quality_flags_or_downloads(
    app: Flask, client: FlaskClient, spi: Survey
) -> None:
    add_campaign_responses(spi.campaign, {"SETDA": 6})
    run = compute_run(spi.campaign, "fixture")
    run.published_at = run.created_at  # viewers read published runs only
    db.session.commit()
    make_user("viewer", ["KOTA"])
    login(client, "viewer@example.org")
    page = client.get(f"/admin/campaigns/{spi.campaign.slug}/results/?lang=en").get_data(as_text=True)
    assert "SETDA" in page
    assert "Data quality" not in page
    assert "results.xlsx" not in page
    assert "Compute results now" not in page
