"""Running the deployment of ``deploy/`` for real: certificates, app servers from the systemd unit, a
database of the tests' own, a respondent and an administrator in Chromium.

The app servers are started with the very ``ExecStart`` of ``deploy/systemd/integrity-survey@.service``
(paths moved into the test's directory), so the unit and ``deploy/gunicorn.conf.py`` are what is tested.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from questionnaires.model import Questionnaire
from survey_app.extensions import db
from tests.admin.admintools import PASSWORD, make_user
from tests.apptools import MINI, build_survey
from tests.browser.test_respondent_browser import _finish, _submit
from tests.conftest import TEST_SECRETS, make_app, migrate, postgres_schema_url

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
APP_UNIT = DEPLOY / "systemd" / "integrity-survey@.service"
ADMIN_EMAIL = "admin@example.org"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, made with openssl; (certificate, key)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed (apt-get install openssl): no certificate for the TLS test")
    certificate, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            *(
                openssl,
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=127.0.0.1",
            ),
            *("-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
            *("-keyout", str(key), "-out", str(certificate)),
        ],
        check=True,
        capture_output=True,
    )
    return certificate, key


def unit_exec_start(unit: Path) -> list[str]:
    """The ``ExecStart`` command of a systemd unit file, split into words."""
    text = unit.read_text(encoding="utf-8").replace("\\\n", " ")
    found = re.search(r"^ExecStart=(.+)$", text, re.M)
    assert found, f"{unit} has no ExecStart"
    return shlex.split(found.group(1))


def app_server_command(port: int, runtime: Path) -> list[str]:
    """The unit's gunicorn command for instance ``port``, with the venv's gunicorn and the test's paths."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    if not gunicorn.exists():
        pytest.skip("gunicorn is not installed in this environment")
    runtime.mkdir(parents=True, exist_ok=True)
    moved = {
        "/srv/integrity-survey/.venv/bin/gunicorn": str(gunicorn),
        "/srv/integrity-survey/deploy/": f"{DEPLOY}/",
        "/run/integrity-survey-%i/": f"{runtime}/",
        "%i": str(port),
    }
    words = []
    for word in unit_exec_start(APP_UNIT):
        for old, new in moved.items():
            word = word.replace(old, new)
        words.append(word)
    assert words[0] == str(gunicorn), f"the unit does not start the release's gunicorn: {words}"
    assert "--control-socket" in words, "each app server needs a control socket of its own"
    # Two cores shared with other work: one process per server is enough to test with.
    return [*words, "--workers", "1"]


def database_url(directory: Path, name: str) -> str:
    """A migrated database: a schema of its own on TEST_DATABASE_URL's PostgreSQL, else SQLite."""
    if os.environ.get("TEST_DATABASE_URL"):
        url = postgres_schema_url(f"deploy_{name}")
    else:
        url = f"sqlite:///{directory / (name + '.db')}"
    migrate(url, directory)
    return url


@dataclass
class Prepared:
    database_url: str
    tokens: list[str]


def prepare_survey(url: str, directory: Path, count: int = 3) -> Prepared:
    """An open campaign of the small questionnaire with ``count`` invitations, and an administrator."""
    app = make_app(url, directory)
    with app.app_context():
        survey = build_survey(app, {"internal": Questionnaire.from_dict(MINI)})
        tokens = survey.issue(count)
        make_user("admin", email=ADMIN_EMAIL)
        db.session.remove()
        db.engine.dispose()
    return Prepared(url, tokens)


def server_environment(url: str, **extra: str) -> dict[str, str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("GUNICORN", "FLASK"))
    }
    environment.update(
        {"PYTHONPATH": str(ROOT), "DATABASE_URL": url, "PREFERRED_URL_SCHEME": "https", **TEST_SECRETS}
    )
    environment.update(extra)
    return environment


@contextmanager
def running(
    command: list[str], environment: Mapping[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """``command`` as a child process (output into ``log``), terminated and waited for afterwards."""
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=dict(environment), stdout=output, stderr=output)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path, verify: Any = True) -> None:
    # The workers import the app first: seconds on a busy machine.
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            raise AssertionError(f"{process.args!r} exited with {process.returncode}:\n{log.read_text()}")
        try:
            requests.get(url, timeout=10, verify=verify, allow_redirects=False)
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def answer_in_browser(context: Any, link: str) -> None:
    """A respondent opens ``link``, consents, answers every page and reaches the thanks page."""
    page = context.new_page()
    page.goto(link)
    page.check("#consent")
    _submit(page)
    _finish(page, set())
    assert page.url.endswith("/thanks"), page.url
    page.close()


def log_in_in_browser(context: Any, base: str) -> None:
    """The administrator logs into the console and sees the campaign."""
    page = context.new_page()
    page.goto(f"{base}/admin/login?lang=en")
    page.fill("#email", ADMIN_EMAIL)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("form.admin-form button[type=submit]")
    assert page.url == f"{base}/admin/", page.content()[:2000]
    assert "SPI Kota Uji" in page.inner_text("main")
    page.close()
