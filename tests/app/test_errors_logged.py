"""Every unexpected exception is logged once, with the request id that the error page shows; as JSON lines
with ``LOG_FORMAT=json``; on a respondent path without the token and without the time of day. And the
health endpoints a load balancer polls."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from flask import Flask

from survey_app import create_app
from tests.conftest import TEST_SECRETS

#: A PostgreSQL that does not answer: nothing listens on port 1.
DEAD_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2"


def _production_like(tmp_path: Path, **settings: object) -> Flask:
    # Not TESTING: the catch-all error page (and its logging) is only installed outside tests.
    return create_app(
        {
            "INSTANCE_PATH": tmp_path,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
            **TEST_SECRETS,
            **settings,
        }
    )


def _boom() -> str:
    raise RuntimeError("something broke")


def test_a_500_is_logged_once_with_the_request_id_shown_on_the_page(tmp_path: Path) -> None:
    app = _production_like(tmp_path)
    app.add_url_rule("/boom", view_func=_boom)
    log = io.StringIO()
    reply = app.test_client().get("/boom", errors_stream=log)
    assert reply.status_code == 500
    request_id = reply.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}", request_id)
    assert request_id in reply.get_data(as_text=True)
    assert "Traceback" not in reply.get_data(as_text=True)
    text = log.getvalue()
    assert text.count("unhandled RuntimeError on GET /boom") == 1
    assert f"[{request_id}]" in text
    assert "Traceback (most recent call last)" in text  # the traceback is in the log, not on the page


def test_json_lines_when_asked(tmp_path: Path) -> None:
    app = _production_like(tmp_path, LOG_FORMAT="json")
    app.add_url_rule("/boom", view_func=_boom)
    log = io.StringIO()
    reply = app.test_client().get("/boom", errors_stream=log)
    lines = [json.loads(line) for line in log.getvalue().splitlines()]
    (record,) = [r for r in lines if r["level"] == "ERROR"]
    assert record["request_id"] == reply.headers["X-Request-ID"]
    assert record["message"] == "unhandled RuntimeError on GET /boom"
    assert "RuntimeError: something broke" in record["exc_info"]


def test_a_database_outage_on_a_respondent_page_is_logged_without_token_or_time(tmp_path: Path) -> None:
    app = _production_like(tmp_path, SQLALCHEMY_DATABASE_URI=DEAD_DATABASE, LOG_FORMAT="json")
    token = "Tok3nThatMustNotLeak_0123456789abcdef"
    log = io.StringIO()
    reply = app.test_client().get(f"/r/{token}", errors_stream=log)
    assert reply.status_code == 500
    assert reply.headers["X-Request-ID"] in reply.get_data(as_text=True)
    text = log.getvalue()
    assert token not in text
    (record,) = [json.loads(line) for line in text.splitlines() if '"ERROR"' in line]
    assert record["message"] == "unhandled OperationalError on GET /r/[redacted]"
    assert record["time"].endswith("00:00:00,000"), record["time"]


def test_healthz_and_readyz(tmp_path: Path) -> None:
    client = _production_like(tmp_path).test_client()
    assert client.get("/healthz").get_json() == {"status": "alive"}
    assert client.get("/readyz").get_json() == {"status": "ready"}
    assert client.get("/readyz").headers["Cache-Control"] == "no-store"


def test_readyz_names_what_is_down(tmp_path: Path) -> None:
    app = _production_like(
        tmp_path, SQLALCHEMY_DATABASE_URI=DEAD_DATABASE, REDIS_URL="redis://127.0.0.1:1/0", JOB_QUEUE="thread"
    )
    client = app.test_client()
    assert client.get("/healthz").status_code == 200  # the process itself is alive
    reply = client.get("/readyz")
    assert reply.status_code == 503
    assert reply.get_json() == {
        "status": "not ready",
        "problems": ["database: OperationalError", "redis: ConnectionError"],
    }


def test_health_checks_are_neither_rate_limited_nor_logged(tmp_path: Path) -> None:
    import logging

    from survey_app.security import RedactingFilter

    app = _production_like(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2/minute")
    client = app.test_client()
    assert [client.get("/healthz").status_code for _ in range(5)] == [200] * 5
    line = logging.LogRecord(
        "gunicorn.access", logging.INFO, "", 0, '"GET /readyz HTTP/1.1" 200 19', (), None
    )
    assert RedactingFilter().filter(line) is False
    other = logging.LogRecord(
        "gunicorn.access", logging.INFO, "", 0, '"GET /admin/ HTTP/1.1" 200 19', (), None
    )
    assert RedactingFilter().filter(other) is True


def test_downloads_and_console_pages_are_not_cached(tmp_path: Path) -> None:
    client = _production_like(tmp_path).test_client()
    assert client.get("/admin/login").headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/openapi.json").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/survey.css").headers.get("Cache-Control", "")


def test_console_moments_are_shown_in_the_survey_time_zone_and_labelled(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from survey_app.dates import local_time

    app = _production_like(tmp_path)
    with app.app_context():
        assert local_time(datetime(2026, 12, 1, 12, 0, tzinfo=UTC)) == "2026-12-01 19:00 WIB"
        app.config["SURVEY_TIMEZONE"] = "Asia/Makassar"
        assert (
            local_time(datetime(2026, 12, 1, 12, 0, 5, tzinfo=UTC), seconds=True)
            == "2026-12-01 20:00:05 WITA"
        )
