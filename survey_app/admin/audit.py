"""The audit log, newest first (admins only; a scoped admin reads the entries about their institutions, see
:func:`survey_app.domain.accounts.audit_entries`)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from survey_app.domain.accounts import audit_entries
from survey_app.login import requires_role

bp = Blueprint("admin_audit", __name__, url_prefix="/admin/audit")
PAGE = 100


@bp.route("/")
@requires_role("admin")
def log() -> ResponseReturnValue:
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    entries = audit_entries(current_user, limit=PAGE, offset=(page - 1) * PAGE)
    return render_template("admin/audit.html", entries=entries, page=page, more=len(entries) == PAGE)
