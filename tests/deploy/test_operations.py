"""``deploy/scripts``: backup → restore (createdb into a new database) → upgrade → rollback, for real, on
TEST_DATABASE_URL's PostgreSQL server.

The release is a git clone of this checkout: the "previous release" is the last commit before migration 0005,
the upgrade goes to the clone's HEAD. The app's CLI runs from the clone (``python -m flask`` with the clone on
``PYTHONPATH``), so each release migrates with its own code; installing (pip) is left out, since the tests
share one environment. The test's databases are named after TEST_DATABASE_URL's (``<name>_ops...``) and
dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import TEST_SECRETS
from tests.deploy.servers import DEPLOY, ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SCRIPTS = DEPLOY / "scripts"
#: The migration the upgrade brings; the previous release is the commit before the one that added it.
NEW_MIGRATION = "survey_app/migrations/versions/0005_draft_resume_codes.py"
#: The schema the upgrade reaches: the newest migration of this checkout.
HEAD_REVISION = sorted(
    (Path(__file__).resolve().parents[2] / "survey_app/migrations/versions").glob("[0-9]*.py")
)[-1].name[:4]


def _server_url() -> sa.URL:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url:
        pytest.skip("the operations scripts need PostgreSQL: set TEST_DATABASE_URL")
    for tool in ("pg_dump", "pg_restore", "createdb", "dropdb", "psql", "git"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt-get install postgresql-client git)")
    return sa.make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))


def _admin(url: sa.URL, statement: str) -> list[str]:
    engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        result = connection.exec_driver_sql(statement)
        rows = [str(r[0]) for r in result] if result.returns_rows else []
    engine.dispose()
    return rows


def _scalar(url: sa.URL, query: str) -> object:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        value = connection.scalar(sa.text(query))
    engine.dispose()
    return value


@pytest.fixture
def source(tmp_path: Path) -> Iterator[sa.URL]:
    """A new, empty database ``<name>_ops`` on the test server; it and every ``<name>_ops…`` dropped after."""
    server = _server_url()
    name = f"{server.database}_ops"
    drop = f"SELECT datname FROM pg_database WHERE starts_with(datname, '{name}')"

    def cleanup() -> None:
        for database in _admin(server, drop):
            _admin(server, f'DROP DATABASE "{database}" WITH (FORCE)')

    cleanup()
    _admin(server, f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name)
    finally:
        cleanup()


def _run(
    script: str, *args: str, env: dict[str, str], check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(SCRIPTS / script), *args], env=env, capture_output=True, text=True, check=False, timeout=300
    )
    if check:
        assert done.returncode == 0, f"{script} {args} failed:\n{done.stdout}\n{done.stderr}"
    return done


def _git(app_dir: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(app_dir), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_backup_restore_upgrade_rollback(source: sa.URL, tmp_path: Path) -> None:
    app_dir = tmp_path / "release"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(app_dir)], check=True)
    new_release = _git(app_dir, "rev-parse", "HEAD")
    added = _git(app_dir, "log", "--diff-filter=A", "--format=%H", "--", NEW_MIGRATION).splitlines()
    previous = _git(app_dir, "rev-parse", f"{added[-1]}^")
    _git(app_dir, "-c", "advice.detachedHead=false", "checkout", "--quiet", previous)

    url = source.render_as_string(hide_password=False)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("FLASK", "PG"))},
        **TEST_SECRETS,
        "ENV_FILE": str(tmp_path / "no-env-file"),
        "DATABASE_URL": url,
        "APP_DIR": str(app_dir),
        "BACKUP_DIR": str(tmp_path / "backups"),
        "SERVICES": "",
        "FLASK": f"{sys.executable} -m flask --app survey_app",
        "INSTALL": "true",
        "PYTHONPATH": str(app_dir),
    }

    def flask(*args: str, stdin: str = "") -> str:
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "survey_app", *args],
            cwd=app_dir, env=env, input=stdin, capture_output=True, text=True, check=False, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, f"flask {args}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    # The previous release, in service: its schema and some data.
    flask("db", "upgrade")
    flask("questionnaire", "load")
    flask("users", "create", "--email", "admin@example.org", "--role", "admin", "--password-stdin",
          stdin="a long enough password\n")  # fmt: skip
    versions = _scalar(source, "SELECT count(*) FROM questionnaire_versions")
    assert versions
    assert _scalar(source, "SELECT version_num FROM alembic_version") == "0004"

    # Backup, then restore into a new database (createdb; a second restore into it is refused).
    dump = _run("backup.sh", env=env).stdout.strip()
    assert Path(dump).stat().st_size > 0
    assert oct(Path(dump).stat().st_mode & 0o777) == "0o600"
    restored = f"{source.database}_restore"
    _run("restore.sh", dump, restored, env=env)
    copy = source.set(database=restored)
    assert _scalar(copy, "SELECT count(*) FROM questionnaire_versions") == versions
    assert _scalar(copy, "SELECT email FROM users") == "admin@example.org"
    again = _run("restore.sh", dump, restored, env=env, check=False)
    assert again.returncode != 0
    assert "already exists" in again.stderr

    # Upgrade: backup first, the new release, its migration.
    upgraded = _run("upgrade.sh", new_release, env=env).stdout
    assert _git(app_dir, "rev-parse", "HEAD") == new_release
    assert _scalar(source, "SELECT version_num FROM alembic_version") == HEAD_REVISION
    assert _scalar(source, "SELECT count(*) FROM questionnaire_versions") == versions
    before = next(Path(env["BACKUP_DIR"]).glob("before-upgrade-*.dump"))
    assert f"rollback.sh {before}" in upgraded
    notes = before.with_suffix(".release").read_text()
    assert f"release={previous}" in notes
    assert "schema=0004" in notes
    # Work done on the new release: lost by the rollback (kept in the upgraded database only).
    flask("users", "create", "--email", "late@example.org", "--role", "admin", "--password-stdin",
          stdin="another long password\n")  # fmt: skip

    # Rollback: the release and the database of before the upgrade.
    rolled = _run("rollback.sh", str(before), env=env).stdout
    assert _git(app_dir, "rev-parse", "HEAD") == previous
    assert _scalar(source, "SELECT version_num FROM alembic_version") == "0004"
    assert _scalar(source, "SELECT count(*) FROM questionnaire_versions") == versions
    assert _scalar(source, "SELECT count(*) FROM users") == 1
    kept = rolled.rsplit("kept as ", 1)[1].strip()
    assert _scalar(source.set(database=kept), "SELECT count(*) FROM users") == 2
    assert "0004 (head)" in flask("db", "current")
