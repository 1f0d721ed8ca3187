"""Response headers and log redaction.

Invitation tokens travel in URLs (``/r/<token>``), so they must not leak through logs or the ``Referer``
header; client addresses must not be logged either (the rate limiter keeps them in memory only).

Respondent pages are ``Referrer-Policy: no-referrer``: not even the app's own stylesheet request carries the
token in a ``Referer`` (a proxy or load balancer that logs referrers would write it down). The console's pages
are ``same-origin``: no referrer leaves the site, and browsers name the real origin on its POSTs, which
:mod:`survey_app.csrf` checks.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import logging
import re
import time

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def style_hash(css: str) -> str:
    """The CSP source that allows exactly one inline ``<style>`` whose content is ``css``.

    >>> style_hash("p { color: red; }")
    "'sha256-pckGv9YvNcB5xy+Y4fbqhyo+ib850wyiuWeNbZvLi00='"
    """
    digest = hashlib.sha256(css.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def policy_with_style(css: str) -> str:
    """:data:`CONTENT_SECURITY_POLICY` that also allows one inline stylesheet, by its hash (not
    ``'unsafe-inline'``: an injected ``<style>`` or ``style=`` attribute stays blocked)."""
    return CONTENT_SECURITY_POLICY.replace("style-src 'self'", f"style-src 'self' {style_hash(css)}")


#: Paths of the pages respondents see (invitation links, open links, the thanks page).
RESPONDENT_PREFIXES = ("/r/", "/c/", "/o/", "/thanks")

_TOKEN_PATH = re.compile(r"/([ro])/[^/\s?\"]+")
_ADDRESS = re.compile(r"^\S+ - - \[")
#: A load balancer's health checks: polled every few seconds, never worth a line.
_HEALTH_REQUEST = re.compile(r"\"(?:GET|HEAD) /(?:healthz|readyz)[ ?]")
#: A respondent page: an invitation link or an open link.
_RESPONDENT_PATH = re.compile(r"(?:^|[\s\"])/[rco]/")
#: werkzeug's ``[01/Jan/2025 10:00:00]`` and gunicorn's ``[01/Jan/2025:10:00:00 +0700]``.
_CLOCK = re.compile(r"\[(\d{2}/\w{3}/\d{4})[ :]\d{2}:\d{2}:\d{2}(?: [+-]\d{4})?\]")


def redact(text: str) -> str:
    """``text`` with invitation tokens in paths replaced by ``[redacted]``, the client address by
    ``[client]`` and, on a line about a respondent page, the time of day dropped from its date.

    >>> redact('127.0.0.1 - - [01/Jan/2025 10:00:00] "GET /r/abcDEF123_-xyz456789/p/2 HTTP/1.1" 200 -')
    '[client] - - [01/Jan/2025] "GET /r/[redacted]/p/2 HTTP/1.1" 200 -'
    >>> redact('127.0.0.1 - - [01/Jan/2025 10:00:00] "POST /o/Zm9vYmFyYmF6cXV4cXV1eA HTTP/1.1" 200 -')
    '[client] - - [01/Jan/2025] "POST /o/[redacted] HTTP/1.1" 200 -'
    >>> redact('127.0.0.1 - - [01/Jan/2025 10:00:00] "GET /admin/ HTTP/1.1" 200 -')
    '[client] - - [01/Jan/2025 10:00:00] "GET /admin/ HTTP/1.1" 200 -'
    """
    if _RESPONDENT_PATH.search(text):
        text = _CLOCK.sub(r"[\1]", _TOKEN_PATH.sub(r"/\1/[redacted]", text))
    return _ADDRESS.sub("[client] - - [", text)


class RedactingFilter(logging.Filter):
    """Passes each record's message through :func:`redact` (werkzeug logs path and address).

    A record about a respondent page also gets the start of its day as its time, so the formatter's
    ``%(asctime)s`` (gunicorn's error log, Flask's "Exception on /r/…") shows no time of day: with the
    stored time to complete, the moments of a respondent's requests would tell which response is theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _HEALTH_REQUEST.search(message):
            return False
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = ()
        if _RESPONDENT_PATH.search(cleaned):
            day = time.gmtime(record.created)
            record.created = float(calendar.timegm((day.tm_year, day.tm_mon, day.tm_mday, 0, 0, 0)))
            record.msecs = 0.0
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


def referrer_policy(path: str) -> str:
    """``no-referrer`` on the respondent paths, ``same-origin`` elsewhere.

    >>> referrer_policy("/r/abc/p/s1"), referrer_policy("/admin/login")
    ('no-referrer', 'same-origin')
    """
    return "no-referrer" if path.startswith(RESPONDENT_PREFIXES) else "same-origin"


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", referrer_policy(request.path))
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.endpoint != "static":
        # Pages carry tokens and answers, downloads carry results and rows: no cache may keep any of them.
        # Only the style sheets, scripts and images under /static are cacheable.
        headers.setdefault("Cache-Control", "no-store")
    return response
