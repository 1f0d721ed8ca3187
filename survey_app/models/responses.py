"""Responses: what the analysis needs, and nothing that could identify who answered.

The anonymity rule is visible here: no column or key refers to an invitation, a draft or a token; the id is a
random UUID (no sequence that would reveal insertion order); the only time is the submission *date*. On
SQLite the tables are ``WITHOUT ROWID`` so not even the hidden rowid keeps insertion order.

A finished response first lands in :class:`HeldResponse`, the sealed holding area, in the transaction that
spends its invitation; it reaches ``responses`` only when it is released with others in a shuffled batch, in
a later transaction (:mod:`survey_app.domain.release`), so no row of ``responses`` shares a transaction id
(PostgreSQL's ``xmin``) or a physical position with the spending of its invitation. ``docs/anonymity.md``
says what that does and does not hide.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from survey_app.models.base import Base
from survey_app.models.types import GROUPS, JSONDocument, in_values


class _ResponseColumns:
    """The columns a response has, in the holding area and after release alike."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:  # noqa: N805 (a class-level attribute, as SQLAlchemy documents)
        return (
            CheckConstraint(in_values("respondent_group", GROUPS), name="respondent_group"),
            CheckConstraint("weight > 0", name="weight_positive"),
            CheckConstraint("duration_seconds IS NULL OR duration_seconds >= 0", name="duration"),
            {"sqlite_with_rowid": False},
        )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"), index=True)
    questionnaire_version_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_versions.id", ondelete="RESTRICT"), index=True
    )
    respondent_group: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    stratum: Mapped[str | None] = mapped_column(String(100))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    open_access: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Answers keyed by item id, only of items that were shown (hidden items store nothing).
    answers: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    #: Whole minutes, capped (:data:`survey_app.respondent.store.DURATION_CAP_MINUTES`), stored in seconds.
    duration_seconds: Mapped[int | None]
    submitted_on: Mapped[date]


class Response(_ResponseColumns, Base):
    """A released response: what exports and results read."""

    __tablename__ = "responses"


class HeldResponse(_ResponseColumns, Base):
    """A finished response not yet released: read by nothing but the release."""

    __tablename__ = "held_responses"
