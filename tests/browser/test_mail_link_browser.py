"""A sampled person's journey in Chromium: the invitation arrives at a real SMTP server (aiosmtpd), the link
is taken from the received message, opened, and the questionnaire answered to the thank-you page; the
opt-out link of another message is opened and confirmed in the page."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from questionnaires.bundled import load_bundled_questionnaire
from scoring.frames import ColumnMapping
from survey_app.domain.frames import draw_campaign, upload_frame
from survey_app.extensions import db
from survey_app.models import Invitation, Response
from survey_app.models.frames import FrameContact
from survey_app.worker import deliver
from tests.apptools import build_survey
from tests.browser.conftest import PHONE
from tests.browser.test_respondent_browser import _finish, _submit
from tests.conftest import make_app, migrate

aiosmtpd = pytest.importorskip("aiosmtpd", reason="aiosmtpd is not installed (the test extra)")
from tests.mail.conftest import Recorder, running_smtp  # noqa: E402

PEOPLE = ("ani@kota.go.id", "budi@kota.go.id")
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/r/[A-Za-z0-9_\-]+)")
OPTOUT = re.compile(r"(http://127\.0\.0\.1:\d+/o/[A-Za-z0-9_\-]+)")


@dataclass
class Mailed:
    app: Flask
    recorder: Recorder


@pytest.fixture(scope="module")
def mailed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mailed]:
    """The app over real HTTP on a migrated SQLite file; the SPI employees' campaign, both people drawn and
    their invitations sent through the SMTP server."""
    directory = tmp_path_factory.mktemp("mailed")
    url = f"sqlite:///{directory / 'mailed.db'}"
    migrate(url, directory)
    app = make_app(url, directory)  # CSRF on: the browser posts the real forms
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with running_smtp() as (recorder, port):
        app.config.update(
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=port,
            SMTP_STARTTLS=False,
            MAIL_FROM="Survei <survei@kota.go.id>",
            PUBLIC_BASE_URL=f"http://127.0.0.1:{server.server_port}",
        )
        with app.app_context():
            survey = build_survey(app, {"internal": load_bundled_questionnaire("spi-internal")})
            upload_frame(
                survey.campaign,
                ("unit,email\n" + "".join(f"SETDA,{p}\n" for p in PEOPLE)).encode(),
                "daftar.csv",
                ColumnMapping(unit="unit", email="email"),
                group="internal",
                user=None,
            )
            plan = pd.DataFrame({"unit": ["SETDA"], "group": ["internal"], "n_invite": [len(PEOPLE)]})
            draw_campaign(survey.campaign, plan, seed=2, user=None)
            db.session.commit()
            assert deliver(survey.campaign.id, "invitation") == {"sent": 2, "failed": 0}
            db.session.remove()
        try:
            yield Mailed(app, recorder)
        finally:
            server.shutdown()
            thread.join(5)
            with app.app_context():
                db.engine.dispose()


def _received(mailed: Mailed, person: str, pattern: re.Pattern[str]) -> str:
    (message,) = mailed.recorder.to(person)
    found = pattern.search(message.get_content())
    assert found, message.get_content()
    return found.group(1)


def test_sampled_person_answers_from_the_received_link(browser: Any, mailed: Mailed) -> None:
    link = _received(mailed, PEOPLE[0], LINK)
    context = browser.new_context(viewport=PHONE, locale="id-ID", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(link)
    assert page.get_attribute("html", "lang") == "id"
    page.check("#consent")
    _submit(page)
    _finish(page, set())
    assert page.url.endswith("/thanks")
    context.close()
    with mailed.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
        states = sorted(db.session.scalars(select(Invitation.state)))
        assert states == ["issued", "spent"]
        # The response is weighted as the draw said: N_h / n_h, a census of the unit here.
        (response,) = db.session.scalars(select(Response))
        assert response.weight == pytest.approx(1.0)


def test_opt_out_link_of_a_message_in_the_browser(browser: Any, mailed: Mailed) -> None:
    link = _received(mailed, PEOPLE[1], OPTOUT)
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.goto(link)
    assert page.locator("h1").inner_text() == "No more messages about this survey?"
    with page.expect_navigation():
        page.locator("main form button.primary").click()
    assert page.locator("h1").inner_text() == "You will receive no more messages about this survey"
    context.close()
    with mailed.app.app_context():
        contact = db.session.scalars(select(FrameContact).where(FrameContact.email == PEOPLE[1])).one()
        assert contact.opted_out_at is not None
