"""The audit log, newest first, in words, searchable and in pages (admins only; a scoped admin reads the
entries about their institutions, see :func:`survey_app.domain.accounts.audit_query`)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from survey_app.admin.audit_text import describe
from survey_app.admin.paging import page_of, search_text
from survey_app.domain.accounts import audit_query
from survey_app.login import requires_role

bp = Blueprint("admin_audit", __name__, url_prefix="/admin/audit")
PAGE = 50


@bp.route("/")
@requires_role("admin")
def log() -> ResponseReturnValue:
    search = search_text()
    entries = page_of(audit_query(current_user, search=search), PAGE)
    return render_template(
        "admin/audit.html",
        entries=entries,
        lines=[(e, describe(e)) for e in entries.items],
        search=search,
    )
