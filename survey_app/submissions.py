"""Storing a finished response: exactly once, whole or not at all.

Spending the invitation (or consuming the open-access draft) and inserting the response happen in one
transaction. The guard is the conditional write itself, not an earlier read: ``UPDATE … WHERE state =
'issued'`` (or ``DELETE`` of the draft) affects one row for exactly one of any number of concurrent attempts;
on PostgreSQL the others wait on the row lock and then see the new state, on SQLite POST requests take the
write lock up front (``BEGIN IMMEDIATE``, see ``database.py``).
"""

from __future__ import annotations

from sqlalchemy import Insert, delete, exists, insert, literal, select, update

from survey_app.extensions import db
from survey_app.models import Draft, Invitation, Response


def store_invited(token_hash: str, response: Response) -> bool:
    """Spend the invitation and store ``response``; ``False`` (and nothing stored) if it was not issued."""
    if db.session.get_bind().dialect.name == "postgresql":
        stored = db.session.execute(_store_invited_statement(token_hash, response)).first() is not None
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


def _store_invited_statement(token_hash: str, response: Response) -> Insert:
    """PostgreSQL: spend, delete the draft and insert in one statement (data-modifying CTEs).

    The same guard as the three statements on SQLite: the response row is selected only from what the
    conditional ``UPDATE`` returned, and the draft is deleted only then. One round trip instead of three per
    final submit is what brings the submits under load to half the bare insert rate (bench/submit_load.py).
    The ``RETURNING`` of the invitation stays inside the statement; nothing of it reaches the response row.
    """
    spent = (
        update(Invitation)
        .where(Invitation.token_hash == token_hash, Invitation.state == "issued")
        .values(state="spent")
        .returning(Invitation.id)
        .cte("spent")
    )
    gone = delete(Draft).where(Draft.key == token_hash, exists(select(spent.c.id))).cte("gone")
    table = Response.__table__
    columns = [c for c in table.columns if getattr(response, c.key) is not None]
    row = select(*[literal(getattr(response, c.key), type_=c.type).label(c.key) for c in columns]).where(
        exists(select(spent.c.id))
    )
    return insert(Response).from_select([c.key for c in columns], row).add_cte(gone).returning(Response.id)
