"""Population lists, the sample plan, the recorded draw, contacts never joined to responses, retention."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pandas as pd
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, inspect, select

from scoring.frames import ColumnMapping, read_table, validate_frame
from scoring.sampling import draw_sample
from survey_app.domain.errors import DomainError
from survey_app.domain.frames import (
    FrameRejectedError,
    draw_campaign,
    frame_counts,
    sample_plan,
    upload_frame,
)
from survey_app.domain.results.runs import campaign_populations
from survey_app.extensions import db
from survey_app.models import AuditEntry, Invitation
from survey_app.models.frames import FrameContact, PopulationFrame, SampleDraw
from survey_app.worker import run_retention
from tests.admin.admintools import login, make_user
from tests.apptools import Survey, csrf_of

MAPPING = ColumnMapping(unit="Satker", group="Kelompok", email="Surel", phone="HP", auxiliary=("Golongan",))


def frame_csv(setda: int = 40, dinkes: int = 90, external: int = 25) -> bytes:
    """A list as Excel in the Indonesian locale writes it: ``;``-separated."""
    lines = ["Satker;Kelompok;Surel;HP;Golongan"]
    k = 0
    for unit, group, count in (
        ("SETDA", "internal", setda),
        ("DINKES", "internal", dinkes),
        ("DINKES", "external", external),
    ):
        for _ in range(count):
            k += 1
            lines.append(f"{unit};{group};orang{k}@kota.go.id;0812{k:08d};{'III' if k % 2 else 'IV'}")
    return ("\n".join(lines) + "\n").encode()


def _upload(spi: Survey, data: bytes | None = None) -> None:
    upload_frame(spi.campaign, data or frame_csv(), "daftar.csv", MAPPING, user=None)
    db.session.commit()


def test_a_bad_list_lists_every_problem_and_stores_nothing(spi: Survey) -> None:
    good = frame_csv(3, 0, 0).decode().splitlines()
    bad = [
        *good,
        "SETDA;internal;orang1@kota.go.id;;III",
        "XYZ;internal;bukan-surel;;IV",
        "DINKES;tamu;;;III",
    ]
    with pytest.raises(FrameRejectedError) as caught:
        upload_frame(spi.campaign, ("\n".join(bad) + "\n").encode(), "daftar.csv", MAPPING, user=None)
    text = [str(p) for p in caught.value.problems]
    assert "row 5, column 'Surel': e-mail address 'orang1@kota.go.id' repeats row 2" in text
    assert "row 6, column 'Satker': unknown unit 'XYZ'" in text
    assert "row 6, column 'Surel': 'bukan-surel' is not an e-mail address" in text
    assert any(t.startswith("row 7, column 'Kelompok': unknown group 'tamu'") for t in text)
    assert any(t.startswith("row 7, column 'Surel': no e-mail address or phone number") for t in text)
    assert "daftar.csv" in str(caught.value)
    assert "nothing was stored" in str(caught.value)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(PopulationFrame)) == 0
    assert db.session.scalar(select(func.count()).select_from(FrameContact)) == 0


def test_upload_gives_counts_and_an_audit_entry_without_contacts(spi: Survey) -> None:
    _upload(spi)
    counts = [(c.unit, c.group, c.size, c.drawn) for c in frame_counts(spi.campaign)]
    assert counts == [
        ("DINKES", "external", 25, 0),
        ("DINKES", "internal", 90, 0),
        ("SETDA", "internal", 40, 0),
    ]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "frames.upload")).one()
    assert entry.details["rows"] == 155
    assert "@" not in str(entry.details)
    contact = db.session.scalars(select(FrameContact).order_by(FrameContact.id)).first()
    assert contact is not None
    assert contact.auxiliary == {"Golongan": "III"}
    # A second upload of the same unit × group replaces the first (not added to it).
    _upload(spi, frame_csv(10, 90, 25))
    assert {(c.unit, c.group): c.size for c in frame_counts(spi.campaign)}[("SETDA", "internal")] == 10
    assert db.session.scalar(select(func.count()).select_from(FrameContact)) == 125


def test_plan_shows_n_and_margin_of_error_before_the_draw(spi: Survey) -> None:
    _upload(spi)
    plan = sample_plan(spi.campaign, moe=0.1, response_rate=0.8, minimum=5)
    assert list(plan.columns[:3]) == ["unit", "group", "N"]
    assert {"n", "n_invite", "expected_moe"} <= set(plan.columns)
    assert (plan["n"] <= plan["N"]).all()
    assert (plan["expected_moe"] <= 0.1 + 1e-9).all()
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_the_draw_is_recorded_reproducible_weighted_and_not_repeated(spi: Survey) -> None:
    _upload(spi)
    plan = sample_plan(spi.campaign, moe=0.1)
    draw = draw_campaign(spi.campaign, plan, seed=2024, user=None)
    db.session.commit()
    invitations = db.session.scalars(
        select(Invitation).where(Invitation.campaign_id == spi.campaign.id)
    ).all()
    assert len(invitations) == int(plan["n_invite"].sum())
    by_stratum = {(r.unit, r.group): (r.N, r.n_invite) for r in plan.itertuples()}
    for inv in invitations:
        unit = inv.unit.code
        big_n, n = by_stratum[(unit, inv.respondent_group)]
        assert inv.weight == pytest.approx(big_n / n)
        assert inv.stratum == f"{unit}|{inv.respondent_group}"
    # Every invitation belongs to exactly one drawn contact; the invitation itself points to no contact.
    linked = db.session.scalars(select(FrameContact).where(FrameContact.invitation_id.is_not(None))).all()
    assert sorted(c.invitation_id for c in linked) == sorted(i.id for i in invitations)
    assert "contact" not in " ".join(c.name for c in Invitation.__table__.columns)
    # Anyone with the lists (in upload order) and the seed draws the same people.
    table, _ = read_table(frame_csv(), filename="daftar.csv")
    assert table is not None
    result = validate_frame(table, MAPPING)
    assert result.frame is not None
    assert result.hash is not None
    lists = result.frame[["unit", "group", "email", "phone"]]
    # The campaign's frames in upload order: one frame per unit × group, in the sorted order they were stored.
    ordered = pd.concat([lists[(lists["unit"] == u) & (lists["group"] == g)] for u, g in sorted(by_stratum)])
    again, record = draw_sample(
        ordered.reset_index(drop=True), ["unit", "group"], {k: v[1] for k, v in by_stratum.items()}, seed=2024
    )
    assert record.frame_hash == draw.frame_hash
    drawn_emails = set(
        db.session.scalars(select(FrameContact.email).where(FrameContact.invitation_id.is_not(None)))
    )
    assert set(ordered.reset_index(drop=True).loc[again["row"], "email"]) == drawn_emails
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "frames.draw")).one()
    assert entry.details["seed"] == 2024
    assert entry.details["frame_hash"] == draw.frame_hash
    assert [c.drawn for c in frame_counts(spi.campaign)] == [
        by_stratum[(c.unit, c.group)][1] for c in frame_counts(spi.campaign)
    ]
    with pytest.raises(DomainError, match="a draw is not repeated"):
        draw_campaign(spi.campaign, plan, seed=7, user=None)
    with pytest.raises(DomainError, match="the sample has been drawn"):
        upload_frame(spi.campaign, frame_csv(), "daftar.csv", MAPPING, user=None)
    assert db.session.scalar(select(func.count()).select_from(SampleDraw)) == 1


def test_responses_have_no_way_to_an_invitation_or_contact(app: Flask) -> None:
    columns = {c["name"] for c in inspect(db.engine).get_columns("responses")}
    assert not any("invitation" in c or "contact" in c or "token" in c for c in columns)
    foreign = {fk["referred_table"] for fk in inspect(db.engine).get_foreign_keys("responses")}
    assert not foreign & {"invitations", "frame_contacts", "population_frames"}


def test_frames_give_the_population_of_every_listed_group(spi: Survey) -> None:
    _upload(spi)
    populations = campaign_populations(spi.campaign).set_index(["unit", "group"])["population"]
    # The list replaces the unit's stated size for the internal group, and adds the external group.
    assert populations[("SETDA", "internal")] == 40
    assert populations[("DINKES", "external")] == 25


def test_contacts_are_deleted_after_the_retention_period_with_an_audit_entry(app: Flask, spi: Survey) -> None:
    _upload(spi)
    closes = spi.campaign.closes_on
    days = int(app.config["CONTACT_RETENTION_DAYS"])
    run_retention(closes + timedelta(days=days))
    assert db.session.scalar(select(func.count()).select_from(FrameContact)) == 155
    spi.campaign.opens_on = date.today() - timedelta(days=days + 20)
    spi.campaign.closes_on = date.today() - timedelta(days=days + 1)
    db.session.commit()
    run_retention(date.today())
    assert db.session.scalar(select(func.count()).select_from(FrameContact)) == 0
    frames = db.session.scalars(select(PopulationFrame)).all()
    assert all(f.contacts_deleted_at is not None for f in frames)
    assert sorted(f.size for f in frames) == [25, 40, 90]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "frames.contacts_deleted")).one()
    assert entry.details["contacts"] == 155
    assert entry.user_email == "system"
    assert all(c.contacts_deleted for c in frame_counts(spi.campaign))


def test_cli_upload_plan_draw(runner: FlaskCliRunner, spi: Survey, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "salah.csv"
    bad.write_bytes(b"Satker;Kelompok;Surel\nXYZ;internal;a@b.id\nSETDA;internal;bukan\n")
    args = [
        "frames",
        "upload",
        "--campaign",
        spi.campaign.slug,
        "--unit-column",
        "Satker",
        "--group-column",
        "Kelompok",
        "--email-column",
        "Surel",
    ]
    result = runner.invoke(args=[*args, str(bad)])
    assert result.exit_code != 0
    assert "row 2, column 'Satker': unknown unit 'XYZ'" in result.output
    assert "row 3, column 'Surel': 'bukan' is not an e-mail address" in result.output
    good = tmp_path / "daftar.csv"
    good.write_bytes(frame_csv())
    result = runner.invoke(args=[*args, str(good)])
    assert result.exit_code == 0, result.output
    assert "SETDA,internal,40,0,false" in result.output
    assert "@" not in result.output
    result = runner.invoke(args=["frames", "plan", "--campaign", spi.campaign.slug, "--moe", "0.1"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("unit,group,N,n,n_invite,expected_moe")
    draw = ["frames", "draw", "--campaign", spi.campaign.slug, "--moe", "0.1", "--seed", "11"]
    result = runner.invoke(args=draw)
    assert result.exit_code == 0, result.output
    assert "drawn with seed 11" in result.output
    again = runner.invoke(args=draw)
    assert again.exit_code != 0
    assert "a draw is not repeated" in again.output


def _csrf(client: FlaskClient, url: str) -> str:
    return csrf_of(client.get(url).get_data(as_text=True))


def test_console_upload_counts_plan_and_draw(client: FlaskClient, spi: Survey) -> None:
    make_user("admin", ["KOTA"], email="boss@example.org")
    login(client, "boss@example.org")
    base = f"/admin/campaigns/{spi.campaign.slug}/frames"
    fields = {
        "unit_column": "Satker",
        "group_column": "Kelompok",
        "group": "",
        "email_column": "Surel",
        "phone_column": "HP",
        "auxiliary": "Golongan",
    }
    bad = b"Satker;Kelompok;Surel;HP;Golongan\nXYZ;internal;a@b.id;;III\nSETDA;internal;bukan;;IV\n"
    page = client.post(
        f"{base}/upload?lang=en",
        data={
            "csrf_token": _csrf(client, f"{base}/?lang=en"),
            **fields,
            "list_file": (io.BytesIO(bad), "daftar.csv"),
        },
        content_type="multipart/form-data",
    )
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "Nothing was stored: 2 problem(s)" in html
    assert "unknown unit &#39;XYZ&#39;" in html
    assert "&#39;bukan&#39; is not an e-mail address" in html
    assert frame_counts(spi.campaign) == []
    page = client.post(
        f"{base}/upload?lang=en",
        data={
            "csrf_token": _csrf(client, f"{base}/?lang=en"),
            **fields,
            "list_file": (io.BytesIO(frame_csv()), "daftar.csv"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Only the counts are shown from now on" in html
    assert "@kota.go.id" not in html
    assert '<td class="num">90</td>' in html
    plan = client.get(f"{base}/plan?lang=en&moe=0.1&response_rate=0.8&minimum=0")
    html = plan.get_data(as_text=True)
    assert plan.status_code == 200
    assert "Expected margin of error" in html
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0
    token = csrf_of(html)
    done = client.post(
        f"{base}/draw?lang=en",
        data={"csrf_token": token, "moe": "0.1", "response_rate": "0.8", "minimum": "0", "seed": "99"},
        follow_redirects=True,
    )
    html = done.get_data(as_text=True)
    assert "The sample has been drawn with seed 99" in html
    expected = int(sample_plan(spi.campaign, moe=0.1, response_rate=0.8)["n_invite"].sum())
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == expected
    assert "Upload a population list" not in html
    page_id = client.get(f"{base}/?lang=id").get_data(as_text=True)
    assert "Daftar populasi" in page_id
