"""The sealed holding area: a finished response shares neither a transaction nor an order with the spending
of its invitation, and it reaches ``responses`` only in a shuffled batch.

The attack these replay: a database role with ``SELECT`` on every table joined ``responses.xmin`` to
``invitations.xmin`` (the final submit used to spend the invitation and insert the response in one
transaction, so both rows carried its id), and ordering by ``xmin`` gave the submission order.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from questionnaires.model import Questionnaire
from survey_app.extensions import db
from survey_app.models import HeldResponse, Response
from tests.apptools import build_survey, prepared_drafts
from tests.apptools import served as serving
from tests.conftest import make_app

pytestmark = pytest.mark.slow

ANSWERS = {"q_yes": "ya", "q_kind": ["uang"], "q_count": 2}


@pytest.fixture
def served(
    backend: str, committed_database: str, tmp_path: Path, mini: Questionnaire
) -> Iterator[tuple[str, Flask, list[str]]]:
    """The app over real HTTP on a database with real commits, a campaign of the default release batch
    (its minimum cell size, 5) and 10 invitations ready for their final submit."""
    app = make_app(committed_database, tmp_path, WTF_CSRF_ENABLED=False)
    with app.app_context():
        survey = build_survey(app, {"internal": mini}, release_batch=None)
        assert survey.campaign.min_cell == 5
        tokens = prepared_drafts(survey, 10, ANSWERS)
        db.session.remove()
    with serving(app) as base:
        yield base, app, tokens


def _submit(base: str, token: str, name: str) -> None:
    reply = requests.post(
        f"{base}/r/{token}/p/s2", data={"action": "next", "q_name": name}, allow_redirects=False, timeout=30
    )
    assert reply.status_code == 303, reply.text[:300]
    assert reply.headers["Location"].endswith("/thanks")


def _counts(app: Flask) -> tuple[int, int]:
    with app.app_context():
        held = db.session.scalar(select(func.count()).select_from(HeldResponse)) or 0
        released = db.session.scalar(select(func.count()).select_from(Response)) or 0
        db.session.remove()
    return int(held), int(released)


def test_responses_wait_in_the_holding_area_for_a_whole_batch(served: tuple[str, Flask, list[str]]) -> None:
    base, app, tokens = served
    for n, token in enumerate(tokens[:4]):
        _submit(base, token, f"Staf {n}")
    assert _counts(app) == (4, 0)  # nothing visible one by one
    _submit(base, tokens[4], "Staf 4")
    assert _counts(app) == (0, 5)  # the fifth releases the batch
    _submit(base, tokens[5], "Staf 5")
    assert _counts(app) == (1, 5)
    with app.app_context():
        names = sorted(r.answers["q_name"] for r in db.session.scalars(select(Response)))
        db.session.remove()
    assert names == [f"Staf {n}" for n in range(5)]  # every answer whole, none lost or doubled


def test_no_response_shares_a_transaction_or_an_order_with_its_invitation(
    backend: str, committed_database: str, served: tuple[str, Flask, list[str]]
) -> None:
    if backend != "postgresql":
        pytest.skip("xmin and ctid are PostgreSQL's system columns")
    base, app, tokens = served
    for n, token in enumerate(tokens):
        _submit(base, token, f"Staf {n}")
    assert _counts(app) == (0, 10)

    # What a role with SELECT on every table sees.
    url = make_url(committed_database)
    options = url.query.get("options")
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname=url.database, options=str(options or "")
    ) as connection:
        joined = connection.execute(
            "SELECT count(*) FROM responses r JOIN invitations i ON r.xmin = i.xmin"
        ).fetchone()
        assert joined == (0,)
        spent = [
            int(x)
            for (x,) in connection.execute(
                "SELECT xmin::text FROM invitations WHERE state = 'spent' ORDER BY xmin::text::bigint"
            )
        ]
        released = [
            (int(x), name)
            for x, name in connection.execute(
                "SELECT xmin::text, answers->>'q_name' FROM responses ORDER BY xmin::text::bigint, ctid"
            )
        ]
    assert len(spent) == 10
    batches = sorted({x for x, _ in released})
    assert len(batches) == 2  # two releases, five responses each
    # Ordering by transaction narrows a response only to the invitations spent before its release and
    # after the previous one: never fewer than a whole batch, so no response matches only its own link.
    for x, _ in released:
        earlier = max((b for b in batches if b < x), default=0)
        candidates = [s for s in spent if earlier < s < x]
        assert len(candidates) >= 5
