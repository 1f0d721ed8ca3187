"""Dates and times in the survey's time zone (submission dates, campaign open/close dates)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def now_utc() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today in ``SURVEY_TIMEZONE``: a respondent in Jakarta submitting at 01:00 submits on their date."""
    return datetime.now(ZoneInfo(current_app.config["SURVEY_TIMEZONE"])).date()


def as_utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone-aware columns; we only ever store UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
