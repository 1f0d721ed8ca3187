"""Dates in the survey's time zone (submission dates, campaign open/close dates); moments are UTC
(:func:`survey_app.models.types.utcnow`, :class:`~survey_app.models.types.UTCDateTime`)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def today() -> date:
    """Today in ``SURVEY_TIMEZONE``: a respondent in Jakarta submitting at 01:00 submits on their date."""
    return datetime.now(ZoneInfo(current_app.config["SURVEY_TIMEZONE"])).date()


def local_time(moment: datetime | None, seconds: bool = False) -> str:
    """A stored moment as people read it: in ``SURVEY_TIMEZONE``, with the zone's abbreviation, e.g.
    ``2026-12-01 19:05 WIB`` (the console's template filter ``local_time``)."""
    if moment is None:
        return "—"
    local = moment.astimezone(ZoneInfo(current_app.config["SURVEY_TIMEZONE"]))
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")
