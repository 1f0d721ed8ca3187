"""Tokens and client addresses never reach the logs, on a real server on a port."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from questionnaires.model import Questionnaire
from survey_app.extensions import db
from survey_app.security import redact
from tests.apptools import Survey, build_survey
from tests.conftest import TEST_SECRETS, make_app
from tests.deploy.servers import app_server_command, free_port

ROOT = Path(__file__).resolve().parents[2]


def test_werkzeug_request_log_is_redacted(
    app: Flask, survey: Survey, caplog: pytest.LogCaptureFixture
) -> None:
    token = survey.token()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            reply = requests.get(f"http://127.0.0.1:{server.server_port}/r/{token}", timeout=10)
            assert reply.status_code == 200
            requests.get(f"http://127.0.0.1:{server.server_port}/r/{token}/p/s1", timeout=10)
    finally:
        server.shutdown()
        thread.join(5)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "werkzeug")
    assert "/r/[redacted]" in logged
    assert token not in logged
    assert "127.0.0.1 - -" not in logged


def test_application_error_log_is_redacted(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        app.logger.error("Exception on /r/%s [POST]", "SecretToken1234567890ab")
    assert "SecretToken1234567890ab" not in caplog.text
    assert "/r/[redacted]" in caplog.text


def test_gunicorn_access_log_is_redacted(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    # gunicorn logs its access_log_format with a dict of atoms; the default format starts with %(h)s.
    atoms = {
        "h": "203.0.113.9",
        "t": "[28/Nov/2026:10:00:00 +0700]",
        "r": "GET /r/SecretToken1234567890ab HTTP/1.1",
    }
    with caplog.at_level(logging.INFO, logger="gunicorn.access"):
        logging.getLogger("gunicorn.access").info('%(h)s - - %(t)s "%(r)s"', atoms)
    assert "SecretToken1234567890ab" not in caplog.text
    assert "203.0.113.9" not in caplog.text


def test_redact_keeps_other_paths() -> None:
    assert redact('"GET /c/demo/external HTTP/1.1" 200') == '"GET /c/demo/external HTTP/1.1" 200'


_TIME_OF_DAY = re.compile(r"\d{2}:\d{2}:\d{2}")


def test_respondent_lines_carry_the_day_only(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    # werkzeug's request line and Flask's "Exception on …" record, both about a respondent page.
    with caplog.at_level(logging.INFO):
        logging.getLogger("werkzeug").info(
            '127.0.0.1 - - [01/Dec/2026 10:17:42] "POST /r/SecretToken1234567890ab/p/s2 HTTP/1.1" 303 -'
        )
        app.logger.error("Exception on /c/demo/external/DPMPTSP [POST]")
        app.logger.error("Exception on /admin/ [GET]")
    werkzeug_line, respondent_error, console_error = caplog.records[-3:]
    assert werkzeug_line.getMessage() == '[client] - - [01/Dec/2026] "POST /r/[redacted]/p/s2 HTTP/1.1" 303 -'
    # The formatter's time of a respondent record is the start of its day; other records keep theirs.
    assert respondent_error.created % 86400 == 0
    assert console_error.created % 86400 != 0 or console_error.msecs != 0


def test_deployed_gunicorn_access_log_holds_no_time_address_agent_or_token(
    committed_database: str, tmp_path: Path, mini: Questionnaire
) -> None:
    """The app server of deploy/systemd (its gunicorn command and deploy/gunicorn.conf.py), for real, with
    gunicorn's access log turned on: it cannot be matched with the stored times to complete (no time, no
    address, no user agent, no token)."""
    app = make_app(committed_database, tmp_path)
    with app.app_context():
        token = build_survey(app, {"internal": mini}).token()
        db.session.remove()
        db.engine.dispose()
    access_log = tmp_path / "access.log"
    port = free_port()
    arguments = [
        *app_server_command(port, tmp_path / "run"),
        "--access-logfile",
        str(access_log),
        "--error-logfile",
        str(tmp_path / "error.log"),
    ]
    environment = {
        **os.environ,
        "DATABASE_URL": committed_database,
        **TEST_SECRETS,
        # Production's checks are the config tests' business; this one reads the log over plain HTTP.
        "SURVEY_ENV": "development",
    }
    server = subprocess.Popen(arguments, cwd=ROOT, env=environment)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60  # workers import the app first: seconds on a busy machine
        while True:
            try:
                requests.get(f"{base}/admin/login", timeout=10)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        agent = {"User-Agent": "Mozilla/5.0 (Respondent Phone) TestAgent/1.0"}
        assert requests.get(f"{base}/r/{token}", headers=agent, timeout=10).status_code == 200
        requests.get(f"{base}/r/{token}/p/s1", headers=agent, timeout=10)
    finally:
        server.terminate()
        server.wait(60)
    logged = access_log.read_text()
    assert "/r/[redacted]" in logged
    assert token not in logged
    assert "127.0.0.1" not in logged
    assert "TestAgent" not in logged
    assert not _TIME_OF_DAY.search(logged)
