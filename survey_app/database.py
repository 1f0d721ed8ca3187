"""Engine set-up per database: SQLite needs help to be a safe development and test database; PostgreSQL
skips the transaction round trips of read-only requests (and writes always run in a transaction).

pysqlite's own transaction handling does not emit ``BEGIN`` until the first write and breaks ``SAVEPOINT``;
SQLAlchemy's documented fix is to take over: autocommit at the driver, ``BEGIN`` emitted by us. We emit
``BEGIN IMMEDIATE`` for requests that change data (POST…), so the write lock is taken at the start of the
transaction: a transaction that first reads and later writes would otherwise fail with "database is locked"
when another writer committed in between (WAL snapshots cannot be upgraded), instead of waiting.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_app_context, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

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


def _configure_postgresql(engine: Engine) -> None:
    """Driver autocommit, ``BEGIN`` emitted by us: at once for every request but GET and HEAD, and before the
    first statement that is not a ``SELECT`` within those.

    A respondent's page GET is one ``SELECT``; with psycopg's own transaction handling it also costs a
    ``BEGIN`` and, when the session closes, a ``ROLLBACK``: three round trips where one does, on the most
    frequent request (bench/submit_load.py; docs/benchmarks.md has the measured difference). Under
    PostgreSQL's default READ COMMITTED every statement has its own snapshot anyway, so reads see nothing
    different. A GET handler that writes (an audit entry for a download) still writes in one transaction:
    the first write begins it, and what follows is in it until SQLAlchemy commits. ``COMMIT``/``ROLLBACK``
    are what SQLAlchemy sends; psycopg skips them when no transaction is open.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.autocommit = True

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        lazy = has_request_context() and request.method in ("GET", "HEAD")
        # ``info`` lives with the driver's connection, across checkouts from the pool.
        connection.info[LAZY_BEGIN] = lazy
        if not lazy:
            connection.exec_driver_sql("BEGIN")

    @event.listens_for(engine, "before_cursor_execute")
    def _before(connection: Connection, cursor: Any, statement: str, *args: Any) -> None:
        if connection.info.get(LAZY_BEGIN) and not is_read(statement):
            connection.info[LAZY_BEGIN] = False
            cursor.execute("BEGIN")

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end(connection: Connection) -> None:
        # An invalidated connection is thrown away with its ``info`` (and asking for it would reconnect).
        if not connection.invalidated:
            connection.info.pop(LAZY_BEGIN, None)


#: On ``Connection.info`` while a GET or HEAD request's transaction has not sent ``BEGIN`` yet.
LAZY_BEGIN = "lazy_begin"


def is_read(statement: str) -> bool:
    """Whether ``statement`` only reads (a plain ``SELECT``): anything else begins the transaction first.

    >>> is_read("SELECT 1"), is_read("  select x FROM t"), is_read("WITH x AS (DELETE …) SELECT 1")
    (True, True, False)
    """
    return statement.lstrip()[:6].upper() == "SELECT"


def init_database(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
        elif engine.dialect.name == "postgresql":
            _configure_postgresql(engine)
