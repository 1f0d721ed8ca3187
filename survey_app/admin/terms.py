"""The console's words for stored values (respondent groups, campaign and invitation states), through the
gettext catalogs, as template filters: a page never shows a raw value such as ``spent`` or ``expert``."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext

bp = Blueprint("admin_terms", __name__)

GROUP_LABELS = {
    "internal": lazy_gettext("Employees (internal)"),
    "external": lazy_gettext("Service users (external)"),
    "expert": lazy_gettext("Experts"),
}
STATUS_LABELS = {
    "draft": lazy_gettext("draft"),
    "open": lazy_gettext("open"),
    "closed": lazy_gettext("closed"),
}
INVITATION_STATES = {
    "issued": lazy_gettext("not yet used"),
    "spent": lazy_gettext("used"),
    "revoked": lazy_gettext("revoked"),
}


@bp.app_template_filter("group_label")
def group_label(group: str) -> str:
    return str(GROUP_LABELS.get(group, group))


@bp.app_template_filter("status_label")
def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@bp.app_template_filter("invitation_state")
def invitation_state(state: str) -> str:
    return str(INVITATION_STATES.get(state, state))
