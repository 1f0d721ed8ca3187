"""Writes always run in a transaction, on PostgreSQL too, where read-only GET requests skip ``BEGIN``.

``survey_app.database`` puts psycopg in autocommit and sends ``BEGIN`` itself; for GET and HEAD requests it
waits for the first statement that is not a ``SELECT``. A GET handler that wrote twice used to commit each
statement on its own: a failure in the second left the first written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from survey_app.extensions import db
from survey_app.models import Institution
from tests.conftest import make_app


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_two_writes_in_a_request_are_one_transaction(
    backend: str, committed_database: str, tmp_path: Path, method: str
) -> None:
    app = make_app(committed_database, tmp_path)
    with app.test_request_context("/", method=method):
        assert db.session.scalar(select(func.count()).select_from(Institution)) == 0
        db.session.add(Institution(code="A", name="First"))
        db.session.flush()
        db.session.add(Institution(code="A", name="Same code: refused"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        db.session.remove()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Institution)) == 0
        db.session.remove()
        db.engine.dispose()
