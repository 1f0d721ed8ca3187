"""Invitation links: ``/r/<token>``."""

from survey_app.respondent.views import bp

__all__ = ["bp"]
