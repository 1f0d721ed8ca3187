"""The console's words for stored values (respondent groups, campaign and invitation states), through the
gettext catalogs, as template filters: a page never shows a raw value such as ``spent`` or ``expert``."""

from __future__ import annotations

from babel.numbers import format_decimal, format_percent
from flask import Blueprint
from flask_babel import get_locale, lazy_gettext

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


# Numbers in the console's language (Babel): "77,0" and "1.234" in Indonesian, "77.0" and "1,234" in English.


@bp.app_template_filter("number")
def number(value: float | int | None, places: int | None = None) -> str:
    """A number in the locale's format; ``places``: exactly that many decimals; ``None``: "–"."""
    if value is None:
        return "–"
    if places is None:
        return str(format_decimal(value, locale=_locale()))
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return str(format_decimal(value, format=pattern, locale=_locale()))


@bp.app_template_filter("percent")
def percent(value: float | None, places: int = 0) -> str:
    """A share (0–1) as a percentage in the locale's format ("83 %" in Indonesian, "83%" in English)."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * places if places else "") + "%"
    return str(format_percent(value, format=pattern, locale=_locale()))


def _locale() -> str:
    return str(get_locale() or "id")
