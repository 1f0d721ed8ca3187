"""Sending WhatsApp/SMS messages through a provider's HTTP gateway (``SMS_GATEWAY_*`` settings): one JSON
``POST`` per message, retries of transient failures, and a throttle. ``docs/delivery.md`` is the interface a
provider (or a small adapter in front of one) implements.

A ``2xx`` answer means the gateway accepted the message. Any other ``4xx`` is the gateway refusing this
message for good (a bad number, a bad request, a wrong token): it fails at once. A ``5xx``, a ``429``
(slow down), a timeout or a connection error is retried up to :data:`ATTEMPTS` times with a growing pause.
The failure reason given back never contains the number (it goes to the delivery log, which holds no
contact data), nor the message (which holds the survey link).
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from survey_app.mail import Outcome

#: Attempts per message (the first and the retries).
ATTEMPTS = 3
#: Pause before the first retry, doubled for each further one (seconds).
BACKOFF = 0.2
#: At most this many messages per second to the gateway (providers limit their callers).
MAX_PER_SECOND = 50.0
#: Seconds to wait for the gateway's answer.
TIMEOUT = 10.0

_PHONE = re.compile(r"\+?\d(?:[\s().-]?\d){7,}")

__all__ = ["ATTEMPTS", "Gateway", "Outcome"]


@dataclass(frozen=True)
class _Answer:
    status: int
    reason: str


def _clean(text: str, to: str) -> str:
    return _PHONE.sub("<recipient>", text.replace(to, "<recipient>")).replace("\n", " ")[:300]


class Gateway:
    """The configured gateway: ``SMS_GATEWAY_URL``, ``SMS_GATEWAY_TOKEN`` (sent as a Bearer token),
    ``SMS_GATEWAY_CHANNEL`` (``whatsapp`` or ``sms``), ``SMS_GATEWAY_TIMEOUT``; ``callback_url`` is where
    the gateway reports later statuses (empty: nowhere)."""

    def __init__(self, config: Any, callback_url: str = "") -> None:
        url = str(config.get("SMS_GATEWAY_URL") or "")
        if not url:
            raise RuntimeError("SMS_GATEWAY_URL is not set: the system sends no WhatsApp or SMS message")
        if not url.startswith(("http://", "https://")):
            raise RuntimeError(f"SMS_GATEWAY_URL={url!r} is not an http or https address")
        self.url = url
        self.token = str(config.get("SMS_GATEWAY_TOKEN") or "")
        self.channel = str(config.get("SMS_GATEWAY_CHANNEL") or "whatsapp")
        self.callback_url = callback_url
        self.timeout = float(config.get("SMS_GATEWAY_TIMEOUT") or TIMEOUT)
        self._last = 0.0

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def _throttle(self) -> None:
        wait = self._last + 1.0 / MAX_PER_SECOND - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()

    def _post(self, payload: bytes, to: str) -> _Answer:
        request = urllib.request.Request(self.url, data=payload, method="POST")  # noqa: S310 - http(s) only, checked above
        request.add_header("Content-Type", "application/json; charset=utf-8")
        request.add_header("Accept", "application/json")
        request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 - http(s) only
                answer.read(65536)
                return _Answer(answer.status, "")
        except urllib.error.HTTPError as error:
            detail = ""
            try:
                body = json.loads(error.read(65536) or b"{}")
                if isinstance(body, dict):
                    detail = str(body.get("error") or "")
            except (ValueError, OSError):
                pass
            reason = f"HTTP {error.code}" + (f": {_clean(detail, to)}" if detail else "")
            return _Answer(error.code, reason)
        except TimeoutError:
            return _Answer(0, "timeout")
        except urllib.error.URLError as error:
            return _Answer(0, _clean(f"connection failed: {error.reason}", to))
        except OSError as error:
            return _Answer(0, _clean(f"connection failed: {type(error).__name__}", to))

    def send(self, to: str, text: str, reference: str) -> Outcome:
        """Send ``text`` to the phone number ``to`` with our ``reference`` (which the gateway's status
        report names), with retries; never raises for a delivery problem."""
        message: dict[str, str] = {
            "to": to,
            "channel": self.channel,
            "text": text,
            "reference": reference,
        }
        if self.callback_url:
            message["callback_url"] = self.callback_url
        payload = json.dumps(message, ensure_ascii=False).encode("utf-8")
        reason = ""
        for attempt in range(1, ATTEMPTS + 1):
            self._throttle()
            answer = self._post(payload, to)
            if 200 <= answer.status < 300:
                return Outcome(True, attempt)
            reason = answer.reason
            if 400 <= answer.status < 500 and answer.status != 429:
                return Outcome(False, attempt, reason)
            if attempt < ATTEMPTS:
                time.sleep(BACKOFF * 2 ** (attempt - 1))
        return Outcome(False, ATTEMPTS, reason)
