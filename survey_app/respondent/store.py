"""What the respondent pages read and write, and the one place that runs their statements.

Every statement of the respondent pages (the invitation or open-link lookup, the draft read and write, the
final submit) is built once and run by :func:`_run`, on PostgreSQL on the driver's cursor: the measured
saving is in ``docs/benchmarks.md`` (the "fast path" decision), and keeping it here keeps it off every
other request. Writes always run in a transaction.

Storing a finished response: exactly once, whole or not at all, and sealed.

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
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    JSON,
    Delete,
    Dialect,
    Insert,
    Select,
    Table,
    Update,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError

from survey_app.database import LAZY_BEGIN
from survey_app.extensions import db
from survey_app.models import Campaign, Draft, HeldResponse, Invitation, Response
from survey_app.models.types import utcnow
from survey_app.respondent.state import CampaignTerms, DraftState, with_version

# The models' tables as Core tables: declarative types ``__table__`` as any FROM clause (it may be a join).
_INVITATIONS = cast(Table, Invitation.__table__)
_DRAFTS = cast(Table, Draft.__table__)
_HELD = cast(Table, HeldResponse.__table__)
_RESPONSES = cast(Table, Response.__table__)


#: Statements :func:`_run` runs.
Reusable = Select[Any] | Update | Insert | Delete


class Reply(NamedTuple):
    """What a statement run by :func:`_run` gave: its rows (as tuples) and the rows it changed."""

    rows: Sequence[Sequence[Any]]
    rowcount: int

    def first(self) -> Sequence[Any] | None:
        return self.rows[0] if self.rows else None


def _run(statement: Reusable, parameters: Mapping[str, Any]) -> Reply:
    """Run ``statement``, built once and reused with bound parameters, on the session's connection.

    On PostgreSQL its SQL is compiled once and run on the driver's cursor. Executing the Core statement makes
    SQLAlchemy look up its compiled form, process the parameters and wrap the cursor in a result with
    metadata built from the cursor's description on every call (the ORM adds its own layer on top). On the
    respondent pages, which run one to three such statements per request, the driver's cursor takes about
    100 µs of CPU per statement where Core or ``exec_driver_sql`` take about 185 µs (measured in-process on
    the invitation lookup). psycopg returns the columns' Python types itself (dates, times with zone, JSONB
    as dicts); parameters go as they are, except JSON documents, serialised as the JSON type would (the
    compiled SQL casts them). Errors are raised as SQLAlchemy raises them, and a lost connection is dropped
    from the pool, as SQLAlchemy does for the statements it runs. Elsewhere (SQLite) the Core statement runs
    as usual, so its types convert values both ways.
    """
    connection = db.session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        result = connection.execute(statement, dict(parameters))
        return Reply(result.all() if result.returns_rows else [], result.rowcount)
    sql, json_names = _compiled(statement, dialect)
    values = {k: json.dumps(v) if k in json_names else v for k, v in parameters.items()}
    driver_connection = connection.connection.dbapi_connection
    try:
        with driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            if connection.info.get(LAZY_BEGIN) and not isinstance(statement, Select):
                # SQLAlchemy's cursor events do not see this cursor: begin the transaction as they would.
                connection.info[LAZY_BEGIN] = False
                cursor.execute("BEGIN")
            cursor.execute(sql, values)
            # Whether there are rows comes from the statement: asking the cursor (its description) builds
            # a column object per column.
            rows = cursor.fetchall() if statement.exported_columns else []
            return Reply(rows, cursor.rowcount)
    except dialect.loaded_dbapi.Error as error:
        lost = dialect.is_disconnect(error, driver_connection, None)
        if lost:
            connection.invalidate(error)
        raise DBAPIError.instance(
            sql, values, error, dialect.loaded_dbapi.Error, connection_invalidated=lost, dialect=dialect
        ) from error


@functools.cache
def _compiled(statement: Reusable, dialect: Dialect) -> tuple[str, frozenset[str]]:
    compiled = statement.compile(dialect=dialect)
    json_names = frozenset(name for name, bind in compiled.binds.items() if isinstance(bind.type, JSON))
    return str(compiled), json_names


#: The invitation's columns that :mod:`.invited` reads, in the order the query selects them.
INVITATION_COLUMNS = (
    Invitation.state,
    Invitation.respondent_group,
    Invitation.unit_id,
    Invitation.stratum,
    Invitation.weight,
)


@functools.cache
def _invitation_entry_query() -> Select[Any]:
    # Built once and reused with a bound parameter (see _run): constructing this four-table join
    # on every page request was most of the invitation lookup. The draft comes in the same statement (outer
    # join on its key, the token hash) to save a second round trip on every page. Columns, not entities:
    # see survey_app.respondent.state.
    query = CampaignTerms.joined(
        select(*INVITATION_COLUMNS, *CampaignTerms.columns()).join(
            Campaign, Invitation.campaign_id == Campaign.id
        )
    )
    return (
        with_version(query, Invitation.respondent_group)
        .add_columns(*DraftState.columns())
        .outerjoin(Draft, Draft.key == Invitation.token_hash)
        .where(Invitation.token_hash == bindparam("token_hash"))
    )


def invitation_entry(hashed: str) -> Sequence[Any] | None:
    """The invitation with token hash ``hashed``: :data:`INVITATION_COLUMNS`, the campaign's terms, the
    version's id and hash, the draft's columns (``None`` where no draft); ``None`` for no such invitation."""
    return _run(_invitation_entry_query(), {"token_hash": hashed}).first()


@functools.cache
def _open_entry_query() -> Select[Any]:
    query = CampaignTerms.joined(select(*CampaignTerms.columns()).select_from(Campaign))
    return with_version(query, bindparam("group")).where(Campaign.slug == bindparam("slug"))


def open_entry(slug: str, group: str) -> Sequence[Any] | None:
    """Campaign ``slug``'s terms and the version's id and hash for ``group``; ``None`` for neither."""
    return _run(_open_entry_query(), {"slug": slug, "group": group}).first()


@functools.cache
def _draft_query() -> Select[Any]:
    return select(*DraftState.columns()).where(Draft.key == bindparam("draft_key"))


def load_draft(key: str) -> DraftState | None:
    row = _run(_draft_query(), {"draft_key": key}).first()
    return None if row is None else DraftState.take(iter(row))


@functools.cache
def _save_statement() -> Update:
    # No parameter is named like a column: on SQLite the Core statement runs, and parameters of an UPDATE's
    # execution named like columns would be taken as more values to set.
    return (
        update(Draft)
        .where(Draft.key == bindparam("draft_key"))
        .values(
            answers=bindparam("new_answers", type_=Draft.answers.type),
            current_page=bindparam("new_page"),
            updated_at=bindparam("moment", type_=Draft.updated_at.type),
        )
    )


def save_draft(key: str, answers: dict[str, Any], current_page: str) -> bool:
    """Write the draft's answers and page; ``False`` when it no longer exists (submitted from another tab).

    The caller commits; the affected row count says whether the draft still exists.
    """
    written = _run(
        _save_statement(),
        {"draft_key": key, "new_answers": answers, "new_page": current_page, "moment": utcnow()},
    )
    return written.rowcount == 1


def store_invited(token_hash: str, response: dict[str, Any]) -> int | None:
    """Spend the invitation and hold ``response`` (the column values of a :class:`Response`); returns how
    many responses of the campaign are held now, or ``None`` (and nothing stored) if the invitation was not
    issued. The count tells the caller whether a batch is full without another round trip."""
    if db.session.get_bind().dialect.name == "postgresql":
        stored = _run(_store_invited_statement(), _parameters(response, hashed=token_hash)).first()
        if stored is None:
            db.session.rollback()
            return None
        db.session.commit()
        # The statement's count was taken before its own insert (one snapshot for the whole statement).
        return int(stored[1]) + 1
    spent = _run(_spend_statement(), {"hashed": token_hash})
    if spent.rowcount != 1:
        db.session.rollback()
        return None
    _run(_insert_statement(), _parameters(response))
    _run(_consume_statement(), {"hashed": token_hash})
    held = _held_count(response["campaign_id"])
    db.session.commit()
    return held


def store_open(draft_key: str, response: dict[str, Any]) -> int | None:
    """Consume the open-access draft and hold ``response``; returns how many responses of the campaign are
    held now, or ``None`` if the draft was already consumed."""
    consumed = _run(_consume_statement(), {"hashed": draft_key})
    if consumed.rowcount != 1:
        db.session.rollback()
        return None
    _run(_insert_statement(), _parameters(response))
    held = _held_count(response["campaign_id"])
    db.session.commit()
    return held


def _held_count(campaign_id: int) -> int:
    row = _run(_held_count_statement(), {"v_campaign_id": campaign_id}).first()
    return int(row[0]) if row is not None else 0


@functools.cache
def _held_count_statement() -> Select[Any]:
    return select(func.count()).select_from(_HELD).where(_HELD.c.campaign_id == bindparam("v_campaign_id"))


def _parameters(response: dict[str, Any], **more: Any) -> dict[str, Any]:
    # Named apart from the columns: parameters of an INSERT's or UPDATE's execution that are named like
    # columns would be taken as values of those columns.
    return {**{f"v_{c.key}": response[c.key] for c in _RESPONSES.columns}, **more}


def _response_row() -> list[Any]:
    return [bindparam(f"v_{c.key}", type_=c.type).label(c.key) for c in _RESPONSES.columns]


@functools.cache
def _spend_statement() -> Update:
    invitations = _INVITATIONS
    return (
        update(invitations)
        .where(
            invitations.c.token_hash == bindparam("hashed"), invitations.c.state == literal_column("'issued'")
        )
        .values(state=literal_column("'spent'"))
    )


@functools.cache
def _consume_statement() -> Delete:
    return delete(_DRAFTS).where(_DRAFTS.c.key == bindparam("hashed"))


@functools.cache
def _insert_statement() -> Insert:
    held = _HELD
    return insert(held).from_select([c.key for c in held.columns], select(*_response_row()))


@functools.cache
def _store_invited_statement() -> Select[tuple[uuid.UUID, int]]:
    """PostgreSQL: spend, delete the draft, hold the response and count the campaign's held responses in
    one statement (data-modifying CTEs; the count sees the table as it was before the statement).

    The same guard as the three statements on SQLite: the response row is selected only from what the
    conditional ``UPDATE`` returned, and the draft is deleted only then. One round trip instead of three per
    final submit is what brings submits under load towards half the bare insert rate
    (bench/submit_load.py). The ``RETURNING`` of the invitation stays inside the statement; nothing of it
    reaches the response row.
    """
    invitations, drafts, held = _INVITATIONS, _DRAFTS, _HELD
    spent = _spend_statement().returning(invitations.c.id).cte("spent")
    was_spent = exists(select(spent.c.id))
    gone = delete(drafts).where(drafts.c.key == bindparam("hashed"), was_spent).cte("gone")
    row = select(*_response_row()).where(was_spent)
    # The INSERT is a CTE too, under a SELECT.
    stored = insert(held).from_select([c.key for c in held.columns], row).returning(held.c.id).cte("stored")
    held_before = _held_count_statement().scalar_subquery()
    return select(stored.c.id, held_before).add_cte(gone)
