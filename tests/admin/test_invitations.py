"""Invitations issued in the console work once, come as CSV or a QR PDF, can be revoked; all audited."""

from __future__ import annotations

import csv
import io

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import AuditEntry, Invitation
from survey_app.reporting.qrsheet import page_count
from tests.admin.admintools import login, make_user
from tests.apptools import Survey, csrf_of


def _issue(client: FlaskClient, slug: str, count: int, fmt: str) -> object:
    url = f"/admin/campaigns/{slug}/invitations/"
    token = csrf_of(client.get(url).get_data(as_text=True))
    data = {"csrf_token": token, "issue-group": "internal", "issue-unit": "DINKES", "issue-count": count}
    return client.post(url, data={**data, "issue-fmt": fmt})


def test_issue_csv_links_work_and_revoke(app: Flask, client: FlaskClient, spi: Survey) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    response = _issue(client, spi.campaign.slug, 3, "csv")
    assert response.status_code == 200  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))  # type: ignore[attr-defined]
    assert [r["unit"] for r in rows] == ["DINKES"] * 3
    assert (
        db.session.scalar(select(Invitation.id).where(Invitation.unit_id.is_not(None)).limit(1)) is not None
    )
    link = rows[0]["link"]
    path = "/r/" + link.rsplit("/r/", 1)[1]
    assert app.test_client().get(path).status_code == 200  # the respondent's start page

    url = f"/admin/campaigns/{spi.campaign.slug}/invitations/"
    token = csrf_of(client.get(url).get_data(as_text=True))
    # Without the ticked box nothing is revoked (the confirmation is checked on the server).
    unconfirmed = client.post(f"{url}revoke", data={"csrf_token": token, "revoke-link": link})
    assert unconfirmed.status_code == 400
    assert app.test_client().get(path).status_code == 200
    client.post(f"{url}revoke", data={"csrf_token": token, "revoke-link": link, "revoke-confirm": "y"})
    states = db.session.scalars(select(Invitation.state).order_by(Invitation.id)).all()
    assert sorted(states) == ["issued", "issued", "revoked"]
    assert app.test_client().get(path).status_code != 200  # a revoked link no longer opens the survey
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["invitations.issue", "invitations.revoke"]


def test_issue_pdf_has_a_page_per_eight_cards(client: FlaskClient, spi: Survey) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    response = _issue(client, spi.campaign.slug, 9, "pdf")
    assert response.mimetype == "application/pdf"  # type: ignore[attr-defined]
    assert page_count(response.data) == 2  # type: ignore[attr-defined]


def test_issue_rejects_a_count_out_of_range(client: FlaskClient, spi: Survey) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    response = _issue(client, spi.campaign.slug, 0, "csv")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert db.session.scalar(select(Invitation.id)) is None
