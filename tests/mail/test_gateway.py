"""WhatsApp/SMS delivery through a stand-in gateway started by the test (``http.server`` in a thread): the
request of docs/delivery.md, a refused number (4xx, not retried), retries of a 503, a timeout and a
dropped connection, a wrong token, the delivery log, and the gateway's status reports (a bounce)."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scoring.frames import ColumnMapping
from survey_app.domain.frames import draw_campaign, upload_frame
from survey_app.extensions import db
from survey_app.gateway import ATTEMPTS, Gateway
from survey_app.models import AuditEntry, Invitation
from survey_app.models.frames import DeliveryEntry, FrameContact
from survey_app.tokens import token_hash
from survey_app.worker import deliver
from tests.apptools import Survey
from tests.mail.conftest import GATEWAY_TOKEN, Recorder, StandInGateway, free_port

LINK = re.compile(r"http://[^\s]+/r/([A-Za-z0-9_\-]+)")
OPTOUT = re.compile(r"http://[^\s]+/o/([A-Za-z0-9_\-]+)")
CALLBACK_TOKEN = "callback-token-" + "c" * 24
# Phone only: these go through the gateway; the e-mail address goes by SMTP.
GOOD, REFUSED, FLAKY, DOWN, SLOW = (f"+6281200000{k}" for k in range(1, 6))
MAILED = "pegawai@kota.go.id"


@pytest.fixture
def campaign(
    app: Flask, spi: Survey, smtp_server: tuple[Recorder, int], gateway_server: StandInGateway
) -> Survey:
    _, port = smtp_server
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=port,
        SMTP_STARTTLS=False,
        MAIL_FROM="Survei <survei@kota.go.id>",
        SMS_GATEWAY_URL=gateway_server.url,
        SMS_GATEWAY_TOKEN=GATEWAY_TOKEN,
        SMS_GATEWAY_CHANNEL="whatsapp",
        SMS_GATEWAY_TIMEOUT=1,
        SMS_CALLBACK_TOKEN=CALLBACK_TOKEN,
        PUBLIC_BASE_URL="http://survei.test",
    )
    gateway_server.script = {REFUSED: [400], FLAKY: [503], DOWN: [500, 502, 503]}
    gateway_server.slow = {SLOW}
    rows = [f"SETDA,,{p}" for p in (GOOD, REFUSED, FLAKY, DOWN, SLOW)] + [f"SETDA,{MAILED},+628129999999"]
    upload_frame(
        spi.campaign,
        ("unit,email,phone\n" + "\n".join(rows) + "\n").encode(),
        "daftar.csv",
        ColumnMapping(unit="unit", email="email", phone="phone"),
        group="internal",
        user=None,
    )
    plan = pd.DataFrame({"unit": ["SETDA"], "group": ["internal"], "n_invite": [len(rows)]})
    draw_campaign(spi.campaign, plan, seed=3, user=None)
    db.session.commit()
    return spi


def test_gateway_request_retries_refusals_and_log(
    campaign: Survey, smtp_server: tuple[Recorder, int], gateway_server: StandInGateway
) -> None:
    recorder, _ = smtp_server
    counts = deliver(campaign.campaign.id, "invitation")
    assert counts == {"sent": 4, "failed": 2}
    # The contact with an e-mail address got an e-mail, not a WhatsApp message.
    assert [m["To"] for m in recorder.messages] == [MAILED]
    assert {r["to"] for r in gateway_server.requests} == {GOOD, FLAKY, SLOW}
    # A 4xx is not retried; a 503 and a timeout are; a gateway that keeps failing is tried ATTEMPTS times.
    assert gateway_server.tried == {GOOD: 1, REFUSED: 1, FLAKY: 2, DOWN: ATTEMPTS, SLOW: 2}
    # The request of docs/delivery.md: Bearer token, JSON with the number, channel, text and reference.
    assert all(h["Authorization"] == f"Bearer {GATEWAY_TOKEN}" for h in gateway_server.headers)
    assert all(h["Content-Type"].startswith("application/json") for h in gateway_server.headers)
    (request,) = gateway_server.to(GOOD)
    assert request["channel"] == "whatsapp"
    assert request["callback_url"] == "http://survei.test/api/gateway/status"
    assert "Pemerintah Kota Uji" in request["text"]
    token = LINK.search(request["text"]).group(1)  # type: ignore[union-attr]
    assert OPTOUT.search(request["text"]) is not None
    assert db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))

    log = db.session.scalars(select(DeliveryEntry).order_by(DeliveryEntry.id)).all()
    by_channel = {(e.channel, e.status) for e in log}
    assert by_channel == {("email", "sent"), ("gateway", "sent"), ("gateway", "failed")}
    failed = sorted((e.attempts, e.reason) for e in log if e.status == "failed")
    assert failed[0][0] == 1
    assert failed[0][1].startswith("HTTP 400")
    assert failed[1] == (ATTEMPTS, "HTTP 503: upstream down")
    sent = [e for e in log if e.channel == "gateway" and e.status == "sent"]
    assert {e.reference for e in sent} == {r["reference"] for r in gateway_server.requests}
    # No number, token or link in the delivery log.
    for entry in log:
        assert not re.search(r"\d{8,}", entry.reason), entry.reason
        assert token not in entry.reason
        assert token not in (entry.reference or "")
        assert "/r/" not in entry.reason
    # Nothing is sent twice; the failed ones stay due and are tried again.
    gateway_server.script = {}
    assert deliver(campaign.campaign.id, "invitation") == {"sent": 2, "failed": 0}


def test_status_report_marks_a_bounce_and_stops_messages(
    client: FlaskClient, campaign: Survey, gateway_server: StandInGateway
) -> None:
    gateway_server.script = {}
    deliver(campaign.campaign.id, "invitation")
    good = gateway_server.to(GOOD)[0]["reference"]
    flaky = gateway_server.to(FLAKY)[0]["reference"]
    url = "/api/gateway/status"
    auth = {"Authorization": f"Bearer {CALLBACK_TOKEN}"}
    assert client.post(url, json={"reference": good, "status": "delivered"}).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert client.post(url, json={"reference": good, "status": "bounced"}, headers=wrong).status_code == 401
    assert (
        client.post(url, json={"reference": "x" * 32, "status": "bounced"}, headers=auth).status_code == 404
    )
    bad = client.post(url, json={"reference": good, "status": "lost"}, headers=auth)
    assert bad.status_code == 400
    assert "status must be one of" in bad.get_json()["message"]
    assert client.post(url, data="not json", headers=auth).status_code == 400
    assert client.post(url, json={"reference": good, "status": "delivered"}, headers=auth).status_code == 204
    reply = client.post(
        url,
        json={"reference": flaky, "status": "undeliverable", "reason": f"{FLAKY} is not on WhatsApp"},
        headers=auth,
    )
    assert reply.status_code == 204
    entries = {e.reference: e for e in db.session.scalars(select(DeliveryEntry))}
    assert entries[good].status == "sent"
    assert entries[flaky].status == "bounced"
    assert entries[flaky].reason == "<recipient> is not on WhatsApp"
    # The bounced number gets no reminder; the others do.
    gateway_server.requests.clear()
    deliver(campaign.campaign.id, "reminder")
    assert FLAKY not in {r["to"] for r in gateway_server.requests}
    assert GOOD in {r["to"] for r in gateway_server.requests}
    # Without SMS_CALLBACK_TOKEN reports are refused altogether.
    campaign.app.config["SMS_CALLBACK_TOKEN"] = ""
    assert client.post(url, json={"reference": good, "status": "bounced"}, headers=auth).status_code == 404
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "contacts.opt_out")) is None


def test_wrong_token_and_dead_gateway_fail_with_a_reason(app: Flask, gateway_server: StandInGateway) -> None:
    config = {"SMS_GATEWAY_URL": gateway_server.url, "SMS_GATEWAY_TOKEN": "wrong", "SMS_GATEWAY_TIMEOUT": 1}
    outcome = Gateway(config).send(GOOD, "hello", "ref-1")
    assert (outcome.sent, outcome.attempts) == (False, 1)  # a 401 is the gateway's answer: not retried
    assert outcome.reason == "HTTP 401: bad token"
    nobody = {**config, "SMS_GATEWAY_URL": f"http://127.0.0.1:{free_port()}/send"}
    outcome = Gateway(nobody).send(GOOD, "hello", "ref-2")
    assert (outcome.sent, outcome.attempts) == (False, ATTEMPTS)
    assert outcome.reason.startswith("connection failed")
    assert GOOD not in outcome.reason


def test_config_check_names_gateway_problems() -> None:
    from pathlib import Path

    from survey_app.config import check, defaults, effective

    config = defaults(Path("/tmp/instance"))
    config.update(SMS_GATEWAY_URL="ftp://gw", SMS_GATEWAY_CHANNEL="pigeon", SMS_CALLBACK_TOKEN="short")
    problems = check(config)
    assert "SMS_GATEWAY_CHANNEL='pigeon' is not known; expected whatsapp or sms" in problems
    assert any(p.startswith("SMS_GATEWAY_URL='ftp://gw' is not a web address") for p in problems)
    assert any(p.startswith("SMS_GATEWAY_TOKEN is not set") for p in problems)
    assert any(p.startswith("SMS_CALLBACK_TOKEN is too short") for p in problems)
    production = defaults(Path("/tmp/instance"))
    production.update(
        SURVEY_ENV="production", SMS_GATEWAY_URL="http://gw.example/send", SMS_GATEWAY_TOKEN="t"
    )
    assert any("must use https in production" in p for p in check(production))
    assert not [p for p in check(defaults(Path("/tmp/instance"))) if "SMS" in p]
    shown = dict(effective({**production, "SMS_CALLBACK_TOKEN": "c" * 40}))
    assert shown["SMS_GATEWAY_TOKEN"] == "set"
    assert shown["SMS_CALLBACK_TOKEN"] == "set"
    assert shown["SMS_GATEWAY_URL"] == "http://gw.example/send"


def test_contacts_with_only_a_phone_wait_for_a_gateway(
    app: Flask, campaign: Survey, smtp_server: tuple[Recorder, int]
) -> None:
    app.config["SMS_GATEWAY_URL"] = ""
    assert deliver(campaign.campaign.id, "invitation") == {"sent": 1, "failed": 0}
    waiting = db.session.scalars(select(FrameContact).where(FrameContact.messages_sent == 0)).all()
    assert len(waiting) == 5
    assert all(not c.email for c in waiting)
