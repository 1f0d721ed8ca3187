"""Console accounts: password hashing, Flask-Login wiring, login throttling, roles, institution scope, audit.

Session expiry: the app's ``PERMANENT_SESSION_LIFETIME`` is a year because the open-access guard needs a
long-lived cookie, so console logins carry their own clock instead: the login time is kept in the session and
a login older than ``ADMIN_SESSION_LIFETIME`` (default 8 hours) is treated as logged out. The session cookie
itself is not permanent for console users unless the open-access guard made it so; "remember me" is not
offered.

Throttling has two layers: Flask-Limiter limits login POSTs per client address (``LOGIN_RATE_LIMIT``), and
each account locks for ``LOGIN_LOCK_MINUTES`` after ``LOGIN_MAX_FAILURES`` failed passwords in a row, so a
distributed guess at one account is slowed as well.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import Flask, abort, current_app, has_request_context, redirect, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import ROLES, AuditEntry, Campaign, Institution, User

P = ParamSpec("P")
R = TypeVar("R")

login_manager = LoginManager()
login_manager.login_view = "admin_auth.login"
# A console session must not survive a password change or deactivation; Flask-Login reloads the user each
# request, and "strong" protection drops the session when the client's fingerprint changes.
login_manager.session_protection = "strong"

_hasher = PasswordHasher()
_LOGIN_AT = "console_login_at"
MIN_PASSWORD_LENGTH = 12


class AccountError(ValueError):
    """Bad input for an account operation, with a message for the user."""


def init_accounts(app: Flask) -> None:
    app.config.setdefault("ADMIN_SESSION_LIFETIME", 8 * 3600)
    app.config.setdefault("LOGIN_RATE_LIMIT", "10/minute")
    app.config.setdefault("LOGIN_MAX_FAILURES", 5)
    app.config.setdefault("LOGIN_LOCK_MINUTES", 15)
    # Flask-Login's own context processor loads the user for every template, the respondent pages too, where
    # "strong" session protection then rewrites their session (no console identifier in it) and sends the
    # session cookie again plus a cleared remember cookie with every page. The proxy instead loads the user
    # only where a template reads it: the console's.
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(lambda: {"current_user": current_user})


def _as_utc(moment: datetime) -> datetime:
    # SQLite returns naive datetimes for timezone-aware columns; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    user_id = session_id.partition(":")[0]
    if not user_id.isdigit():
        return None
    login_at = session.get(_LOGIN_AT)
    lifetime = float(current_app.config["ADMIN_SESSION_LIFETIME"])
    if not isinstance(login_at, int | float) or datetime.now(UTC).timestamp() - login_at > lifetime:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.get_id() != session_id:
        return None
    return user


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or len(email) > 255:
        raise AccountError(f"{email!r} is not an e-mail address")
    return email


def create_user(email: str, password: str, role: str, institution_codes: list[str] | None = None) -> User:
    """A new active account; an admin without institutions sees all of them."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    email = normalise_email(email)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"an account for {email} exists already")
    institutions = []
    for code in institution_codes or []:
        institution = db.session.scalar(select(Institution).where(Institution.code == code))
        if institution is None:
            raise AccountError(f"no institution with code {code!r}")
        institutions.append(institution)
    if not institutions and role != "admin":
        raise AccountError(f"a {role} needs at least one institution (--institution CODE)")
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role,
        all_institutions=not institutions,
        institutions=institutions,
        active=True,
        failed_logins=0,
    )
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = datetime.now(UTC)
    user.failed_logins = 0
    user.locked_until = None


def check_password(user: User, password: str) -> bool:
    try:
        _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def authenticate(email: str, password: str) -> User | None:
    """The account if the password is right and the account is usable; counts failures and locks.

    Hashes a dummy password for unknown addresses so the response time does not reveal which exist.
    """
    now = datetime.now(UTC)
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        _hasher.hash("timing-equaliser")
        return None
    if user.locked_until is not None and _as_utc(user.locked_until) > now:
        return None
    if not check_password(user, password):
        user.failed_logins += 1
        if user.failed_logins >= int(current_app.config["LOGIN_MAX_FAILURES"]):
            user.locked_until = now + timedelta(minutes=int(current_app.config["LOGIN_LOCK_MINUTES"]))
            user.failed_logins = 0
            audit("login.locked", f"user:{user.id}", user=user)
        return None
    if not user.active:
        return None
    user.failed_logins = 0
    user.locked_until = None
    return user


def start_session(user: User) -> None:
    session[_LOGIN_AT] = datetime.now(UTC).timestamp()
    login_user(user, remember=False)


def end_session() -> None:
    logout_user()
    session.pop(_LOGIN_AT, None)


def audit(action: str, target: str = "", *, user: User | None = None, **details: Any) -> AuditEntry:
    """Record an action in the audit log (committed with the caller's transaction)."""
    actor = user
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    entry = AuditEntry(
        user_id=actor.id if actor is not None else None,
        user_email=actor.email if actor is not None else "system",
        action=action,
        target=target,
        details=details,
        at=datetime.now(UTC),
    )
    db.session.add(entry)
    return entry


def requires_role(*roles: str) -> Callable[[Callable[P, R]], Callable[P, Any]]:
    """Only logged-in users with one of ``roles`` or a more privileged one (``ROLES`` order: admin, analyst,
    viewer); anonymous users go to the login page, others get 403."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    least = max(ROLES.index(r) for r in roles)

    def decorate(view: Callable[P, R]) -> Callable[P, Any]:
        @functools.wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for("admin_auth.login", next=request.full_path.rstrip("?")))
            if ROLES.index(current_user.role) > least:
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorate


def scope_institution_ids(user: User) -> list[int] | None:
    """The institutions ``user`` may see, or ``None`` for all of them."""
    if user.all_institutions:
        return None
    return [i.id for i in user.institutions]


def institutions_in_scope(user: User) -> list[Institution]:
    query = select(Institution).order_by(Institution.code)
    ids = scope_institution_ids(user)
    if ids is not None:
        query = query.where(Institution.id.in_(ids))
    return list(db.session.scalars(query))


def campaigns_in_scope(user: User) -> list[Campaign]:
    query = select(Campaign).order_by(Campaign.opens_on.desc(), Campaign.slug)
    ids = scope_institution_ids(user)
    if ids is not None:
        query = query.where(Campaign.institution_id.in_(ids))
    return list(db.session.scalars(query))


def campaign_for(user: User, slug: str) -> Campaign:
    """The campaign ``slug`` if ``user`` may see it; 404 otherwise (out of scope looks like absent)."""
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        abort(404)
    ids = scope_institution_ids(user)
    if ids is not None and campaign.institution_id not in ids:
        abort(404)
    return campaign


# Account management in the console (survey_app/admin/users.py) ------------------------------------------


def generate_password() -> str:
    """A random password for a new account or a reset, shown once: 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)


def may_manage(admin: User, user: User) -> bool:
    """Whether ``admin`` may manage ``user``: admins of all institutions manage everyone; a scoped admin only
    accounts scoped to some of their own institutions (never an all-institutions account)."""
    if admin.all_institutions:
        return True
    if user.all_institutions or not user.institutions:
        return False
    own = {i.id for i in admin.institutions}
    return {i.id for i in user.institutions} <= own


def admins_left_without(user: User) -> tuple[int, int]:
    """Active admins other than ``user``: (all of them, those of all institutions).

    Used to refuse a change that would leave the console without an administrator (or without one who can
    create institutions and all-institutions accounts).
    """
    others = select(User).where(User.role == "admin", User.active.is_(True), User.id != user.id)
    admins = list(db.session.scalars(others))
    return len(admins), sum(1 for a in admins if a.all_institutions)


def is_locked(user: User) -> bool:
    return user.locked_until is not None and _as_utc(user.locked_until) > datetime.now(UTC)
