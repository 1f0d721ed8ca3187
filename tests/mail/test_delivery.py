"""E-mail delivery through a real SMTP server: invitations, a refused recipient, a retried one, reminders to
non-finishers only, at most N times, and the link from the received message opens the questionnaire."""

from __future__ import annotations

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
from tests.mail.conftest import PEOPLE, Recorder, answer_through_the_pages, link_token

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
        token = link_token(m)
        assert (
            db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
            is not None
        )
        assert all(token not in (e.reason or "") for e in log)
    # Sending again sends nothing new (everyone delivered has their invitation).
    assert deliver(campaign.campaign.id, "invitation") == {"sent": 0, "failed": 1}


def test_reminders_reach_only_non_finishers_at_most_n_times(
    app: Flask, mini_campaign: Survey, smtp_server: tuple[Recorder, int]
) -> None:
    recorder, _ = smtp_server
    campaign_id = mini_campaign.campaign.id
    deliver(campaign_id, "invitation")
    # PEOPLE[0] answers through the pages with the link from the received message; PEOPLE[3] only starts.
    finisher = app.test_client()
    answer_through_the_pages(finisher, f"/r/{link_token(recorder.to(PEOPLE[0])[0])}")
    starter = app.test_client()
    link = f"/r/{link_token(recorder.to(PEOPLE[3])[0])}"
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
    newest = link_token(recorder.to(PEOPLE[3])[-1])
    assert starter.get(f"/r/{newest}?lang=en").status_code == 200
    (draft,) = db.session.scalars(select(Draft))
    assert draft.key == token_hash(newest)
    assert draft.answers == {"q_yes": "tidak"}
    older = link_token(recorder.to(PEOPLE[3])[0])
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
    assert not any(link_token(m) in html for m in recorder.messages)
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
