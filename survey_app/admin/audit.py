"""The audit log, newest first (admins only)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.login import requires_role
from survey_app.models import AuditEntry

bp = Blueprint("admin_audit", __name__, url_prefix="/admin/audit")
PAGE = 100


@bp.route("/")
@requires_role("admin")
def log() -> ResponseReturnValue:
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    entries = db.session.scalars(
        select(AuditEntry)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(PAGE)
        .offset((page - 1) * PAGE)
    ).all()
    return render_template("admin/audit.html", entries=entries, page=page, more=len(entries) == PAGE)
