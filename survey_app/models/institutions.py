"""Institutions (e.g. a city government) and their units (OPD, departments), a tree per institution."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.models.base import Base
from survey_app.models.types import UTCDateTime


class Institution(Base):
    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    #: Archived: out of the lists, kept with its campaigns.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    units: Mapped[list[Unit]] = relationship(back_populates="institution", order_by="Unit.code")


class Unit(Base):
    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("institution_id", "code", name="uq_units_institution_id_code"),
        CheckConstraint("population_size IS NULL OR population_size >= 0", name="population_size"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="RESTRICT"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    #: Number of people in the unit's population (for the finite population correction); optional.
    population_size: Mapped[int | None]

    institution: Mapped[Institution] = relationship(back_populates="units")
    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent")
