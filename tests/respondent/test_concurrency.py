"""One response per invitation under concurrent submits, and nothing lost under many at once.

These tests need real commits seen by several connections, so they run on a database of their own
(``committed_database``) rather than inside the per-test savepoint.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy import event, func, select

from questionnaires.model import Questionnaire
from survey_app.extensions import db
from survey_app.models import Draft, Invitation, Response
from tests.apptools import build_survey, prepared_drafts
from tests.conftest import make_app

# Real threads and real commits: seconds per test, left out by `make test-fast`.
pytestmark = pytest.mark.slow


def _app(url: str, tmp_path: Path) -> Flask:
    # CSRF is exercised elsewhere; here each thread is a separate client without a page load first.
    return make_app(url, tmp_path, WTF_CSRF_ENABLED=False)


def _prepared_tokens(app: Flask, mini: Questionnaire, count: int) -> list[str]:
    """Invitations whose drafts already hold every answer, resting on the last page."""
    with app.app_context():
        survey = build_survey(app, {"internal": mini})
        tokens = prepared_drafts(survey, count, {"q_yes": "ya", "q_kind": ["uang"], "q_count": 2})
        db.session.remove()
    return tokens


def _submit(app: Flask, token: str, barrier: threading.Barrier | None = None) -> int:
    client = app.test_client()
    if barrier is not None:
        barrier.wait()
    reply = client.post(f"/r/{token}/p/s2", data={"action": "next", "q_name": "Staf"})
    if reply.status_code == 303 and not reply.headers["Location"].endswith("/thanks"):
        # Lost the race after reading the invitation but before reading the draft: sent to the start,
        # which says the link was used once the respondent acts (consents) there.
        assert reply.headers["Location"] == f"/r/{token}"
        return int(client.post(reply.headers["Location"], data={"consent": "y"}).status_code)
    return int(reply.status_code)


def test_twenty_threads_submitting_one_invitation_store_one_response(
    committed_database: str, tmp_path: Path, mini: Questionnaire
) -> None:
    app = _app(committed_database, tmp_path)
    (token,) = _prepared_tokens(app, mini, 1)
    barrier = threading.Barrier(20)
    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(lambda _: _submit(app, token, barrier), range(20)))
    assert Counter(codes) == {303: 1, 410: 19}, codes
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
        assert db.session.scalar(select(func.count()).select_from(Draft)) == 0
        assert db.session.scalar(select(Invitation.state)) == "spent"
        db.engine.dispose()


def test_two_hundred_invitations_at_once_give_two_hundred_responses(
    backend: str, committed_database: str, tmp_path: Path, mini: Questionnaire
) -> None:
    if backend != "postgresql":
        pytest.skip("the many-writers test is for PostgreSQL (SQLite serialises writers by design)")
    app = _app(committed_database, tmp_path)
    tokens = _prepared_tokens(app, mini, 200)
    with ThreadPoolExecutor(max_workers=32) as pool:
        codes = list(pool.map(lambda t: _submit(app, t), tokens))
    assert Counter(codes) == {303: 200}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 200
        assert db.session.scalar(select(func.count(func.distinct(Response.id)))) == 200
        assert (
            db.session.scalar(select(func.count()).select_from(Invitation).where(Invitation.state == "spent"))
            == 200
        )
        assert db.session.scalar(select(func.count()).select_from(Draft)) == 0
        db.engine.dispose()


def test_respondent_pages_on_postgresql_take_one_statement_each(
    backend: str, committed_database: str, tmp_path: Path, mini: Questionnaire
) -> None:
    """The page GET is one round trip (no BEGIN); the final submit is one statement in a transaction of its
    own (writes always are), whole; the release of the held batch is a later transaction."""
    if backend != "postgresql":
        pytest.skip("SQLite takes the write lock with BEGIN IMMEDIATE on every POST")
    app = _app(committed_database, tmp_path)
    (token,) = _prepared_tokens(app, mini, 1)
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    # The respondent pages run their statements on the driver's cursor (survey_app.respondent.store._run),
    # past SQLAlchemy's execution events, so the driver's cursors record them.
    class Recording(psycopg.Cursor[Any]):
        def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
            statements.append(str(query).split(None, 1)[0].upper())
            return super().execute(query, *args, **kwargs)

    def record(dbapi_connection, connection_record, connection_proxy):  # type: ignore[no-untyped-def]
        dbapi_connection.cursor_factory = Recording

    event.listen(engine, "checkout", record)
    try:
        client = app.test_client()
        client.get(f"/r/{token}/p/s2")  # the version parsed once per process, before counting
        statements.clear()
        assert client.get(f"/r/{token}/p/s2").status_code == 200
        assert statements == ["SELECT"]
        statements.clear()
        assert _submit(app, token) == 303
        # The entry, then spend + delete draft + hold, in one transaction (COMMIT is the connection's, not
        # a cursor's); then, the batch being full (one, in these tests), the release in another.
        assert statements[:4] == ["BEGIN", "SELECT", "WITH", "BEGIN"]
        assert statements[4:] == ["SELECT", "WITH"]  # the campaign locked, then the batch moved at once
    finally:
        event.remove(engine, "checkout", record)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
        assert db.session.scalar(select(func.count()).select_from(Draft)) == 0
        assert db.session.scalar(select(Invitation.state)) == "spent"
        db.engine.dispose()
