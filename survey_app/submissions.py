"""Storing a finished response: exactly once, whole or not at all.

Spending the invitation (or consuming the open-access draft) and inserting the response happen in one
transaction. The guard is the conditional write itself, not an earlier read: ``UPDATE … WHERE state =
'issued'`` (or ``DELETE`` of the draft) affects one row for exactly one of any number of concurrent attempts;
on PostgreSQL the others wait on the row lock and then see the new state, on SQLite POST requests take the
write lock up front (``BEGIN IMMEDIATE``, see ``database.py``).
"""

from __future__ import annotations

import functools
import json
import uuid
from typing import Any

from sqlalchemy import Dialect, Select, bindparam, delete, exists, insert, literal_column, select, update

from survey_app.extensions import db
from survey_app.models import Draft, Invitation, Response


def store_invited(token_hash: str, response: Response) -> bool:
    """Spend the invitation and store ``response``; ``False`` (and nothing stored) if it was not issued."""
    if db.session.get_bind().dialect.name == "postgresql":
        connection = db.session.connection()
        parameters = _store_invited_parameters(token_hash, response)
        stored = (
            connection.exec_driver_sql(_store_invited_sql(connection.dialect), parameters).first() is not None
        )
        if not stored:
            db.session.rollback()
            return False
        db.session.commit()
        return True
    spent = db.session.execute(
        update(Invitation)
        .where(Invitation.token_hash == token_hash, Invitation.state == "issued")
        .values(state="spent")
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        return False
    db.session.add(response)
    db.session.execute(
        delete(Draft).where(Draft.key == token_hash).execution_options(synchronize_session=False)
    )
    db.session.commit()
    return True


def store_open(draft_key: str, response: Response) -> bool:
    """Consume the open-access draft and store ``response``; ``False`` if the draft was already consumed."""
    consumed = db.session.execute(
        delete(Draft).where(Draft.key == draft_key).execution_options(synchronize_session=False)
    )
    if consumed.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        return False
    db.session.add(response)
    db.session.commit()
    return True


@functools.cache
def _store_invited_statement() -> Select[tuple[uuid.UUID]]:
    """PostgreSQL: spend, delete the draft and insert in one statement (data-modifying CTEs).

    The same guard as the three statements on SQLite: the response row is selected only from what the
    conditional ``UPDATE`` returned, and the draft is deleted only then. One round trip instead of three per
    final submit, and a statement built once (bound parameters, Core tables rather than the ORM's bulk
    path) rather than per request, is what brings submits under load towards half the bare insert rate
    (bench/submit_load.py). The ``RETURNING`` of the invitation stays inside the statement; nothing of it
    reaches the response row.
    """
    invitations = Invitation.__table__
    drafts = Draft.__table__
    responses = Response.__table__
    spent = (
        update(invitations)
        .where(
            invitations.c.token_hash == bindparam("hashed"), invitations.c.state == literal_column("'issued'")
        )
        .values(state=literal_column("'spent'"))
        .returning(invitations.c.id)
        .cte("spent")
    )
    was_spent = exists(select(spent.c.id))
    gone = delete(drafts).where(drafts.c.key == bindparam("hashed"), was_spent).cte("gone")
    row = select(*[bindparam(f"v_{c.key}", type_=c.type).label(c.key) for c in responses.columns])
    row = row.where(was_spent)
    # The INSERT is a CTE too, under a SELECT, and no parameter is named like a column: parameters given to
    # an INSERT or UPDATE statement's execution would be taken as values of the columns they name.
    stored = (
        insert(responses)
        .from_select([c.key for c in responses.columns], row)
        .returning(responses.c.id)
        .cte("stored")
    )
    return select(stored.c.id).add_cte(gone)


@functools.cache
def _store_invited_sql(dialect: Dialect) -> str:
    """The statement's SQL, compiled once and run with ``exec_driver_sql``.

    Executing the Core statement made SQLAlchemy build and process the parameters through the compiled
    statement on every submit (about 0.1 ms of a final submit's ~2 ms of CPU, measured in-process); the only
    parameter needing a conversion is the answers document, serialised below as the JSON type would.
    """
    return str(_store_invited_statement().compile(dialect=dialect))


def _store_invited_parameters(token_hash: str, response: Response) -> dict[str, Any]:
    values = {f"v_{c.key}": getattr(response, c.key) for c in Response.__table__.columns}
    values["v_answers"] = json.dumps(values["v_answers"])  # the column's SQL casts it to JSONB
    return {"hashed": token_hash, **values}
