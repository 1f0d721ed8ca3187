"""Opting out through real HTTP: the link from a received message, the page in both languages, the POST
with its CSRF token; then no reminder reaches that person, the console counts them, and the audit entry
names no address."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import requests
from flask import Flask
from sqlalchemy import select

from questionnaires.model import Questionnaire
from scoring.frames import ColumnMapping
from survey_app.domain.frames import draw_campaign, upload_frame
from survey_app.extensions import db
from survey_app.models import AuditEntry
from survey_app.models.frames import FrameContact
from survey_app.tokens import token_hash
from survey_app.worker import deliver
from tests.admin.admintools import login, make_user
from tests.apptools import build_survey, csrf_of, served
from tests.conftest import make_app
from tests.mail.conftest import Recorder

OPTOUT = re.compile(r"(http://[^\s]+/o/([A-Za-z0-9_\-]+))")
LINK = re.compile(r"http://[^\s]+/r/([A-Za-z0-9_\-]+)")
PEOPLE = ("ani@kota.go.id", "budi@kota.go.id", "citra@kota.go.id")


@pytest.fixture
def live(
    committed_database: str, tmp_path: Path, mini: Questionnaire, smtp_server: tuple[Recorder, int]
) -> Iterator[tuple[str, Flask]]:
    _, port = smtp_server
    app = make_app(committed_database, tmp_path)  # CSRF on: the page's own token is posted
    with served(app) as base:
        app.config.update(
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=port,
            SMTP_STARTTLS=False,
            MAIL_FROM="survei@kota.go.id",
            PUBLIC_BASE_URL=base,
        )
        with app.app_context():
            survey = build_survey(app, {"internal": mini})
            upload_frame(
                survey.campaign,
                ("unit,email\n" + "".join(f"SETDA,{p}\n" for p in PEOPLE)).encode(),
                "daftar.csv",
                ColumnMapping(unit="unit", email="email"),
                group="internal",
                user=None,
            )
            plan = pd.DataFrame({"unit": ["SETDA"], "group": ["internal"], "n_invite": [len(PEOPLE)]})
            draw_campaign(survey.campaign, plan, seed=11, user=None)
            db.session.commit()
            deliver(survey.campaign.id, "invitation")
            db.session.remove()
        yield base, app


def test_opt_out_through_the_link_stops_every_further_message(
    live: tuple[str, Flask], smtp_server: tuple[Recorder, int]
) -> None:
    base, app = live
    recorder, _ = smtp_server
    body = recorder.to(PEOPLE[0])[0].get_content()
    link, token = OPTOUT.search(body).groups()  # type: ignore[union-attr]
    assert link == f"{base}/o/{token}"
    assert token != LINK.search(body).group(1)  # type: ignore[union-attr]

    browser = requests.Session()
    asked = browser.get(link, timeout=10)
    assert asked.status_code == 200
    assert "Tidak ingin menerima pesan lagi tentang survei ini?" in asked.text
    assert asked.headers["Referrer-Policy"] == "no-referrer"
    english = browser.get(f"{link}?lang=en", timeout=10)
    assert "No more messages about this survey?" in english.text
    assert "Yes, send me no more messages" in english.text
    # Without the page's CSRF token nothing happens.
    assert requests.post(link, data={}, timeout=10).status_code == 400
    done = browser.post(link, data={"csrf_token": csrf_of(english.text)}, timeout=10)
    assert done.status_code == 200
    assert "You will receive no more messages about this survey" in done.text
    assert browser.get(link, timeout=10).status_code == 200  # says so again; changes nothing
    assert requests.get(f"{base}/o/{'x' * 22}", timeout=10).status_code == 404

    with app.app_context():
        contacts = {c.email: c for c in db.session.scalars(select(FrameContact))}
        assert contacts[PEOPLE[0]].opted_out_at is not None
        assert contacts[PEOPLE[0]].optout_hash == token_hash(token)
        assert all(contacts[p].opted_out_at is None for p in PEOPLE[1:])
        (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "contacts.opt_out"))
        assert entry.user_email == "system"
        assert entry.target.startswith("campaign:")
        assert "@" not in repr(entry.details)
        assert token not in repr(entry.details)
        campaign_id = contacts[PEOPLE[0]].frame.campaign_id
        slug = entry.target.removeprefix("campaign:")

        recorder.messages.clear()
        for _ in range(3):
            deliver(campaign_id, "reminder")
        reminded = {m["To"] for m in recorder.messages}
        assert reminded == set(PEOPLE[1:])
        # The reminders carry the same opt-out link as the invitation (a fresh survey link).
        again = recorder.to(PEOPLE[1])
        first = recorder.to(PEOPLE[1])[0].get_content()
        assert OPTOUT.search(first).group(2) == OPTOUT.search(again[-1].get_content()).group(2)  # type: ignore[union-attr]
        assert deliver(campaign_id, "invitation") == {"sent": 0, "failed": 0}

        make_user("admin", ["KOTA"], email="boss@example.org")
        db.session.commit()
        db.session.remove()
    console = app.test_client()
    login(console, "boss@example.org")
    page = console.get(f"/admin/campaigns/{slug}/frames/?lang=en").get_data(as_text=True)
    assert "Opted out: 1." in page
    assert token not in page
