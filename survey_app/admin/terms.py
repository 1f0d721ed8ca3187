"""The console's words for stored values (respondent groups, campaign and invitation states), through the
gettext catalogs, as template filters: a page never shows a raw value such as ``spent`` or ``expert``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from babel.numbers import format_decimal, format_percent
from flask import Blueprint
from flask_babel import get_locale, gettext, lazy_gettext

from questionnaires.problems import Msg
from survey_app.domain.errors import DomainError
from survey_app.reporting.catalog import N_

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


#: The data-quality checks of :func:`scoring.quality.data_quality`, by their ``check`` id (the statistics
#: package stays free of the web app and its catalogs; its English ``reason`` is for the command line).
FLAG_TEXTS = {
    "straightlining": lazy_gettext(
        "%(value)s of respondents gave the same answer to a whole block of scale items "
        "(threshold %(threshold)s)"
    ),
    "fast": lazy_gettext(
        "%(value)s of respondents finished much faster than the median time (threshold %(threshold)s)"
    ),
    "duplicate": lazy_gettext(
        "%(value)s of respondents share an identical set of answers with another (threshold %(threshold)s)"
    ),
    "dont_know": lazy_gettext(
        "%(value)s of the scored questions shown were answered “don't know” or “not applicable” "
        "(threshold %(threshold)s)"
    ),
    "low_variance": lazy_gettext(
        "Answers are far more uniform than in comparable units: spread of respondent scores %(value)s, "
        "against at least %(threshold)s expected"
    ),
}


@bp.app_template_filter("flag_text")
def flag_text(flag: Mapping[str, Any]) -> str:
    """A raised data-quality flag in the console's language, its figures in the locale's format."""
    message = FLAG_TEXTS.get(str(flag.get("check")))
    if message is None:
        return str(flag.get("reason", ""))
    value, threshold = flag.get("value"), flag.get("threshold")
    if flag.get("check") == "low_variance":
        shown = {"value": number(value, 1), "threshold": number(threshold, 1)}
    else:
        shown = {"value": percent(value), "threshold": percent(threshold)}
    return str(message) % shown


#: WTForms' own messages, which it ships no Indonesian for: listed here so the catalogs keep them (Flask-WTF
#: looks them up in the app's catalog), and a form error is never the one English sentence on a page.
WTFORMS_MESSAGES = (
    N_("This field is required."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Not a valid integer value."),
    N_("Not a valid decimal value."),
    N_("Not a valid date value."),
    N_("Not a valid choice."),
    N_("Invalid input."),
    N_("Invalid email address."),
    N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Field cannot be longer than %(max)d characters."),
    N_("Field must be at least %(min)d characters long."),
    N_("The CSRF token is missing."),
    N_("The CSRF token is invalid."),
    N_("The CSRF token has expired."),
)


def _gettext(template: str) -> str:
    return str(gettext(template))


def error_text(error: DomainError) -> str:
    """A domain error in the console's language (its English text where it has no catalog message)."""
    if error.message is None:
        return str(error)
    if not error.params:
        return str(gettext(error.message))
    # A field may be a word to translate in turn ("none", "3 invitations").
    params = {k: v.render(_gettext) if isinstance(v, Msg) else v for k, v in error.params.items()}
    return str(gettext(error.message, **params))


class Renderable(Protocol):
    """A problem of an upload (:class:`questionnaires.problems.Problem`, :class:`scoring.frames.FrameProblem`
    and the like)."""

    message: str

    def render(self, translate: Callable[[str], str]) -> str: ...


def problem_text(problem: Renderable) -> str:
    """An upload's problem in the console's language: its template translated, then its fields filled; the
    English text should a translation not fit its fields (a catalog is compiled with that check, so this
    is a last guard, not a path)."""
    try:
        return problem.render(lambda template: str(gettext(template)))
    except (KeyError, ValueError, TypeError):
        return problem.message
