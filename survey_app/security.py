"""Response headers and log redaction.

Invitation tokens travel in URLs (``/r/<token>``), so they must not leak through logs or the ``Referer``
header; client addresses must not be logged either (the rate limiter keeps them in memory only).
"""

from __future__ import annotations

import logging
import re

from flask import Flask, Response

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)

_TOKEN_PATH = re.compile(r"/r/[^/\s?\"]+")
_ADDRESS = re.compile(r"^\S+ - - \[")


def redact(text: str) -> str:
    """``text`` with invitation tokens in paths replaced by ``[redacted]``.

    >>> redact('127.0.0.1 - - [01/Jan/2025 10:00:00] "GET /r/abcDEF123_-xyz456789/p/2 HTTP/1.1" 200 -')
    '[client] - - [01/Jan/2025 10:00:00] "GET /r/[redacted]/p/2 HTTP/1.1" 200 -'
    """
    text = _TOKEN_PATH.sub("/r/[redacted]", text)
    return _ADDRESS.sub("[client] - - [", text)


class RedactingFilter(logging.Filter):
    """Passes each record's message through :func:`redact` (werkzeug logs path and address)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = ()
        return True


_FILTER = RedactingFilter()


def install_log_redaction(app: Flask) -> None:
    # A filter on a logger only sees records logged on that very logger, so each one that prints request
    # paths gets it: werkzeug's request log, Flask's "Exception on /r/... [POST]", gunicorn's logs (its
    # default access-log format starts with the client address, which is replaced as well).
    loggers = ("werkzeug", "gunicorn.error", "gunicorn.access")
    for logger in (*(logging.getLogger(name) for name in loggers), app.logger):
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if response.mimetype == "text/html":
        # Pages carry tokens and answers: never keep them in a shared cache.
        headers.setdefault("Cache-Control", "no-store")
    return response
