"""Column types and value sets shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB

from questionnaires.model import Group

#: Answers and other documents: JSONB on PostgreSQL (compact, indexable), JSON text elsewhere.
JSONDocument: Any = JSON().with_variant(JSONB(), "postgresql")

GROUPS: tuple[str, ...] = tuple(g.value for g in Group)


def utcnow() -> datetime:
    """Now, in UTC: the one clock of every stored moment."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC and read back as an aware ``datetime`` in UTC, on every database.

    SQLite keeps no zone and hands back naive values; PostgreSQL's ``timestamptz`` hands them back in the
    connection's zone. Here both come back aware and in UTC, so no caller converts by hand (indico's
    ``UTCDateTime`` does the same). Naive values are refused on the way in: their zone is unknown.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a naive datetime ({value.isoformat()}) has no zone; store an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def in_values(column: str, values: tuple[str, ...]) -> str:
    """SQL text of a CHECK that ``column`` holds one of ``values`` (values are our own constants)."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"
