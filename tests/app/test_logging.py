"""Tokens and client addresses never reach the logs, on a real server on a port."""

from __future__ import annotations

import logging
import threading

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from survey_app.security import redact
from tests.apptools import Survey


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
