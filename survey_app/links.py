"""The public addresses of the respondent pages, as links printed on paper, in CSV files and in QR codes."""

from __future__ import annotations

from flask import current_app


def public_root(fallback: str) -> str:
    """Where respondents reach the app: ``PUBLIC_BASE_URL`` (behind a proxy), else ``fallback`` (the console:
    the request's host; the CLI: its ``--base-url`` or the development server)."""
    return str(current_app.config.get("PUBLIC_BASE_URL") or fallback).rstrip("/")


def invitation_link(root: str, token: str) -> str:
    """The link of one invitation (``/r/<token>``, :mod:`survey_app.respondent.invited`)."""
    return f"{root.rstrip('/')}/r/{token}"


def optout_link(root: str, token: str) -> str:
    """The opt-out link every message carries (``/o/<token>``, :mod:`survey_app.respondent.optout`)."""
    return f"{root.rstrip('/')}/o/{token}"
