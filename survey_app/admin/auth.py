"""Login, logout and password change."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.admin.forms import ActionForm, LoginForm, PasswordForm
from survey_app.domain.accounts import audit, authenticate, check_password, set_password
from survey_app.extensions import db, limiter
from survey_app.login import acting_user, end_session, requires_role, start_session
from survey_app.throttle import count_failure, forget_failures, locked_out, storage_available

bp = Blueprint("admin_auth", __name__, url_prefix="/admin")


def _safe_next(target: str | None) -> str:
    # Only paths on this site: an absolute URL in ?next= would make the login page an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("admin_campaigns.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: str(current_app.config["LOGIN_RATE_LIMIT"]), methods=["POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("admin_campaigns.dashboard"))
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        if not storage_available():
            # Fail closed: without the counters a password could be guessed without limit.
            current_app.logger.error("login refused: the rate-limit store does not answer")
            return render_template("admin/login.html", form=form, failed=False, unavailable=True), 503
        attempt = authenticate(form.email.data or "", form.password.data or "", locked_out=locked_out)
        if attempt.user is not None:
            forget_failures(attempt.user)
            start_session(attempt.user)
            audit("login", f"user:{attempt.user.id}", user=attempt.user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        if attempt.account is not None and attempt.wrong_password and count_failure(attempt.account):
            audit("login.locked", f"user:{attempt.account.id}", user=attempt.account)
        db.session.commit()  # a rehashed password or the audit entry
        failed = True
    status = 401 if failed else 200
    return render_template("admin/login.html", form=form, failed=failed), status


@bp.route("/logout", methods=["POST"])
@requires_role("viewer")
def logout() -> ResponseReturnValue:
    if ActionForm().validate_on_submit():
        end_session()
    return redirect(url_for("admin_auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@requires_role("viewer")
def password() -> ResponseReturnValue:
    form = PasswordForm()
    wrong = False
    if form.validate_on_submit():
        if check_password(current_user, form.current.data or ""):
            set_password(current_user, form.new.data or "")
            audit("user.password_change", f"user:{current_user.id}", user=acting_user())
            db.session.commit()
            # The session id carries the password time; log in again under the new one.
            start_session(current_user)
            flash(_("Your password has been changed."))
            return redirect(url_for("admin_campaigns.dashboard"))
        wrong = True
    return render_template("admin/password.html", form=form, wrong=wrong), (400 if wrong else 200)
