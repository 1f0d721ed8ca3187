"""Trend across campaigns: the latest visible run of each campaign of the institution, by opens_on."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from flask import Flask
from flask.testing import FlaskClient

from questionnaires.bundled import load_bundled_questionnaire
from survey_app.admin.results import trend_frame
from survey_app.domain.results.runs import compute_run
from survey_app.extensions import db
from tests.admin.admintools import BUNDLED, add_campaign_responses, login, make_user
from tests.apptools import Survey, build_survey


def _campaigns(app: Flask) -> tuple[Survey, Survey]:
    instruments = {g: load_bundled_questionnaire(i) for g, i in BUNDLED.items()}
    today = date.today()
    # Created newest first, so the order on the chart must come from opens_on, not from the ids.
    current = build_survey(app, instruments, slug="kota-2026")
    previous = build_survey(
        app,
        instruments,
        slug="kota-2025-old",
        opens_on=today - timedelta(days=400),
        closes_on=today - timedelta(days=370),
        status="closed",
    )
    previous.campaign.title = "SPI 2025"
    current.campaign.title = "SPI 2026"
    add_campaign_responses(previous.campaign, {"SETDA": 30, "DINKES": 3}, seed=3)
    add_campaign_responses(current.campaign, {"SETDA": 30, "DINKES": 3}, seed=4)
    return previous, current


def _publish_all(*surveys: Survey) -> None:
    for survey in surveys:
        run = compute_run(survey.campaign, "fixture")
        run.published_at, run.published_by = run.created_at, "fixture"
    db.session.commit()


def test_trend_frame_per_campaign_overall_and_units(app: Flask) -> None:
    previous, current = _campaigns(app)
    _publish_all(previous, current)
    overall = trend_frame(current.campaign, "viewer", "overall")
    assert list(overall["campaign"]) == ["SPI 2025", "SPI 2026"]
    assert overall["estimate"].notna().all()
    assert (overall["ci_low"] < overall["estimate"]).all()
    assert (overall["estimate"] < overall["ci_high"]).all()
    units = trend_frame(current.campaign, "viewer", "units")
    assert set(units["series"]) == {"SETDA", "DINKES"}
    dinkes = units.loc[units["series"] == "DINKES"]
    assert dinkes["suppressed"].all()  # 3 respondents per group: suppressed in both campaigns
    assert dinkes["estimate"].isna().all()


def test_viewer_trend_uses_published_runs_only(app: Flask) -> None:
    previous, current = _campaigns(app)
    _publish_all(previous)
    compute_run(current.campaign, "fixture")  # not published
    db.session.commit()
    assert list(trend_frame(current.campaign, "viewer", "overall")["campaign"]) == ["SPI 2025"]
    assert list(trend_frame(current.campaign, "analyst", "overall")["campaign"]) == ["SPI 2025", "SPI 2026"]


def test_trend_on_the_page_with_downloads_and_numbers(app: Flask, client: FlaskClient) -> None:
    previous, current = _campaigns(app)
    _publish_all(previous, current)
    make_user("viewer", ["KOTA"])
    login(client, "viewer@example.org")
    base = f"/admin/campaigns/{current.campaign.slug}/results/"
    page = client.get(f"{base}?lang=en").get_data(as_text=True)
    assert "Trend across campaigns" in page
    assert f'src="{base}trend-overall.png"' in page
    assert f'href="{base}trend-units.svg"' in page
    assert page.index("SPI 2025") < page.index("SPI 2026", page.index("Trend across campaigns"))
    overall = trend_frame(current.campaign, "viewer", "overall")
    for value in overall["estimate"]:
        assert f'<td class="num">{value:.1f}</td>' in page
    png = client.get(f"{base}trend-overall.png")
    assert png.status_code == 200
    assert png.data.startswith(b"\x89PNG")
    svg = client.get(f"{base}trend-units.svg")
    assert svg.mimetype == "image/svg+xml"
    text = svg.get_data(as_text=True)
    assert '<desc id="chart-desc">' in text
    assert "SETDA" in text


def test_no_trend_with_a_single_campaign(app: Flask, client: FlaskClient) -> None:
    _, current = _campaigns(app)
    _publish_all(current)
    make_user("viewer", ["KOTA"])
    login(client, "viewer@example.org")
    base = f"/admin/campaigns/{current.campaign.slug}/results/"
    page = client.get(f"{base}?lang=en").get_data(as_text=True)
    assert "The trend appears once two campaigns of this institution have results you can see." in page
    assert client.get(f"{base}trend-overall.png").status_code == 404
    assert isinstance(trend_frame(current.campaign, "viewer", "overall"), pd.DataFrame)
