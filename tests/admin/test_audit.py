"""The audit log page lists who did what; viewers see results without data-quality flags."""

from __future__ import annotations

import io

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
    page = client.get("/admin/audit/?lang=en").get_data(as_text=True)
    # In words, not raw values or JSON.
    assert page.index("Results downloaded") < page.index(">Logged in<")  # newest first
    assert f"Campaign {spi.campaign.slug}" in page
    assert f"Run: {run.id}" in page
    assert "Format: xlsx" in page
    assert "admin@example.org" in page
    assert "export.results" not in page
    assert "{&#34;" not in page
    assert '{"' not in page


def test_audit_log_is_searched_and_paged(app: Flask, client: FlaskClient, spi: Survey) -> None:
    from survey_app.domain.accounts import audit

    for n in range(120):
        audit("campaign.poster", f"campaign:other-{n}", user=None)
    audit("campaign.open", "campaign:needle_50%", user=None)
    db.session.commit()
    make_user("admin")
    login(client, "admin@example.org")
    first = client.get("/admin/audit/?lang=en").get_data(as_text=True)
    assert first.count("<tr><td>") == 50
    assert "Page 1 of 3 (122 in all)" in first  # 120, the needle and the login
    last = client.get("/admin/audit/?page=3").get_data(as_text=True)
    assert last.count("<tr><td>") == 22
    found = client.get("/admin/audit/?q=needle_50%25").get_data(as_text=True)
    assert found.count("<tr><td>") == 1
    assert "needle_50%" in found
    # % and _ are matched as themselves, not as wildcards.
    assert client.get("/admin/audit/?q=needle_5_%25").get_data(as_text=True).count("<tr><td>") == 0


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


def test_a_scoped_admin_reads_only_the_events_of_their_institutions(
    app: Flask, client: FlaskClient, spi: Survey
) -> None:
    from survey_app.domain.accounts import audit
    from survey_app.domain.institutions import import_units

    import_units(
        io.StringIO(
            "institution_code,institution_name,unit_code,unit_name,parent_code,population_size\n"
            "LAIN,Pemerintah Lain,X1,Unit X,,10\n"
        )
    )
    other = make_user("analyst", ["LAIN"], email="other@example.org")
    own = make_user("analyst", ["KOTA"], email="own@example.org")
    audit("campaign.open", "campaign:lain-2025", user=None)
    audit("institution.edit", "institution:LAIN", user=None)
    audit("user.update", f"user:{other.id}", user=None)
    audit("questionnaire.load", "questionnaire:spi-internal@1", user=None)
    audit("campaign.open", f"campaign:{spi.campaign.slug}", user=None)
    audit("institution.edit", "institution:KOTA", user=None)
    audit("user.update", f"user:{own.id}", user=None)
    db.session.commit()
    make_user("admin", ["KOTA"], email="scoped@example.org")
    login(client, "scoped@example.org")
    page = client.get("/admin/audit/?lang=en").get_data(as_text=True)
    for shown in (f"Campaign {spi.campaign.slug}", "Institution KOTA", f"Account {own.id}<", ">Logged in<"):
        assert shown in page, shown
    for hidden in ("Campaign lain-2025", "Institution LAIN", f"Account {other.id}<", "Questionnaire "):
        assert hidden not in page, hidden
