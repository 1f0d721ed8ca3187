"""Responses: what the analysis needs, and nothing that could identify who answered.

The anonymity rule is visible here: no column or key refers to an invitation, a draft or a token; the id is a
random UUID (no sequence that would reveal insertion order); the only time is the submission *date*. On
SQLite the table is ``WITHOUT ROWID`` so not even the hidden rowid keeps insertion order.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.models.base import Base
from survey_app.models.types import GROUPS, JSONDocument, in_values


class Response(Base):
    __tablename__ = "responses"
    __table_args__ = (
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
    duration_seconds: Mapped[int | None]
    submitted_on: Mapped[date]
