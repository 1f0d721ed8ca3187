"""The one family of errors the domain raises: every message says what was wrong and where.

Adapters turn them into what their user sees: the console flashes the message, the CLI prints it and exits
non-zero, the API answers with a JSON problem, a page answers 404 for :class:`NotFoundError`.
"""

from __future__ import annotations


class DomainError(ValueError):
    """Bad input or a refused action; the message is for the user (which file, line, field, what was
    expected)."""


class NotFoundError(DomainError):
    """What was asked for does not exist, or is outside the caller's scope (which looks the same)."""


class NoResponsesError(DomainError):
    """A computation was asked for a campaign with no responses yet."""
