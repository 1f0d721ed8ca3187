"""Dates in the survey's time zone (submission dates, campaign open/close dates); moments are UTC
(:func:`survey_app.models.types.utcnow`, :class:`~survey_app.models.types.UTCDateTime`)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def today() -> date:
    """Today in ``SURVEY_TIMEZONE``: a respondent in Jakarta submitting at 01:00 submits on their date."""
    return datetime.now(ZoneInfo(current_app.config["SURVEY_TIMEZONE"])).date()
