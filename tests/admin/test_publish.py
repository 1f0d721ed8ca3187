"""Publishing runs: analysts publish and unpublish (audited); viewers see only the newest published run."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from questionnaires.bundled import load_bundled_questionnaire
from survey_app.domain.results.rows import shown_tables
from survey_app.domain.results.runs import compute_run, table_of
from survey_app.domain.synthetic import add_responses
from survey_app.extensions import db
from survey_app.models import AuditEntry, CampaignQuestionnaire, ScoreRun, Unit
from tests.admin.admintools import BUNDLED, add_campaign_responses, login, make_user
from tests.apptools import Survey, csrf_of


def _two_runs(spi: Survey, added: int = 20) -> tuple[ScoreRun, ScoreRun]:
    # Enough added between the runs for every changed cell (down to a dimension only some answer) to gain
    # min_cell respondents, so both may be published.
    add_campaign_responses(spi.campaign, {"SETDA": 8, "DINKES": 6})
    first = compute_run(spi.campaign, "fixture")
    db.session.commit()
    add_campaign_responses(spi.campaign, {"SETDA": added}, seed=11)
    second = compute_run(spi.campaign, "fixture")
    db.session.commit()
    return first, second


def _post(client: FlaskClient, slug: str, run_id: int, action: str) -> object:
    page = client.get(f"/admin/campaigns/{slug}/results/").get_data(as_text=True)
    url = f"/admin/campaigns/{slug}/results/{run_id}/{action}"
    return client.post(url, data={"csrf_token": csrf_of(page)})


def test_analyst_publishes_and_unpublishes(app: Flask, client: FlaskClient, spi: Survey) -> None:
    first, second = _two_runs(spi)
    make_user("analyst", ["KOTA"])
    login(client, "analyst@example.org")
    base = f"/admin/campaigns/{spi.campaign.slug}/results/"
    page = client.get(f"{base}?lang=en").get_data(as_text=True)
    assert f"Shown: run {second.id}." in page
    assert "Not published" in page
    assert "Viewers see no results of this campaign yet." in page
    assert "Publish this run" in page

    response = _post(client, spi.campaign.slug, first.id, "publish")
    assert response.status_code == 302  # type: ignore[attr-defined]
    db.session.refresh(first)
    assert first.published_at is not None
    assert first.published_by == "analyst@example.org"
    page = client.get(f"{base}?lang=en").get_data(as_text=True)
    assert f"Viewers see run {first.id}, published on" in page

    _post(client, spi.campaign.slug, second.id, "publish")
    page = client.get(f"{base}?lang=en").get_data(as_text=True)
    assert "Unpublish this run" in page
    assert "by analyst@example.org." in page
    _post(client, spi.campaign.slug, second.id, "unpublish")
    db.session.refresh(second)
    assert second.published_at is None
    assert second.published_by is None
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.like("results.%publish")).order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.details["run"], e.user_email) for e in entries] == [
        ("results.publish", first.id, "analyst@example.org"),
        ("results.publish", second.id, "analyst@example.org"),
        ("results.unpublish", second.id, "analyst@example.org"),
    ]


def test_publish_needs_csrf_and_an_analyst(app: Flask, client: FlaskClient, spi: Survey) -> None:
    first, _ = _two_runs(spi)
    make_user("viewer", ["KOTA"])
    login(client, "viewer@example.org")
    url = f"/admin/campaigns/{spi.campaign.slug}/results/{first.id}/publish"
    page = client.get(f"/admin/campaigns/{spi.campaign.slug}/results/").get_data(as_text=True)
    assert client.post(url, data={"csrf_token": csrf_of(page)}).status_code == 403
    make_user("analyst", ["KOTA"])
    analyst = app.test_client()
    login(analyst, "analyst@example.org")
    assert analyst.post(url).status_code == 400  # no CSRF token
    assert _post(analyst, spi.campaign.slug, 999_999, "publish").status_code == 404  # type: ignore[attr-defined]
    db.session.refresh(first)
    assert first.published_at is None


def test_viewer_sees_only_the_newest_published_run(app: Flask, client: FlaskClient, spi: Survey) -> None:
    first, second = _two_runs(spi)
    make_user("viewer", ["KOTA"])
    login(client, "viewer@example.org")
    base = f"/admin/campaigns/{spi.campaign.slug}/results/"
    page = client.get(f"{base}?lang=en").get_data(as_text=True)
    # Computed but unpublished: the viewer is told so, not that nothing was computed.
    assert "Results have been computed but not published yet." in page
    assert "No results have been computed" not in page
    assert "SETDA" not in page
    for run in (first, second):  # unpublished runs' charts look absent
        assert client.get(f"{base}{run.id}/heatmap.png").status_code == 404

    first.published_at, first.published_by = second.created_at, "analyst@example.org"
    db.session.commit()
    page = client.get(f"{base}?lang=en").get_data(as_text=True)
    assert f"Shown: run {first.id}." in page
    assert "SETDA" in page
    assert "Publish this run" not in page
    assert client.get(f"{base}{first.id}/heatmap.png").status_code == 200
    assert client.get(f"{base}{second.id}/forest.svg").status_code == 404

    # An older published run is no longer visible once a newer one is published.
    second.published_at, second.published_by = second.created_at, "analyst@example.org"
    db.session.commit()
    assert client.get(f"{base}{first.id}/heatmap.png").status_code == 404
    assert client.get(f"{base}{second.id}/heatmap.png").status_code == 200


def _one_response(spi: Survey, unit: str = "SETDA", group: str = "internal") -> None:
    link = db.session.query(CampaignQuestionnaire).filter_by(
        campaign_id=spi.campaign.id, respondent_group=group
    )[0]
    unit_id = db.session.query(Unit.id).filter(Unit.code == unit).scalar()
    questionnaire = load_bundled_questionnaire(BUNDLED[group])
    rng = np.random.default_rng(99)
    add_responses(
        spi.campaign,
        link.questionnaire_version_id,
        questionnaire,
        unit_id,
        1,
        rng,
        tilt=0.9,
        submitted_on=date.today(),
    )
    db.session.commit()


def test_a_run_one_response_apart_cannot_be_published(app: Flask, client: FlaskClient, spi: Survey) -> None:
    """Issue 12, "why" 3: two published runs one response apart gave that person's score exactly. The
    second run is refused, with the reason, so a viewer never sees both."""
    add_campaign_responses(spi.campaign, {"SETDA": 12, "DINKES": 12})
    first = compute_run(spi.campaign, "fixture")
    db.session.commit()
    make_user("analyst", ["KOTA"])
    login(client, "analyst@example.org")
    base = f"/admin/campaigns/{spi.campaign.slug}/results/"
    _post(client, spi.campaign.slug, first.id, "publish")
    db.session.refresh(first)
    assert first.published_at is not None

    _one_response(spi)
    second = compute_run(spi.campaign, "fixture")
    db.session.commit()
    # What the attack would use: the difference of the institution's internal rows. The second run does not
    # even show it to the analyst (it changed by one respondent: disclosure_runs); publishing is refused too.
    before = table_of(first, "overall_groups").set_index("group").loc["internal"]
    after = table_of(second, "overall_groups").set_index("group").loc["internal"]
    assert int(after["n"]) == int(before["n"]) + 1
    assert shown_tables(spi.campaign, first)["overall_groups"]["estimate"].notna().all()
    shown = shown_tables(spi.campaign, second)["overall_groups"].set_index("group").loc["internal"]
    assert shown["suppression"] == "changed"
    assert pd.isna(shown["estimate"])
    response = _post(client, spi.campaign.slug, second.id, "publish")
    assert response.status_code == 302  # type: ignore[attr-defined]
    db.session.refresh(second)
    assert second.published_at is None
    page = client.get(f"{base}?lang=en").get_data(as_text=True)
    # The message was made in the POST's language, the console's default (Indonesian).
    assert f"Hasil {second.id} belum dapat diterbitkan." in page
    assert f"Dibandingkan dengan hasil {first.id}, yang sudah dilihat pembaca" in page
    assert "kurang dari 5 responden baru" in page
    assert "overall KOTA: n 72 → 73" in page
    assert not db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "results.publish", AuditEntry.details["run"].as_integer() == second.id
        )
    ).all()

    # A viewer reads only the first run: the second's numbers are nowhere to subtract from.
    make_user("viewer", ["KOTA"])
    viewer = app.test_client()
    login(viewer, "viewer@example.org")
    seen = viewer.get(f"{base}?lang=en").get_data(as_text=True)
    assert f"Shown: run {first.id}." in seen
    assert viewer.get(f"{base}{second.id}/forest.svg").status_code == 404

    # Unpublishing the first run does not open the way: it was seen.
    _post(client, spi.campaign.slug, first.id, "unpublish")
    _post(client, spi.campaign.slug, second.id, "publish")
    db.session.refresh(second)
    assert second.published_at is None

    # Once every changed cell has gained min_cell respondents, the new run may be published.
    add_campaign_responses(spi.campaign, {"SETDA": 30, "DINKES": 30}, seed=12)
    third = compute_run(spi.campaign, "fixture")
    db.session.commit()
    assert table_of(third, "overall")["n"].iloc[0] == 72 + 1 + 180
    _post(client, spi.campaign.slug, third.id, "publish")
    db.session.refresh(third)
    assert third.published_at is not None
