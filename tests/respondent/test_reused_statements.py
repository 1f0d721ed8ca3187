"""The respondent store's statement runner (``survey_app.respondent.store._run``): the respondent pages'
statements give the same values and errors on both backends.

On PostgreSQL they run on the driver's cursor, past SQLAlchemy's type processing and error handling, so
this checks what that path must still do: JSON documents, dates and times round-trip as the ORM gives them,
and a failing statement raises SQLAlchemy's exception and leaves nothing written.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from survey_app.domain import campaigns
from survey_app.extensions import db
from survey_app.models import Campaign, Draft, HeldResponse, Response
from survey_app.respondent.state import CampaignTerms, DraftState
from survey_app.respondent.store import _run as execute_reused
from survey_app.respondent.store import load_draft, save_draft, store_open
from tests.apptools import Survey, add_draft
from tests.conftest import make_app

ANSWERS = {"q1": "ya", "q2": ["uang", "barang"], "q3": 3, "q4": 2.5, "q5": "Pelayanan “cepat”"}


def _draft(survey: Survey, key: str) -> Draft:
    draft = add_draft(survey, key, datetime.now(UTC) - timedelta(minutes=5))
    db.session.commit()
    return draft


def test_draft_round_trip(survey: Survey) -> None:
    created = _draft(survey, "k" * 64)
    assert save_draft("k" * 64, ANSWERS, "s2")
    db.session.commit()

    loaded = load_draft("k" * 64)
    assert isinstance(loaded, DraftState)
    assert loaded.answers == ANSWERS
    assert loaded.current_page == "s2"
    assert loaded.started_at.utcoffset() == timedelta(0)
    assert abs(loaded.started_at - created.started_at) < timedelta(seconds=1)
    db.session.expire_all()
    stored = db.session.get(Draft, "k" * 64)
    assert stored is not None
    assert stored.answers == ANSWERS
    assert stored.updated_at > created.started_at

    assert load_draft("missing") is None
    assert not save_draft("missing", ANSWERS, "s2")


def test_campaign_terms_read_as_the_model_has_them(survey: Survey) -> None:
    query = CampaignTerms.joined(select(*CampaignTerms.columns()).select_from(Campaign))
    row = db.session.execute(query.where(CampaignTerms.columns()[0] == survey.campaign.id)).one()
    terms = CampaignTerms.take(iter(row))
    assert isinstance(terms.opens_on, date)
    assert terms.opens_on == survey.campaign.opens_on
    assert (terms.status, terms.closes_on) == (survey.campaign.status, survey.campaign.closes_on)
    assert campaigns.state(terms, date.today()) == campaigns.state(survey.campaign, date.today())
    assert terms.min_cell == survey.campaign.min_cell
    assert (terms.organiser, terms.institution_name) == (
        survey.campaign.organiser,
        survey.campaign.institution.name,
    )


def test_a_failing_statement_raises_sqlalchemy_errors_and_stores_nothing(survey: Survey) -> None:
    _draft(survey, "open-key")
    response = {
        "id": uuid.uuid4(),
        "campaign_id": survey.campaign.id + 1000,  # no such campaign: the foreign key refuses it
        "questionnaire_version_id": survey.campaign.questionnaires[0].questionnaire_version_id,
        "respondent_group": "internal",
        "unit_id": None,
        "stratum": None,
        "weight": 1.0,
        "open_access": True,
        "answers": ANSWERS,
        "duration_seconds": 60,
        "submitted_on": date.today(),
    }
    with pytest.raises(IntegrityError):
        store_open("open-key", response)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(HeldResponse)) == 0
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0
    assert db.session.get(Draft, "open-key") is not None  # consumed only together with the insert

    assert store_open("open-key", {**response, "campaign_id": survey.campaign.id}) == 1  # held now: this one
    # Stored in the sealed holding area; the release (a later transaction) moves it to ``responses``.
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0
    stored = db.session.scalars(select(HeldResponse)).one()
    assert stored.answers == ANSWERS
    assert stored.submitted_on == date.today()
    assert db.session.get(Draft, "open-key") is None


def test_a_lost_connection_is_dropped_from_the_pool(
    backend: str, committed_database: str, tmp_path: Path
) -> None:
    if backend != "postgresql":
        pytest.skip("a connection lost to the server is a PostgreSQL case (SQLite has no server)")
    app = make_app(committed_database, tmp_path)
    statement = select(func.pg_backend_pid())
    with app.app_context():
        row = execute_reused(statement, {}).first()
        assert row is not None
        with db.engine.connect() as other:
            # With a timeout (PostgreSQL 14+) the call returns once the backend has ended.
            ended = other.exec_driver_sql(
                "SELECT pg_terminate_backend(%(pid)s, 10000)", {"pid": row[0]}
            ).scalar_one()
        assert ended, "the server did not end the connection within 10 s"
        with pytest.raises(DBAPIError) as caught:
            execute_reused(statement, {})
        assert caught.value.connection_invalidated
        db.session.rollback()
        again = execute_reused(statement, {}).first()  # a new connection from the pool
        assert again is not None
        assert again[0] != row[0]
        db.session.remove()
        db.engine.dispose()
