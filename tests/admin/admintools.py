"""Helpers for the console tests: accounts, login, a campaign of the bundled instruments with responses."""

from __future__ import annotations

from datetime import date

import numpy as np
from flask.testing import FlaskClient

from questionnaires.bundled import load_bundled_questionnaire
from survey_app.domain.accounts import create_user
from survey_app.domain.synthetic import add_responses
from survey_app.extensions import db
from survey_app.models import Campaign, CampaignQuestionnaire, Unit, User
from tests.apptools import csrf_of

PASSWORD = "correct horse battery"
BUNDLED = {"internal": "spi-internal", "external": "spi-external", "expert": "spi-expert"}


def make_user(
    role: str, institutions: list[str] | None = None, email: str | None = None, *, steward: bool = False
) -> User:
    """``steward``: with the data-steward right (row-level response exports)."""
    user = create_user(email or f"{role}@example.org", PASSWORD, role, institutions)
    user.data_steward = steward
    db.session.commit()
    return user


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> object:
    page = client.get("/admin/login")
    token = csrf_of(page.get_data(as_text=True))
    return client.post("/admin/login", data={"csrf_token": token, "email": email, "password": password})


def add_campaign_responses(campaign: Campaign, counts: dict[str, int], *, seed: int = 7) -> int:
    """``counts[unit_code]`` synthetic responses per group of ``campaign`` in that unit; returns the total."""
    rng = np.random.default_rng(seed)
    units = {
        u.code: u.id for u in db.session.query(Unit).filter(Unit.institution_id == campaign.institution_id)
    }
    links = db.session.query(CampaignQuestionnaire).filter_by(campaign_id=campaign.id).all()
    total = 0
    for link in links:
        questionnaire = load_bundled_questionnaire(BUNDLED[link.respondent_group])
        for code, count in counts.items():
            add_responses(
                campaign,
                link.questionnaire_version_id,
                questionnaire,
                units[code],
                count,
                rng,
                tilt=0.7 if code == "SETDA" else 0.4,
                submitted_on=date.today(),
            )
            total += count
    db.session.commit()
    return total
