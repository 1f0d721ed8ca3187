"""The app's log: one line per event, as text or JSON (``LOG_FORMAT``), each with the request's id.

Every request gets an id (``X-Request-ID``: the proxy's where a trusted proxy sends one, else a new random
one), returned in the response header and shown on the 500 page, so a respondent's report "Kode kejadian
3f9a…" finds its log line. The id is random and kept nowhere else, so it links a log line to nothing but the
error page. Whatever a formatter writes, the traceback included, passes through
:func:`survey_app.security.redact` last, so a token inside an exception message is removed as well.
"""

from __future__ import annotations

import logging
import re
import secrets
import sys

from flask import Flask, Response, current_app, g, has_request_context, request
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter

from survey_app.security import redact

REQUEST_ID_HEADER = "X-Request-ID"
#: What a proxy may send as the request id (nginx's ``$request_id`` is 32 hex digits).
_PROXY_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
TEXT_FORMAT = "[%(asctime)s] %(levelname)s %(name)s [%(request_id)s]: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"


def request_id() -> str:
    """The current request's id, or ``-`` outside a request."""
    if not has_request_context():
        return "-"
    if "request_id" not in g:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        trusted = bool(current_app.config.get("TRUSTED_PROXY_COUNT"))
        g.request_id = offered if trusted and _PROXY_ID.match(offered) else secrets.token_hex(8)
    return str(g.request_id)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id()
        return True


class RedactingTextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class RedactingJsonFormatter(JsonFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return RedactingJsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level", "asctime": "time"})
    return RedactingTextFormatter(TEXT_FORMAT)


_REQUEST_ID_FILTER = RequestIdFilter()


def init_logging(app: Flask) -> None:
    """Format the app's log (Flask's stderr handler) and stamp every record with the request id."""
    default_handler.setFormatter(formatter(str(app.config.get("LOG_FORMAT", "text"))))
    if _REQUEST_ID_FILTER not in default_handler.filters:
        default_handler.addFilter(_REQUEST_ID_FILTER)
    # Flask adds its handler only when nothing above handles the level; add it ourselves so the format
    # applies under gunicorn too (its loggers are separate and keep their own format).
    if default_handler not in app.logger.handlers:
        app.logger.addHandler(default_handler)
    if not app.debug:
        app.logger.setLevel(logging.INFO)
    app.after_request(_send_request_id)


def _send_request_id(response: Response) -> Response:
    response.headers.setdefault(REQUEST_ID_HEADER, request_id())
    return response


def log_unexpected(error: BaseException) -> str:
    """Log ``error`` once, with its traceback and the request id; returns the id for the error page."""
    rid = request_id()
    current_app.logger.error(
        "unhandled %s on %s %s",
        type(error).__name__,
        request.method,
        request.path,
        exc_info=(type(error), error, error.__traceback__),
        extra={"request_id": rid},
    )
    return rid


def worker_logging(log_format: str) -> None:
    """The worker process's log: the same format on stderr for the root logger."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(_REQUEST_ID_FILTER)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
