"""The one family of errors the domain raises: every message says what was wrong and where.

Adapters turn them into what their user sees: the console flashes the message, the CLI prints it and exits
non-zero, the API answers with a JSON problem, a page answers 404 for :class:`NotFoundError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from questionnaires.problems import Msg


def N_(message: str) -> str:  # noqa: N802 - the name pybabel extracts by default
    """``message`` itself, marked for the catalogs (the domain translates nothing: it knows no request)."""
    return message


class Joined(Msg):
    """Messages shown one after the other, comma-separated ("3 invitation(s), 1 response(s)"), each
    translated in turn."""

    __slots__ = ("parts",)

    def __init__(self, parts: Iterable[Msg]) -> None:
        super().__init__("")
        self.parts = tuple(parts)

    def render(self, translate: Callable[[str], str] = lambda t: t) -> str:
        return ", ".join(p.render(translate) for p in self.parts)


#: "none" in a list of what exists ("it has: none").
NONE = Msg(N_("none"))


class DomainError(ValueError):
    """Bad input or a refused action; the message is for the user (which file, line, field, what was
    expected).

    ``str()`` is the English text (the command line prints it). ``message`` and ``params`` give the console
    the same text to translate: a catalog message with ``%(name)s`` fields, filled from ``params``; a field
    that is a :class:`~questionnaires.problems.Msg` (a word such as "none") is translated in turn.

    >>> str(DomainError(N_("%(source)s, line %(line)s: column %(column)s is empty"), source="CSV", line=3,
    ...                 column="unit_code"))
    'CSV, line 3: column unit_code is empty'
    """

    def __init__(self, text: str, *, catalog: bool = False, **params: Any) -> None:
        #: The catalog message (``None``: the text is not in the catalogs, shown as it is).
        self.message = text if params or catalog else None
        self.params = params
        super().__init__(text % params if params else text)


class NotFoundError(DomainError):
    """What was asked for does not exist, or is outside the caller's scope (which looks the same)."""


class NoResponsesError(DomainError):
    """A computation was asked for a campaign with no responses yet."""
