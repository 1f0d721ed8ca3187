"""Message texts per campaign: the built-in ones by default, edited in the console in both languages,
refused with a specific error (unknown placeholder, no {link}, no {optout}, a stray brace) and nothing
stored, and used by the next messages in the chosen language."""

from __future__ import annotations

import pandas as pd
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scoring.frames import ColumnMapping
from survey_app.domain.delivery import (
    TEMPLATE_FIELDS,
    TEMPLATES,
    TemplateError,
    campaign_templates,
    save_templates,
)
from survey_app.domain.frames import draw_campaign, upload_frame
from survey_app.extensions import db
from survey_app.models import AuditEntry, MessageTemplates
from survey_app.worker import deliver
from tests.admin.admintools import login, make_user
from tests.apptools import Survey, csrf_of
from tests.mail.conftest import Recorder

PERSON = "pegawai@kota.go.id"


def _form(texts: dict[str, dict[str, str]], language: str, csrf: str) -> dict[str, str]:
    data = {"csrf_token": csrf, "language": language}
    for lang, fields in texts.items():
        data |= {f"{lang}_{field}": text for field, text in fields.items()}
    return data


def _defaults() -> dict[str, dict[str, str]]:
    return {lang: dict(fields) for lang, fields in TEMPLATES.items()}


def test_defaults_and_every_problem_at_once(survey: Survey) -> None:
    chosen = campaign_templates(survey.campaign)
    assert (chosen.language, chosen.texts, chosen.customised) == ("id", TEMPLATES, False)
    texts = _defaults()
    texts["id"]["invitation_body"] = "Halo {nama}, isi survei {title}. {optout}"
    texts["en"]["reminder_body"] = "Please answer: {link}"
    texts["en"]["invitation_subject"] = "Survey of {institution"
    texts["id"]["reminder_subject"] = "Pengingat {closes:%d}"
    with pytest.raises(TemplateError) as rejected:
        save_templates(survey.campaign, "both", texts, None)
    problems = {where: [str(e) for e in errors] for where, errors in rejected.value.problems.items()}
    assert problems == {
        "id.invitation_body": [
            "Unknown placeholder {nama}; the placeholders are "
            "{institution}, {organiser}, {title}, {closes}, {link}, {optout}.",
            "The text must contain {link}: without it the message is of no use.",
        ],
        "en.reminder_body": ["The text must contain {optout}: every message carries an opt-out link."],
        "en.invitation_subject": ["A brace { or } stands alone; write {{ or }} for a brace in the text."],
        "id.reminder_subject": ["Write the placeholder as {closes}, without a format."],
    }
    assert db.session.get(MessageTemplates, survey.campaign.id) is None


@pytest.fixture
def drawn(app: Flask, survey: Survey, smtp_server: tuple[Recorder, int]) -> Survey:
    _, port = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, MAIL_FROM="s@kota.go.id")
    upload_frame(
        survey.campaign,
        f"unit,email\nSETDA,{PERSON}\n".encode(),
        "daftar.csv",
        ColumnMapping(unit="unit", email="email"),
        group="internal",
        user=None,
    )
    plan = pd.DataFrame({"unit": ["SETDA"], "group": ["internal"], "n_invite": [1]})
    draw_campaign(survey.campaign, plan, seed=1, user=None)
    make_user("admin", ["KOTA"], email="boss@example.org")
    db.session.commit()
    return survey


def test_console_edits_validates_and_the_messages_use_the_texts(
    client: FlaskClient, drawn: Survey, smtp_server: tuple[Recorder, int]
) -> None:
    recorder, _ = smtp_server
    login(client, "boss@example.org")
    url = f"/admin/campaigns/{drawn.campaign.slug}/messages/"
    page = client.get(f"{url}?lang=en").get_data(as_text=True)
    assert "This campaign uses the built-in texts." in page
    assert "Undangan Survei Penilaian Integritas {institution}" in page
    # A body without {link}: refused next to its field, in the console's language, nothing stored.
    texts = _defaults()
    texts["en"]["invitation_body"] = "Dear colleague, please answer. {optout}"
    refused = client.post(f"{url}?lang=en", data=_form(texts, "en", csrf_of(page)))
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "The text must contain {link}: without it the message is of no use." in html
    assert 'id="en_invitation_body-error"' in html
    assert db.session.get(MessageTemplates, drawn.campaign.id) is None
    indonesian = client.post(f"{url}?lang=id", data=_form(texts, "en", csrf_of(page)))
    assert "Teks harus memuat {link}" in indonesian.get_data(as_text=True)

    texts = _defaults()
    texts["id"]["invitation_subject"] = "Survei {title} menunggu Anda"
    texts["en"]["invitation_subject"] = "{title} is waiting for you"
    texts["en"]["invitation_body"] = (
        "Dear colleague,\n\nanswer {title} by {closes}: {link}\n\nStop: {optout}\n"
    )
    stored = client.post(f"{url}?lang=en", data=_form(texts, "both", csrf_of(page)))
    assert stored.status_code == 302
    row = db.session.get(MessageTemplates, drawn.campaign.id)
    assert row is not None
    assert row.language == "both"
    assert row.texts["en"]["invitation_body"] == texts["en"]["invitation_body"]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "messages.templates")).one()
    assert entry.details == {"language": "both"}
    shown = client.get(f"{url}?lang=en").get_data(as_text=True)
    assert "This campaign uses its own texts." in shown
    assert "SPI Kota Uji is waiting for you" in shown  # the preview

    assert deliver(drawn.campaign.id, "invitation") == {"sent": 1, "failed": 0}
    (message,) = recorder.to(PERSON)
    assert message["Subject"] == "Survei SPI Kota Uji menunggu Anda / SPI Kota Uji is waiting for you"
    body = message.get_content()
    indonesian_part, english_part = body.split("-" * 40)
    assert "Anda terpilih secara acak" in indonesian_part
    assert "/r/" in indonesian_part
    assert english_part.strip().startswith("Dear colleague,")
    assert f"by {drawn.campaign.closes_on.isoformat()}:" in english_part
    assert english_part.count("/r/") == 1
    assert english_part.count("/o/") == 1

    reset = client.get(f"{url}?lang=en").get_data(as_text=True)
    back = client.post(f"{url}reset", data={"csrf_token": csrf_of(reset)})
    assert back.status_code == 302
    assert db.session.get(MessageTemplates, drawn.campaign.id) is None
    assert set(TEMPLATE_FIELDS) == set(campaign_templates(drawn.campaign).texts["en"])
