"""Console logins on the web: Flask-Login wiring, the session clock and the role guard of every console view.

Session expiry: the app's ``PERMANENT_SESSION_LIFETIME`` is a year because the open-access guard needs a
long-lived cookie, so console logins carry their own clock instead: the login time is kept in the session and
a login older than ``ADMIN_SESSION_LIFETIME`` (default 8 hours) is treated as logged out. The session cookie
itself is not permanent for console users unless the open-access guard made it so; "remember me" is not
offered. The rules about accounts themselves are in :mod:`survey_app.domain.accounts`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import Flask, abort, current_app, redirect, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user

from survey_app.domain.accounts import end_sessions
from survey_app.extensions import db
from survey_app.models import ROLES, User
from survey_app.models.types import utcnow

P = ParamSpec("P")
R = TypeVar("R")

login_manager = LoginManager()
login_manager.login_view = "admin_auth.login"
# A console session must not survive a password change or deactivation; Flask-Login reloads the user each
# request, and "strong" protection drops the session when the client's fingerprint changes.
login_manager.session_protection = "strong"

_LOGIN_AT = "console_login_at"


def init_login(app: Flask) -> None:
    # Flask-Login's own context processor loads the user for every template, the respondent pages too, where
    # "strong" session protection then rewrites their session (no console identifier in it) and sends the
    # session cookie again plus a cleared remember cookie with every page. The proxy instead loads the user
    # only where a template reads it: the console's.
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(lambda: {"current_user": current_user})


def _load_user(session_id: str) -> User | None:
    user_id = session_id.partition(":")[0]
    if not user_id.isdigit():
        return None
    login_at = session.get(_LOGIN_AT)
    lifetime = float(current_app.config["ADMIN_SESSION_LIFETIME"])
    if not isinstance(login_at, int | float) or utcnow().timestamp() - login_at > lifetime:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.get_id() != session_id:
        return None
    return user


# Registered by a call rather than with ``@login_manager.user_loader``: Flask-Login is untyped, and mypy
# takes a function under an untyped decorator as untyped. The decorator returns the function unchanged, so
# this is the same registration.
login_manager.user_loader(_load_user)


def start_session(user: User) -> None:
    session[_LOGIN_AT] = utcnow().timestamp()
    login_user(user, remember=False)


def end_session() -> None:
    """Log out here and everywhere: the account's session generation moves on, so a copy of this session's
    cookie (or any other browser's) is no longer accepted."""
    user = acting_user()
    if user is not None:
        end_sessions(user)
        db.session.commit()
    logout_user()
    session.pop(_LOGIN_AT, None)


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


def acting_user() -> User | None:
    """The logged-in console user (for the audit log), or ``None`` outside a console login."""
    user = current_user._get_current_object()  # the proxy itself is no User
    return user if isinstance(user, User) else None
