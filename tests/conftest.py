"""Shared fixtures: a migrated database per backend, the app, a savepoint per test, the test client.

The ``database`` fixture is parametrized over ``sqlite`` and ``postgresql``, so one run covers both; the
PostgreSQL param is skipped (with the reason) unless ``TEST_DATABASE_URL`` is set and the server answers.
Under pytest-xdist each worker gets its own SQLite file and its own PostgreSQL schema (``search_path``), so
two workers never see each other's rows.

Tests that need real commits from several threads (concurrency) use ``committed_database`` instead: a freshly
migrated database of their own, without the surrounding savepoint.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession

from questionnaires.model import Questionnaire
from survey_app import create_app
from survey_app.extensions import db
from tests.apptools import MINI, Survey, build_survey

BACKENDS = ("sqlite", "postgresql")
TEST_SECRETS = {"SECRET_KEY": "test-secret-key-" + "s" * 32, "TOKEN_HASH_KEY": "test-token-hash-" + "t" * 32}


def _worker() -> str:
    return re.sub(r"\W", "_", os.environ.get("PYTEST_XDIST_WORKER", "main"))


def _postgres_base_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url:
        pytest.skip(
            "PostgreSQL tests need TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def postgres_schema_url(schema: str) -> str:
    """A fresh, empty schema on the test server; the URL puts it first on the ``search_path``."""
    base = _postgres_base_url()
    engine = sa.create_engine(base, connect_args={"connect_timeout": 3})
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except sa.exc.OperationalError as exc:
        pytest.skip(f"PostgreSQL at TEST_DATABASE_URL does not answer: {exc.orig}")
    finally:
        engine.dispose()
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options={quote(f'-csearch_path={schema}')}"


def drop_postgres_schema(schema: str) -> None:
    engine = sa.create_engine(_postgres_base_url())
    with engine.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


def make_app(database_url: str, instance: Path, **extra: Any) -> Flask:
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": instance,
        "RATELIMIT_ENABLED": False,
        **TEST_SECRETS,
        **extra,
    }
    return create_app(config)


def migrate(database_url: str, instance: Path) -> None:
    app = make_app(database_url, instance)
    with app.app_context():
        upgrade()
        db.engine.dispose()


def fresh_database(backend: str, directory: Path, name: str) -> str:
    """A newly migrated database of ``backend`` (committed data, no savepoint)."""
    if backend == "sqlite":
        url = f"sqlite:///{directory / (name + '.db')}"
    else:
        url = postgres_schema_url(f"test_{_worker()}_{name}")
    migrate(url, directory)
    return url


@pytest.fixture(
    scope="session",
    # ``-m "not postgres"`` runs the SQLite half only.
    params=[pytest.param(b, marks=pytest.mark.postgres) if b == "postgresql" else b for b in BACKENDS],
)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a migrated database of one backend, shared by the tests of this worker."""
    backend: str = request.param
    directory = tmp_path_factory.mktemp(f"db-{backend}")
    url = fresh_database(backend, directory, "shared")
    yield url
    if backend == "postgresql":
        drop_postgres_schema(f"test_{_worker()}_shared")


@pytest.fixture
def backend(database: str) -> str:
    return "sqlite" if database.startswith("sqlite") else "postgresql"


class _ConnectionBoundSession(FlaskSession):
    # Flask-SQLAlchemy picks the engine per table; in a test every statement must go through the one
    # connection that holds the outer transaction.
    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
        return self.bind if self.bind is not None else super().get_bind(mapper, clause, bind, **kwargs)


@pytest.fixture
def app(database: str, tmp_path: Path) -> Iterator[Flask]:
    """The app on the shared database; everything a test writes is rolled back afterwards (savepoints)."""
    application = make_app(database, tmp_path)
    # The fixture keeps an app context open for the test's own queries, and Flask reuses an open context
    # for requests; in production every request has a fresh ``g`` (Flask-Babel caches the locale there,
    # Flask-WTF the CSRF token), so give each test request a fresh one too.
    application.url_value_preprocessor(lambda endpoint, values: g.__dict__.clear())
    with application.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
                "class_": _ConnectionBoundSession,
            }
        )
        try:
            yield application
        finally:
            db.session.remove()
            db.session = original
            transaction.rollback()
            connection.close()
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def committed_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of the same backend as ``database`` with real commits, for tests with several threads."""
    name = re.sub(r"\W", "_", request.node.name)[:30].lower()
    url = fresh_database(backend, tmp_path, name)
    yield url
    if backend == "postgresql":
        drop_postgres_schema(f"test_{_worker()}_{name}")


@pytest.fixture(scope="session")
def mini() -> Questionnaire:
    """The small questionnaire of :mod:`tests.apptools` that exercises every item type and the skip logic."""
    return Questionnaire.from_dict(MINI)


@pytest.fixture
def survey(app: Flask, mini: Questionnaire) -> Survey:
    """A campaign of :func:`mini` for the internal group, with units, ready to issue invitations."""
    return build_survey(app, {"internal": mini})
