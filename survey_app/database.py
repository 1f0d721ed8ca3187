"""Engine set-up per database: SQLite needs help to be a safe development and test database; PostgreSQL
skips the transaction round trips of read-only requests.

pysqlite's own transaction handling does not emit ``BEGIN`` until the first write and breaks ``SAVEPOINT``;
SQLAlchemy's documented fix is to take over: autocommit at the driver, ``BEGIN`` emitted by us. We emit
``BEGIN IMMEDIATE`` for requests that change data (POST…), so the write lock is taken at the start of the
transaction: a transaction that first reads and later writes would otherwise fail with "database is locked"
when another writer committed in between (WAL snapshots cannot be upgraded), instead of waiting.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from flask import Flask, g, has_app_context, has_request_context, request
from sqlalchemy import JSON, Delete, Dialect, Insert, Select, Update, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from survey_app.extensions import db


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        writes = (has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")) or (
            has_app_context() and bool(g.get(WRITER_THREAD, False))
        )
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


#: Set on ``flask.g`` by a background thread that writes (a compute job): on SQLite its transactions take the
#: write lock at BEGIN too, since a deferred transaction that reads and then writes after another connection
#: committed fails at once with "database is locked" instead of waiting.
WRITER_THREAD = "writer_thread"

#: Set on ``flask.g`` by views whose every write is one statement (the invitation pages: the draft INSERT or
#: UPDATE, the final submit's single statement on PostgreSQL): they run without BEGIN/COMMIT round trips.
SINGLE_STATEMENT_WRITES = "single_statement_writes"


def _configure_postgresql(engine: Engine) -> None:
    """Driver autocommit, ``BEGIN`` emitted by us, except while serving a GET or HEAD request or a view
    that declared :data:`SINGLE_STATEMENT_WRITES`.

    A respondent's page GET is one ``SELECT``; with psycopg's own transaction handling it also costs a
    ``BEGIN`` and, when the session closes, a ``ROLLBACK``: three round trips where one does, on the most
    frequent request (bench/submit_load.py). Under PostgreSQL's default READ COMMITTED every statement has
    its own snapshot anyway, so reads see nothing different. GET handlers that write (an audit entry for a
    download) commit each statement on its own. The invitation pages' POSTs write with one statement each
    (a statement is atomic on its own), so they skip ``BEGIN``/``COMMIT`` too. Everything else (other POST
    requests, the CLI, background jobs, the tests' outer transactions) begins a transaction as before, and
    ``COMMIT``/``ROLLBACK`` are what SQLAlchemy sends; psycopg skips them when no transaction is open.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.autocommit = True

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        if has_request_context() and (
            request.method in ("GET", "HEAD") or getattr(g, SINGLE_STATEMENT_WRITES, False)
        ):
            return
        connection.exec_driver_sql("BEGIN")


#: Statements :func:`execute_reused` runs.
Reusable = Select[Any] | Update | Insert | Delete


class Reply(NamedTuple):
    """What a statement run by :func:`execute_reused` gave: its rows (as tuples) and the rows it changed."""

    rows: Sequence[Sequence[Any]]
    rowcount: int

    def first(self) -> Sequence[Any] | None:
        return self.rows[0] if self.rows else None


def execute_reused(statement: Reusable, parameters: Mapping[str, Any]) -> Reply:
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


def init_database(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
        elif engine.dialect.name == "postgresql":
            _configure_postgresql(engine)
