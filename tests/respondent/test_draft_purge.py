"""``flask drafts purge``: drafts of closed campaigns and abandoned open-access drafts go, the rest stays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask.testing import FlaskCliRunner
from sqlalchemy import select

from questionnaires.model import Questionnaire
from survey_app.extensions import db
from survey_app.models import Draft
from survey_app.tokens import token_hash
from tests.apptools import Survey, add_draft, build_survey


def _draft(survey: Survey, key: str, age_days: int) -> None:
    add_draft(survey, key, datetime.now(UTC) - timedelta(days=age_days))


def test_purge_keeps_invitation_drafts_and_recent_open_access(
    runner: FlaskCliRunner, survey: Survey, mini: Questionnaire
) -> None:
    invited_old = token_hash(survey.token())
    _draft(survey, invited_old, age_days=90)  # an invitation link still resumes it
    _draft(survey, "open-recent", age_days=3)
    _draft(survey, "open-old", age_days=45)
    closed = build_survey(
        survey.app,
        {"internal": mini},
        slug="kota-2023",
        opens_on=date.today() - timedelta(days=400),
        closes_on=date.today() - timedelta(days=300),
    )
    closed_invited = token_hash(closed.token())
    _draft(closed, closed_invited, age_days=1)
    _draft(closed, "closed-open", age_days=1)
    db.session.commit()

    counted = runner.invoke(args=["drafts", "purge", "--dry-run"])
    assert counted.exit_code == 0, counted.output
    assert "would delete 2 draft(s) of closed campaigns and 1 open-access draft(s)" in counted.output
    assert len(db.session.scalars(select(Draft.key)).all()) == 5

    purged = runner.invoke(args=["drafts", "purge"])
    assert purged.exit_code == 0, purged.output
    assert "deleted 2 draft(s) of closed campaigns and 1 open-access draft(s) untouched for 30" in (
        purged.output
    )
    assert set(db.session.scalars(select(Draft.key))) == {invited_old, "open-recent"}

    shorter = runner.invoke(args=["drafts", "purge", "--older-than", "2"])
    assert "and 1 open-access draft(s)" in shorter.output
    assert set(db.session.scalars(select(Draft.key))) == {invited_old}


def test_purge_refuses_a_bad_age(runner: FlaskCliRunner, survey: Survey) -> None:
    result = runner.invoke(args=["drafts", "purge", "--older-than", "0"])
    assert result.exit_code == 2
    assert "--older-than" in result.output
