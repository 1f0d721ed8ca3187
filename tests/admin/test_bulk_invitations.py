"""Invitations for every unit and group at once: a PDF of cards per unit in a ZIP, every link in a CSV."""

from __future__ import annotations

import csv
import io
import zipfile

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import AuditEntry, Invitation, Unit
from survey_app.reporting.qrsheet import page_count
from tests.admin.admintools import login, make_user
from tests.apptools import Survey, csrf_of

FIELDS = {"bulk-internal": "3", "bulk-external": "2", "bulk-expert": "1"}


def _bulk(client: FlaskClient, slug: str, **fields: str) -> object:
    url = f"/admin/campaigns/{slug}/invitations/"
    token = csrf_of(client.get(url).get_data(as_text=True))
    return client.post(f"{url}bulk", data={"csrf_token": token, **fields})


def test_every_unit_gets_its_pdf_and_every_link_is_in_the_csv(
    app: Flask, client: FlaskClient, spi: Survey
) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    reply = _bulk(client, spi.campaign.slug, **FIELDS, **{"bulk-fmt": "zip"})
    assert reply.status_code == 200  # type: ignore[attr-defined]
    assert reply.mimetype == "application/zip"  # type: ignore[attr-defined]
    with zipfile.ZipFile(io.BytesIO(reply.data)) as archive:  # type: ignore[attr-defined]
        names = sorted(archive.namelist())
        rows = list(
            csv.DictReader(io.StringIO(archive.read(f"{spi.campaign.slug}-invitations.csv").decode()))
        )
        pdfs = {n: archive.read(n) for n in names if n.endswith(".pdf")}
    slug = spi.campaign.slug
    assert sorted(pdfs) == [f"{slug}-DINKES-invitations.pdf", f"{slug}-SETDA-invitations.pdf"]
    # Six cards per unit (3 + 2 + 1) fit one page of eight.
    assert all(page_count(pdf) == 1 for pdf in pdfs.values())
    assert len(rows) == 2 * 6
    assert sorted({(r["unit"], r["group"]) for r in rows}) == sorted(
        (u, g) for u in ("SETDA", "DINKES") for g in ("internal", "external", "expert")
    )
    # Every link works, once each.
    assert len({r["link"] for r in rows}) == 12
    path = "/r/" + rows[0]["link"].rsplit("/r/", 1)[1]
    assert app.test_client().get(path).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 12
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "invitations.issue_bulk")).one()
    assert entry.details["issued"] == 12
    assert entry.details["units"] == 2


def test_employees_by_population_size(client: FlaskClient, spi: Survey) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    reply = _bulk(
        client, spi.campaign.slug, **{"bulk-internal": "0", "bulk-by_population": "y", "bulk-fmt": "csv"}
    )
    rows = list(csv.DictReader(io.StringIO(reply.get_data(as_text=True))))  # type: ignore[attr-defined]
    assert reply.status_code == 200, reply.get_data(as_text=True)[-3000:]  # type: ignore[attr-defined]
    sizes = {code: size for code, size in db.session.execute(select(Unit.code, Unit.population_size))}
    assert {u: sum(r["unit"] == u for r in rows) for u in sizes} == sizes  # 120 and 300


def test_nothing_to_issue_is_refused_and_nothing_stored(client: FlaskClient, spi: Survey) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    client.get("/admin/?lang=en")
    reply = _bulk(client, spi.campaign.slug, **{"bulk-fmt": "zip"})
    assert reply.status_code == 400  # type: ignore[attr-defined]
    assert "no invitations to issue" in reply.get_data(as_text=True)  # type: ignore[attr-defined]
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_printed_cards_are_shuffled_and_unnumbered(client: FlaskClient, spi: Survey) -> None:
    """A card's place on the sheet (or a link's row in the CSV) says nothing about its invitation row: the
    links come in random order, and no card carries a number to write down beside a name."""
    import shutil
    import subprocess

    from survey_app.tokens import token_hash

    make_user("admin")
    login(client, "admin@example.org")
    url = f"/admin/campaigns/{spi.campaign.slug}/invitations/"
    token = csrf_of(client.get(url).get_data(as_text=True))
    fields = {"issue-group": "internal", "issue-unit": "SETDA", "issue-count": "20"}
    sheet = client.post(url, data={"csrf_token": token, **fields, "issue-fmt": "pdf"})
    assert sheet.status_code == 200  # type: ignore[attr-defined]
    csv_reply = client.post(url, data={"csrf_token": token, **fields, "issue-fmt": "csv"})
    rows = list(csv.DictReader(io.StringIO(csv_reply.get_data(as_text=True))))  # type: ignore[attr-defined]
    assert "n" not in rows[0]
    ids = {
        i.token_hash: i.id
        for i in db.session.scalars(select(Invitation).where(Invitation.respondent_group == "internal"))
    }
    order = [ids[token_hash(r["link"].rsplit("/r/", 1)[1])] for r in rows]
    # In id order with probability 1/20! if shuffled; always before.
    assert order != sorted(order)
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-", "-"],
            input=sheet.data,
            capture_output=True,
            check=True,  # type: ignore[attr-defined]
        ).stdout.decode()
        assert "#1" not in text
        assert "SETDA" in text
