"""E-mail delivery through a real SMTP server: invitations, a refused recipient, a retried one, reminders to
non-finishers only, at most N times, and the link from the received message opens the questionnaire."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from scoring.frames import ColumnMapping
from survey_app.domain.delivery import compose
from survey_app.domain.frames import draw_campaign, upload_frame
from survey_app.extensions import db
from survey_app.models import Draft, Invitation, Response
from survey_app.models.frames import DeliveryEntry
from survey_app.tokens import token_hash
from survey_app.worker import MAX_REMINDERS, deliver
from tests.admin.admintools import login, make_user
from tests.apptools import Survey, csrf_of
from tests.mail.conftest import Recorder

LINK = re.compile(r"http://[^\s]+/r/([A-Za-z0-9_\-]+)")
PEOPLE = [f"pegawai{k}@kota.go.id" for k in range(6)]
REFUSED, FLAKY = PEOPLE[1], PEOPLE[2]


@pytest.fixture
def campaign(app: Flask, spi: Survey, smtp_server: tuple[Recorder, int]) -> Survey:
    recorder, port = smtp_server
    recorder.refused.add(REFUSED)
    recorder.flaky.add(FLAKY)
    app.config.update(
        SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, MAIL_FROM="Survei <survei@kota.go.id>"
    )
    data = "unit,email\n" + "".join(f"SETDA,{p}\n" for p in PEOPLE)
    upload_frame(
        spi.campaign,
        data.encode(),
        "daftar.csv",
        ColumnMapping(unit="unit", email="email"),
        group="internal",
        user=None,
    )
    # A census of the unit: everybody drawn.
    plan = pd.DataFrame({"unit": ["SETDA"], "group": ["internal"], "n_invite": [len(PEOPLE)]})
    draw_campaign(spi.campaign, plan, seed=5, user=None)
    db.session.commit()
    return spi


def _token(message: object) -> str:
    body = message.get_content()  # type: ignore[attr-defined]
    found = LINK.search(body)
    assert found, body
    return found.group(1)


def test_invitations_are_sent_logged_and_retried(campaign: Survey, smtp_server: tuple[Recorder, int]) -> None:
    recorder, _ = smtp_server
    counts = deliver(campaign.campaign.id, "invitation")
    assert counts == {"sent": 5, "failed": 1}
    assert {m["To"] for m in recorder.messages} == set(PEOPLE) - {REFUSED}
    assert recorder.tried[FLAKY] == 2  # refused once with 451, then delivered
    log = db.session.scalars(select(DeliveryEntry).order_by(DeliveryEntry.id)).all()
    failed = [e for e in log if e.status == "failed"]
    assert len(failed) == 1
    assert failed[0].reason.startswith("550")
    assert "@" not in failed[0].reason
    assert REFUSED not in failed[0].reason
    assert failed[0].attempts == 1  # a permanent refusal is not retried
    assert sorted(e.attempts for e in log if e.status == "sent") == [1, 1, 1, 1, 2]
    # The message: Indonesian, with the institution, purpose, closing date and the anonymity promise.
    message = recorder.to(PEOPLE[0])[0]
    body = message.get_content()
    assert "Pemerintah Kota Uji" in message["Subject"]
    assert campaign.campaign.closes_on.isoformat() in body
    assert "anonim" in body
    # Tokens exist only in the messages: stored as hashes, in no log entry.
    for m in recorder.messages:
        token = _token(m)
        assert (
            db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
            is not None
        )
        assert all(token not in (e.reason or "") for e in log)
    # Sending again sends nothing new (everyone delivered has their invitation).
    assert deliver(campaign.campaign.id, "invitation") == {"sent": 0, "failed": 1}


@pytest.fixture
def mini_campaign(app: Flask, survey: Survey, smtp_server: tuple[Recorder, int]) -> Survey:
    """The small questionnaire's campaign, everybody of :data:`PEOPLE` drawn (its pages are known)."""
    _, port = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, MAIL_FROM="s@kota.go.id")
    upload_frame(
        survey.campaign,
        ("unit,email\n" + "".join(f"SETDA,{p}\n" for p in PEOPLE)).encode(),
        "daftar.csv",
        ColumnMapping(unit="unit", email="email"),
        group="internal",
        user=None,
    )
    plan = pd.DataFrame({"unit": ["SETDA"], "group": ["internal"], "n_invite": [len(PEOPLE)]})
    draw_campaign(survey.campaign, plan, seed=5, user=None)
    db.session.commit()
    return survey


def _answer_through_the_pages(client: FlaskClient, link: str) -> None:
    """What a respondent does: the consent page, every page of the small questionnaire, the thank-you."""
    intro = client.get(link)
    assert intro.status_code == 200
    reply = client.post(link, data={"csrf_token": csrf_of(intro.get_data(as_text=True)), "consent": "y"})
    url = reply.headers["Location"]
    for data in ({"q_yes": "tidak"}, {"q_count": "4"}, {}, {"q_why": "Tidak pernah"}):
        page = client.get(url)
        reply = client.post(
            url, data={"csrf_token": csrf_of(page.get_data(as_text=True)), "action": "next", **data}
        )
        assert reply.status_code == 303, reply.get_data(as_text=True)[:1000]
        url = reply.headers["Location"]
    assert url.endswith("/thanks")


def test_reminders_reach_only_non_finishers_at_most_n_times(
    app: Flask, mini_campaign: Survey, smtp_server: tuple[Recorder, int]
) -> None:
    recorder, _ = smtp_server
    campaign_id = mini_campaign.campaign.id
    deliver(campaign_id, "invitation")
    # PEOPLE[0] answers through the pages with the link from the received message; PEOPLE[3] only starts.
    finisher = app.test_client()
    _answer_through_the_pages(finisher, f"/r/{_token(recorder.to(PEOPLE[0])[0])}")
    starter = app.test_client()
    link = f"/r/{_token(recorder.to(PEOPLE[3])[0])}"
    intro = starter.get(link)
    started = starter.post(link, data={"csrf_token": csrf_of(intro.get_data(as_text=True)), "consent": "y"})
    assert started.status_code == 303
    first_page = started.headers["Location"]
    page = starter.get(first_page)
    saved = starter.post(
        first_page,
        data={"csrf_token": csrf_of(page.get_data(as_text=True)), "action": "next", "q_yes": "tidak"},
    )
    assert saved.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    recorder.messages.clear()
    for _ in range(MAX_REMINDERS + 1):
        deliver(campaign_id, "reminder")
    reminded = {m["To"] for m in recorder.messages}
    # Everybody but the one who finished, the one who only started included.
    assert reminded == set(PEOPLE) - {PEOPLE[0]}
    assert all(len(recorder.to(p)) == MAX_REMINDERS for p in reminded)
    assert all(m["Subject"].startswith("Pengingat") for m in recorder.messages)
    # A reminder's link works, the started draft moved to it; the invitation's older link no longer works.
    newest = _token(recorder.to(PEOPLE[3])[-1])
    assert starter.get(f"/r/{newest}?lang=en").status_code == 200
    (draft,) = db.session.scalars(select(Draft))
    assert draft.key == token_hash(newest)
    assert draft.answers == {"q_yes": "tidak"}
    older = _token(recorder.to(PEOPLE[3])[0])
    assert starter.get(f"/r/{older}?lang=en").status_code in (404, 410)


def test_console_and_cli_queue_the_sending(
    app: Flask,
    client: FlaskClient,
    runner: FlaskCliRunner,
    campaign: Survey,
    smtp_server: tuple[Recorder, int],
) -> None:
    recorder, _ = smtp_server
    make_user("admin", ["KOTA"], email="boss@example.org")
    login(client, "boss@example.org")
    base = f"/admin/campaigns/{campaign.campaign.slug}/frames"
    page = client.get(f"{base}/?lang=en").get_data(as_text=True)
    assert "Invitations: 0 sent, 0 failed" in page
    done = client.post(f"{base}/send?lang=en", data={"csrf_token": csrf_of(page)}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "Invitations: 5 sent, 1 failed" in html
    assert len(recorder.messages) == 5
    # No token appears on the console page.
    assert not any(_token(m) in html for m in recorder.messages)
    result = runner.invoke(args=["frames", "send", "--campaign", campaign.campaign.slug, "--reminders"])
    assert result.exit_code == 0, result.output
    assert len(recorder.messages) == 10
    app.config["SMTP_HOST"] = ""
    result = runner.invoke(args=["frames", "send", "--campaign", campaign.campaign.slug])
    assert result.exit_code != 0
    assert "SMTP_HOST is not set" in result.output


def test_english_message_says_the_same(campaign: Survey) -> None:
    from survey_app.domain.delivery import CampaignTemplates, campaign_templates

    english = CampaignTemplates("en", campaign_templates(campaign.campaign).texts, True)
    subject, body = compose(
        campaign.campaign, "reminder", "https://survei.example/r/abc", "https://survei.example/o/x", english
    )
    assert subject == "Reminder: integrity survey of Pemerintah Kota Uji"
    assert "anonymous" in body
    assert campaign.campaign.closes_on.isoformat() in body
    assert "https://survei.example/r/abc" in body
    assert "https://survei.example/o/x" in body
