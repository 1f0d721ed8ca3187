r"""Search in the console's lists: a case-insensitive "contains" over a few text columns.

The searched text is matched literally: its own ``%`` and ``_`` are escaped, so "50%" finds "50%" only.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import InstrumentedAttribute


def like_escaped(text: str) -> str:
    r"""``text`` for a ``LIKE`` pattern with ``\`` as the escape character.

    >>> print(like_escaped("50%_a"))
    50\%\_a
    """
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(text: str, *columns: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """SQL: one of ``columns`` contains ``text`` (surrounding spaces ignored, case ignored)."""
    pattern = f"%{like_escaped(text.strip())}%"
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))
