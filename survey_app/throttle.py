"""Login throttling that nobody can turn against someone else, kept in the rate limiter's store.

Wrong passwords are counted per account *and* client address: ``LOGIN_MAX_FAILURES`` of them from one
address within ``LOGIN_LOCK_MINUTES`` shut that address out of that account for the rest of the window,
while the account's owner at another address still logs in. The count lives in the limiter's storage
(memory, or Redis shared by every app server) where entries expire by themselves; client addresses are
never written to the database or a log. An administrator's "unlock" moves the account to a new generation
of keys, which forgets every address's count at once.

Logins fail closed: if the store does not answer, no password is checked (the page says to try later), since
an attacker could otherwise guess without limit while Redis is down. Respondent pages fail open
(``RATELIMIT_SWALLOW_ERRORS``): an answer is never refused because a counter is unavailable.
"""

from __future__ import annotations

from flask import current_app
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, RateLimitItemPerMinute

from survey_app.extensions import limiter
from survey_app.models import User


def _enabled() -> bool:
    # ``RATELIMIT_ENABLED = False`` (most tests) leaves the limiter without a store: nothing is counted.
    return bool(limiter.enabled)


def storage_available() -> bool:
    """Whether the limiter's store answers (a round trip on Redis; always true in memory)."""
    if not _enabled():
        return True
    try:
        return bool(limiter.storage.check())
    except Exception:  # the client raises what the connection gives; any of it means "not available"
        return False


def _item() -> RateLimitItem:
    return RateLimitItemPerMinute(
        int(current_app.config["LOGIN_MAX_FAILURES"]), int(current_app.config["LOGIN_LOCK_MINUTES"])
    )


def _key(user: User) -> str:
    return f"login-failures/{user.id}/{user.lockout_generation}/{get_remote_address()}"


def locked_out(user: User) -> bool:
    """Whether this client address has used up its wrong passwords for ``user``."""
    if not _enabled():
        return False
    return not limiter.limiter.test(_item(), _key(user))


def count_failure(user: User) -> bool:
    """Count a wrong password; whether this one locked the address out."""
    if not _enabled():
        return False
    limiter.limiter.hit(_item(), _key(user))
    return locked_out(user)


def forget_failures(user: User) -> None:
    """After a successful login, this address starts again from zero."""
    if not _enabled():
        return
    limiter.limiter.clear(_item(), _key(user))
