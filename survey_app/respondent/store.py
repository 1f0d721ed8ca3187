"""Storing a finished response: exactly once, whole or not at all, and sealed.

Spending the invitation (or consuming the open-access draft) and storing the response in the sealed holding
area (``held_responses``) happen in one transaction; the response reaches ``responses`` only with a batch of
others, in a later transaction (:mod:`survey_app.domain.release`), so the two never share a transaction id.
The guard is the conditional write itself, not an earlier read: ``UPDATE … WHERE state = 'issued'`` (or
``DELETE`` of the draft) affects one row for exactly one of any number of concurrent attempts; on PostgreSQL
the others wait on the row lock and then see the new state, on SQLite POST requests take the write lock up
front (``BEGIN IMMEDIATE``, see ``database.py``).
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from sqlalchemy import (
    Delete,
    Insert,
    Select,
    Update,
    bindparam,
    delete,
    exists,
    insert,
    literal_column,
    select,
    update,
)

from survey_app.database import execute_reused
from survey_app.extensions import db
from survey_app.models import Draft, HeldResponse, Invitation, Response


def store_invited(token_hash: str, response: dict[str, Any]) -> bool:
    """Spend the invitation and hold ``response`` (the column values of a :class:`Response`); ``False`` (and
    nothing stored) if the invitation was not issued."""
    if db.session.get_bind().dialect.name == "postgresql":
        stored = execute_reused(_store_invited_statement(), _parameters(response, hashed=token_hash))
        if stored.first() is None:
            db.session.rollback()
            return False
        db.session.commit()
        return True
    spent = execute_reused(_spend_statement(), {"hashed": token_hash})
    if spent.rowcount != 1:
        db.session.rollback()
        return False
    execute_reused(_insert_statement(), _parameters(response))
    execute_reused(_consume_statement(), {"hashed": token_hash})
    db.session.commit()
    return True


def store_open(draft_key: str, response: dict[str, Any]) -> bool:
    """Consume the open-access draft and hold ``response``; ``False`` if the draft was already consumed."""
    consumed = execute_reused(_consume_statement(), {"hashed": draft_key})
    if consumed.rowcount != 1:
        db.session.rollback()
        return False
    execute_reused(_insert_statement(), _parameters(response))
    db.session.commit()
    return True


def _parameters(response: dict[str, Any], **more: Any) -> dict[str, Any]:
    # Named apart from the columns: parameters of an INSERT's or UPDATE's execution that are named like
    # columns would be taken as values of those columns.
    return {**{f"v_{c.key}": response[c.key] for c in Response.__table__.columns}, **more}


def _response_row() -> list[Any]:
    return [bindparam(f"v_{c.key}", type_=c.type).label(c.key) for c in Response.__table__.columns]


@functools.cache
def _spend_statement() -> Update:
    invitations = Invitation.__table__
    return (
        update(invitations)
        .where(
            invitations.c.token_hash == bindparam("hashed"), invitations.c.state == literal_column("'issued'")
        )
        .values(state=literal_column("'spent'"))
    )


@functools.cache
def _consume_statement() -> Delete:
    return delete(Draft.__table__).where(Draft.__table__.c.key == bindparam("hashed"))


@functools.cache
def _insert_statement() -> Insert:
    held = HeldResponse.__table__
    return insert(held).from_select([c.key for c in held.columns], select(*_response_row()))


@functools.cache
def _store_invited_statement() -> Select[tuple[uuid.UUID]]:
    """PostgreSQL: spend, delete the draft and insert in one statement (data-modifying CTEs).

    The same guard as the three statements on SQLite: the response row is selected only from what the
    conditional ``UPDATE`` returned, and the draft is deleted only then. One round trip instead of three per
    final submit is what brings submits under load towards half the bare insert rate
    (bench/submit_load.py). The ``RETURNING`` of the invitation stays inside the statement; nothing of it
    reaches the response row.
    """
    invitations = Invitation.__table__
    drafts = Draft.__table__
    held = HeldResponse.__table__
    spent = _spend_statement().returning(invitations.c.id).cte("spent")
    was_spent = exists(select(spent.c.id))
    gone = delete(drafts).where(drafts.c.key == bindparam("hashed"), was_spent).cte("gone")
    row = select(*_response_row()).where(was_spent)
    # The INSERT is a CTE too, under a SELECT.
    stored = insert(held).from_select([c.key for c in held.columns], row).returning(held.c.id).cte("stored")
    return select(stored.c.id).add_cte(gone)
