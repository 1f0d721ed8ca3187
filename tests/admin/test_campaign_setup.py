"""Campaigns in the console: create, edit (locked once answered), open, close, the counter poster, and the
campaign's design in the results (unit strata, finite population correction, variance method)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.domain.results.runs import compute_run, table_of
from survey_app.extensions import db
from survey_app.models import AuditEntry, Campaign, QuestionnaireVersion
from survey_app.reporting.qrsheet import page_count
from tests.admin.admintools import add_campaign_responses, login, make_user
from tests.apptools import Survey, csrf_of


def _admin(client: FlaskClient) -> None:
    make_user("admin")
    assert login(client, "admin@example.org").status_code == 302  # type: ignore[attr-defined]
    client.get("/admin/?lang=en")  # the messages below are checked in English


def _version_id(group: str) -> str:
    version = db.session.scalar(
        select(QuestionnaireVersion).where(QuestionnaireVersion.respondent_group == group)
    )
    assert version is not None
    return str(version.id)


def _form(client: FlaskClient, url: str, **fields: Any) -> Any:
    page = client.get(url)
    assert page.status_code == 200
    data = {"csrf_token": csrf_of(page.get_data(as_text=True))}
    data.update({k: v for k, v in fields.items() if v is not None})
    return client.post(url, data=data)


def _new_campaign(client: FlaskClient, **overrides: Any) -> Any:
    today = date.today()
    fields = {
        "institution": "KOTA",
        "slug": "kota-2026",
        "title": "SPI Kota Uji 2026",
        "period": "2026",
        "version_internal": _version_id("internal"),
        "version_external": _version_id("external"),
        "version_expert": "",
        "profile": "spi-2024",
        "variance_method": "linearization",
        "use_fpc": "y",
        "min_cell": "5",
        "target_index": "75",
        "opens_on": today.isoformat(),
        "closes_on": (today + timedelta(days=30)).isoformat(),
        "allow_invitation": "y",
        "allow_open": "y",
    }
    fields.update(overrides)
    return _form(client, "/admin/campaigns/new", **fields)


def test_admin_creates_opens_and_closes_a_campaign(client: FlaskClient, spi: Survey) -> None:
    _admin(client)
    created = _new_campaign(client)
    assert created.status_code == 302, created.get_data(as_text=True)
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == "kota-2026"))
    assert campaign is not None
    assert campaign.status == "draft"
    assert {q.respondent_group for q in campaign.questionnaires} == {"internal", "external"}
    assert (campaign.variance_method, campaign.use_fpc, campaign.target_index) == (
        "linearization",
        True,
        75.0,
    )
    page = client.get("/admin/campaigns/kota-2026").get_data(as_text=True)
    assert "draft" in page

    token = csrf_of(page)
    assert client.post("/admin/campaigns/kota-2026/open", data={"csrf_token": token}).status_code == 302
    db.session.refresh(campaign)
    assert campaign.status == "open"
    assert client.get("/c/kota-2026/external").status_code == 200  # the open-access link takes answers
    # Closing asks first, on the server: a POST without the ticked box does nothing.
    confirm = client.get("/admin/campaigns/kota-2026/close")
    assert confirm.status_code == 200
    assert "Tick the box" not in confirm.get_data(as_text=True)
    unconfirmed = client.post("/admin/campaigns/kota-2026/close", data={"csrf_token": token})
    assert unconfirmed.status_code == 400
    assert "Tick the box to confirm." in unconfirmed.get_data(as_text=True)
    db.session.refresh(campaign)
    assert campaign.status == "open"
    closed = client.post("/admin/campaigns/kota-2026/close", data={"csrf_token": token, "confirm": "y"})
    assert closed.status_code == 302
    db.session.refresh(campaign)
    assert campaign.status == "closed"
    assert campaign.closed_on == date.today()
    gone = client.get("/c/kota-2026/external")
    assert gone.status_code == 410
    # The day it was closed, not the planned last day a month ahead.
    text = gone.get_data(as_text=True)
    assert f"closed on {date.today():%B} {date.today().day}, {date.today().year}" in text
    planned = campaign.closes_on
    assert f"{planned:%B} {planned.day}, {planned.year}" not in text
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target == "campaign:kota-2026"))
    assert list(actions) == ["campaign.create", "campaign.open", "campaign.close"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"slug": "Kota 2026"}, "Use lower-case letters, digits and -."),
        ({"slug": "kota-2025"}, "already exists"),
        ({"version_internal": "", "version_external": ""}, "Choose a questionnaire for at least one group."),
        ({"closes_on": "2000-01-01"}, "The close date is before the open date."),
        ({"allow_invitation": None, "allow_open": None}, "Choose at least one way to take part."),
        ({"min_cell": "0"}, "Minimum cell size"),
        ({"target_index": "120"}, "Target index"),
    ],
)
def test_bad_campaign_input_is_reported_and_nothing_is_stored(
    client: FlaskClient, spi: Survey, overrides: dict[str, Any], message: str
) -> None:
    _admin(client)
    before = len(db.session.scalars(select(Campaign.id)).all())
    reply = _new_campaign(client, **overrides)
    assert reply.status_code == 400
    html = reply.get_data(as_text=True)
    assert "The campaign was not saved" in html
    assert message in html
    assert len(db.session.scalars(select(Campaign.id)).all()) == before


def test_a_missing_questionnaire_is_reported_with_the_other_errors_on_the_first_submit(
    client: FlaskClient, spi: Survey
) -> None:
    _admin(client)
    reply = _new_campaign(client, version_internal="", version_external="", title="", closes_on="")
    assert reply.status_code == 400
    html = reply.get_data(as_text=True)
    assert "Choose a questionnaire for at least one group." in html
    assert "This field is required." in html


def test_questionnaires_are_locked_once_the_campaign_has_responses(client: FlaskClient, spi: Survey) -> None:
    _admin(client)
    edit = f"/admin/campaigns/{spi.campaign.slug}/edit"
    page = client.get(edit).get_data(as_text=True)
    assert 'name="version_internal"' in page  # no responses yet: versions can change
    add_campaign_responses(spi.campaign, {"SETDA": 1})
    page = client.get(edit).get_data(as_text=True)
    assert "are locked" in page
    assert 'name="version_internal"' not in page
    links_before = {(q.respondent_group, q.questionnaire_version_id) for q in spi.campaign.questionnaires}
    saved = _form(
        client,
        edit,
        title="Renamed",
        period="2025",
        variance_method="bootstrap",
        min_cell="7",
        opens_on=spi.campaign.opens_on.isoformat(),
        closes_on=spi.campaign.closes_on.isoformat(),
        allow_invitation="y",
        version_internal="",  # ignored: locked
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    db.session.refresh(spi.campaign)
    assert (spi.campaign.title, spi.campaign.variance_method, spi.campaign.min_cell) == (
        "Renamed",
        "bootstrap",
        7,
    )
    assert spi.campaign.use_fpc is False  # unticked box
    assert {
        (q.respondent_group, q.questionnaire_version_id) for q in spi.campaign.questionnaires
    } == links_before


def test_counter_poster_and_qr_code(client: FlaskClient, spi: Survey) -> None:
    _admin(client)
    pdf = client.get(f"/admin/campaigns/{spi.campaign.slug}/poster/external.pdf?unit=SETDA")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert page_count(pdf.data) == 1
    png = client.get(f"/admin/campaigns/{spi.campaign.slug}/poster/external.png")
    assert png.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert (
        client.get(f"/admin/campaigns/{spi.campaign.slug}/poster/external.pdf?unit=NOPE").status_code == 404
    )
    assert client.get(f"/admin/campaigns/{spi.campaign.slug}/poster/nobody.pdf").status_code == 404


def _internal_setda(campaign: Campaign) -> dict[str, Any]:
    groups = table_of(compute_run(campaign, "test"), "groups")
    row = groups[(groups["unit"] == "SETDA") & (groups["group"] == "internal")].iloc[0]
    return dict(row)


def test_finite_population_correction_uses_the_unit_population(spi: Survey) -> None:
    """Units are variance strata; with use_fpc the internal group's SE shrinks by sqrt(1 - n/N) exactly."""
    add_campaign_responses(spi.campaign, {"SETDA": 30, "DINKES": 12})
    spi.campaign.use_fpc = False
    without = _internal_setda(spi.campaign)
    spi.campaign.use_fpc = True
    with_fpc = _internal_setda(spi.campaign)
    population = next(u.population_size for u in spi.campaign.institution.units if u.code == "SETDA")
    assert population == 120
    assert with_fpc["estimate"] == pytest.approx(without["estimate"], rel=1e-12)
    assert with_fpc["se"] == pytest.approx(without["se"] * math.sqrt(1 - 30 / population), rel=1e-9)


def test_bootstrap_variance_method_is_used(spi: Survey) -> None:
    add_campaign_responses(spi.campaign, {"SETDA": 12, "DINKES": 12})
    spi.campaign.variance_method = "bootstrap"
    run = compute_run(spi.campaign, "test")
    assert run.parameters["method"] == "bootstrap"


def test_monitoring_table_refreshes_as_responses_arrive(client: FlaskClient, spi: Survey) -> None:
    make_user("analyst", ["KOTA"])
    login(client, "analyst@example.org")
    client.get("/admin/?lang=en")
    page = client.get(f"/admin/campaigns/{spi.campaign.slug}").get_data(as_text=True)
    assert 'src="/static/monitoring.js"' in page
    assert "Updated at" in page
    before = client.get(f"/admin/campaigns/{spi.campaign.slug}/monitoring").get_data(as_text=True)
    assert before.startswith('<div id="monitoring"')
    add_campaign_responses(spi.campaign, {"SETDA": 4})
    after = client.get(f"/admin/campaigns/{spi.campaign.slug}/monitoring").get_data(as_text=True)
    assert ">12<" in after.split("<tfoot>")[1]  # 3 groups × 4 responses
    assert after != before


def test_the_form_refuses_open_access_for_employees_only(client: FlaskClient, spi: Survey) -> None:
    _admin(client)
    reply = _new_campaign(client, version_external="")
    assert reply.status_code == 400
    html = reply.get_data(as_text=True)
    assert "Open access is not allowed for Employees (internal)" in html
    assert db.session.scalar(select(Campaign).where(Campaign.slug == "kota-2026")) is None
    # Employees and service users together: open access reaches the service users only.
    assert _new_campaign(client).status_code == 302
    edit = _form(
        client,
        "/admin/campaigns/kota-2026/edit",
        title="SPI Kota Uji 2026",
        period="2026",
        version_internal=_version_id("internal"),
        version_external="",
        version_expert="",
        profile="spi-2024",
        variance_method="linearization",
        min_cell="5",
        opens_on=date.today().isoformat(),
        closes_on=(date.today() + timedelta(days=30)).isoformat(),
        allow_invitation="y",
        allow_open="y",
    )
    assert edit.status_code == 400
    assert "Open access is not allowed for Employees (internal)" in edit.get_data(as_text=True)


def test_posters_and_the_campaign_page_offer_open_groups_only(client: FlaskClient, spi: Survey) -> None:
    _admin(client)
    slug = spi.campaign.slug
    assert client.get(f"/admin/campaigns/{slug}/poster/external.png").status_code == 200
    assert client.get(f"/admin/campaigns/{slug}/poster/internal.png").status_code == 404
    assert client.get(f"/admin/campaigns/{slug}/poster/expert.pdf").status_code == 404
    page = client.get(f"/admin/campaigns/{slug}").get_data(as_text=True)
    assert f"/admin/campaigns/{slug}/poster/external.pdf" in page
    assert f"/admin/campaigns/{slug}/poster/internal.pdf" not in page
