"""Column types and value sets shared by the models."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import JSONB

from questionnaires.model import Group

#: Answers and other documents: JSONB on PostgreSQL (compact, indexable), JSON text elsewhere.
JSONDocument: Any = JSON().with_variant(JSONB(), "postgresql")

GROUPS: tuple[str, ...] = tuple(g.value for g in Group)


def in_values(column: str, values: tuple[str, ...]) -> str:
    """SQL text of a CHECK that ``column`` holds one of ``values`` (values are our own constants)."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"
