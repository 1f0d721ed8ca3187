"""Duplicate a campaign for the next year; archive and restore; delete only what nothing uses (after the
confirmation); correction cases entered in the console, audit-logged and deducted by the computation."""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from questionnaires.bundled import load_bundled_questionnaire
from survey_app.domain.questionnaires import store_questionnaire
from survey_app.domain.results.runs import compute_run, table_of
from survey_app.extensions import db
from survey_app.models import AuditEntry, Campaign, CorrectionCase, Institution, QuestionnaireVersion
from tests.admin.admintools import add_campaign_responses, login, make_user
from tests.apptools import Survey, csrf_of


def _admin(client: FlaskClient) -> str:
    make_user("admin")
    login(client, "admin@example.org")
    return csrf_of(client.get("/admin/?lang=en").get_data(as_text=True))


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_duplicate_for_next_year(client: FlaskClient, spi: Survey) -> None:
    token = _admin(client)
    source = spi.campaign
    source.target_index, source.min_cell, source.variance_method = 74.0, 7, "bootstrap"
    db.session.commit()
    form = client.get(f"/admin/campaigns/{source.slug}/duplicate").get_data(as_text=True)
    year = source.opens_on.year + 1
    assert f'value="{int(source.period) + 1}"' in form  # the period, one year on
    assert f'value="{source.opens_on.replace(year=year).isoformat()}"' in form
    reply = client.post(
        f"/admin/campaigns/{source.slug}/duplicate",
        data={
            "csrf_token": token,
            "slug": "kota-next",
            "title": "SPI Kota Uji berikutnya",
            "period": "2026",
            "opens_on": "2027-01-05",
            "closes_on": "2027-02-05",
        },
    )
    assert reply.status_code == 302, reply.get_data(as_text=True)
    copy = db.session.scalars(select(Campaign).where(Campaign.slug == "kota-next")).one()
    assert copy.status == "draft"
    assert copy.institution_id == source.institution_id
    assert {(q.respondent_group, q.questionnaire_version_id) for q in copy.questionnaires} == {
        (q.respondent_group, q.questionnaire_version_id) for q in source.questionnaires
    }
    assert (copy.profile_json, copy.target_index, copy.min_cell, copy.variance_method) == (
        source.profile_json,
        74.0,
        7,
        "bootstrap",
    )
    assert (copy.opens_on, copy.closes_on) == (date(2027, 1, 5), date(2027, 2, 5))
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "campaign.duplicate")).one()
    assert entry.details == {"from": source.slug}
    # The same short name twice is refused with the reason.
    again = client.post(
        f"/admin/campaigns/{source.slug}/duplicate",
        data={
            "csrf_token": token,
            "slug": "kota-next",
            "title": "x",
            "period": "x",
            "opens_on": "2027-01-05",
            "closes_on": "2027-02-05",
        },
    )
    assert again.status_code == 400
    assert "exists already" in again.get_data(as_text=True)


def test_archive_and_restore_a_campaign(client: FlaskClient, spi: Survey) -> None:
    token = _admin(client)
    slug = spi.campaign.slug
    # An open campaign is closed first.
    client.post(f"/admin/campaign/{slug}/archive", data={"csrf_token": token})
    assert spi.campaign.archived_at is None
    spi.campaign.status = "closed"
    db.session.commit()
    assert client.post(f"/admin/campaign/{slug}/archive", data={"csrf_token": token}).status_code == 302
    db.session.refresh(spi.campaign)
    assert spi.campaign.archived_at is not None
    listed = client.get("/admin/").get_data(as_text=True).split("<h1>", 1)[1]  # after the flashed notice
    assert spi.campaign.title not in listed
    assert spi.campaign.title in client.get("/admin/?archived=1").get_data(as_text=True)
    client.post(f"/admin/campaign/{slug}/unarchive", data={"csrf_token": token})
    db.session.refresh(spi.campaign)
    assert spi.campaign.archived_at is None
    assert _actions()[-2:] == ["campaign.archive", "campaign.unarchive"]


def test_only_unused_things_are_deleted_after_confirming(client: FlaskClient, spi: Survey) -> None:
    token = _admin(client)
    slug = spi.campaign.slug
    spi.issue(1)
    # In use: refused with the reason, nothing deleted.
    refused = client.get(f"/admin/campaign/{slug}/delete", follow_redirects=True).get_data(as_text=True)
    assert "cannot be deleted: it is in use (1 invitations)" in refused
    assert db.session.get(Campaign, spi.campaign.id) is not None

    # An unused questionnaire version: confirmation page first, then gone.
    unused, _ = store_questionnaire(
        load_bundled_questionnaire("spi-internal").__class__.from_dict(
            {**load_bundled_questionnaire("spi-internal").to_dict(), "version": "2099.1"}
        ),
        date.today(),
    )
    db.session.commit()
    url = f"/admin/questionnaire/{unused.id}/delete"
    assert client.get(url).status_code == 200
    assert client.post(url, data={"csrf_token": token}).status_code == 400  # box not ticked
    assert db.session.get(QuestionnaireVersion, unused.id) is not None
    assert client.post(url, data={"csrf_token": token, "confirm": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(QuestionnaireVersion, unused.id) is None

    # An institution with a campaign cannot go; one without can, units and all.
    assert "in use (1 campaigns)" in client.get(
        "/admin/institution/KOTA/delete", follow_redirects=True
    ).get_data(as_text=True)
    db.session.add(Institution(code="KOSONG", name="Tanpa kampanye"))
    db.session.commit()
    assert (
        client.post(
            "/admin/institution/KOSONG/delete", data={"csrf_token": token, "confirm": "y"}
        ).status_code
        == 302
    )
    assert db.session.scalar(select(Institution).where(Institution.code == "KOSONG")) is None
    assert _actions()[-2:] == ["questionnaire.delete", "institution.delete"]


def test_correction_cases_are_entered_logged_and_deducted(client: FlaskClient, spi: Survey) -> None:
    add_campaign_responses(spi.campaign, {"SETDA": 12, "DINKES": 12})
    before = table_of(compute_run(spi.campaign, "fixture"), "overall")
    db.session.commit()
    token = _admin(client)
    url = f"/admin/campaigns/{spi.campaign.slug}/corrections/"
    page = client.get(url).get_data(as_text=True)
    assert "Substantiated public complaints" in page
    assert "Non-compliance with asset declarations (LHKPN)" in page
    data = {
        "csrf_token": token,
        "rule_pengaduan_masyarakat": "1",
        "rule_ketidakpatuhan_lhkpn": "0",
        "rule_kasus_korupsi": "1",
        "rule_responden_diarahkan": "0",
        "source": "Laporan Inspektorat 2025",
    }
    bad = client.post(url, data={**data, "rule_kasus_korupsi": "-2"})
    assert bad.status_code == 400
    assert db.session.scalar(select(CorrectionCase)) is None
    assert client.post(url, data=data).status_code == 302
    stored = {c.rule: c.cases for c in db.session.scalars(select(CorrectionCase))}
    assert stored == {"pengaduan_masyarakat": 1, "kasus_korupsi": 1}
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "corrections.set")).one()
    assert entry.details["changed"] == {"pengaduan_masyarakat": 1, "kasus_korupsi": 1}
    assert entry.details["source"] == "Laporan Inspektorat 2025"

    run = compute_run(spi.campaign, "fixture")
    after = table_of(run, "overall")
    # spi-2024: 2 points per case, so 4 points off the institution's index.
    assert after["correction"].iloc[0] == pytest.approx(4.0)
    assert after["estimate"].iloc[0] == pytest.approx(before["estimate"].iloc[0] - 4.0)
    assert run.parameters["corrections"] == {"pengaduan_masyarakat": 1, "kasus_korupsi": 1}
    # The units' own figures are as measured.
    assert table_of(run, "index")["estimate"].tolist() == pytest.approx(
        table_of(compute_run(spi.campaign, "fixture"), "index")["estimate"].tolist()
    )
    db.session.commit()
    # Pages and downloads of a corrected run work as any other.
    assert client.get(f"/admin/campaigns/{spi.campaign.slug}/results/").status_code == 200
    download = client.get(f"/admin/campaigns/{spi.campaign.slug}/results/{run.id}/results.xlsx")
    assert download.status_code == 200
