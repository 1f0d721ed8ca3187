"""Published national averages of the index, as an administrator corrected or added them (the bundled file
``survey_app/data/national_spi.csv`` holds the sourced defaults)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.models.base import Base
from survey_app.models.types import UTCDateTime, utcnow


class NationalFigure(Base):
    """One year's national index, overriding (or adding to) the bundled figure of that year."""

    __tablename__ = "national_figures"
    __table_args__ = (
        CheckConstraint("year >= 2000 AND year <= 2100", name="year"),
        CheckConstraint("value >= 0 AND value <= 100", name="value"),
    )

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[float] = mapped_column(Float)
    source_url: Mapped[str] = mapped_column(String(500), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(255))
