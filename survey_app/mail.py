"""Sending e-mail over SMTP (``SMTP_*`` and ``MAIL_FROM`` settings): one connection reused for a batch,
retries of transient failures, and a throttle.

A recipient the server refuses for good (a 5xx answer) fails at once; a 4xx answer or a dropped connection
is retried up to :data:`ATTEMPTS` times with a growing pause. The failure reason given back never contains
the recipient's address (it goes to the delivery log, which holds no contact data).
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

#: Attempts per message (the first and the retries).
ATTEMPTS = 3
#: Pause before the first retry, doubled for each further one (seconds).
BACKOFF = 0.2
#: At most this many messages per second to the server (a shared relay must not be flooded).
MAX_PER_SECOND = 200.0

_ADDRESS = re.compile(r"[^\s<>\"']+@[^\s<>\"']+")


@dataclass(frozen=True)
class Outcome:
    sent: bool
    attempts: int
    reason: str = ""


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _reason(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        text = "; ".join(f"{code} {_text(msg)}" for code, msg in error.recipients.values())
    elif isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {_text(error.smtp_error)}"
    else:
        text = f"{type(error).__name__}: {error}"
    return _ADDRESS.sub("<recipient>", text)[:500]


def _permanent(error: BaseException) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


class Mailer:
    """A connection to the configured SMTP server, opened on first use (a context manager)."""

    def __init__(self, config: Any) -> None:
        host = str(config.get("SMTP_HOST") or "")
        if not host:
            raise RuntimeError("SMTP_HOST is not set: the system sends no e-mail")
        self.host = host
        self.port = int(config.get("SMTP_PORT") or 587)
        self.user = str(config.get("SMTP_USER") or "")
        self.password = str(config.get("SMTP_PASSWORD") or "")
        self.starttls = bool(config.get("SMTP_STARTTLS"))
        self.sender = str(config["MAIL_FROM"])
        self._smtp: smtplib.SMTP | None = None
        self._last = 0.0

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._smtp = None

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            smtp = smtplib.SMTP(self.host, self.port, timeout=30)
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password)
            self._smtp = smtp
        return self._smtp

    def _throttle(self) -> None:
        wait = self._last + 1.0 / MAX_PER_SECOND - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()

    def send(self, to: str, subject: str, body: str) -> Outcome:
        """Send one plain-text message to ``to``, with retries; never raises for a delivery problem."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        error: BaseException | None = None
        for attempt in range(1, ATTEMPTS + 1):
            self._throttle()
            try:
                self._connection().send_message(message)
                return Outcome(True, attempt)
            except (smtplib.SMTPException, OSError) as caught:
                error = caught
                if isinstance(caught, smtplib.SMTPServerDisconnected | OSError) and not isinstance(
                    caught, smtplib.SMTPResponseException
                ):
                    self._smtp = None  # reconnect on the next attempt
                else:
                    try:
                        self._connection().rset()
                    except (smtplib.SMTPException, OSError):
                        self._smtp = None
                if _permanent(caught):
                    return Outcome(False, attempt, _reason(caught))
            if attempt < ATTEMPTS:
                time.sleep(BACKOFF * 2 ** (attempt - 1))
        assert error is not None
        return Outcome(False, ATTEMPTS, _reason(error))
