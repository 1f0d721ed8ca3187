"""Drafts: answers in progress, so the same link resumes on any device. Deleted when the response is stored.

A draft is keyed by the invitation's token hash, or for open access by a keyed hash of a random key kept in
the respondent's session cookie. Drafts carry times (to compute the duration and to expire abandoned
open-access drafts); responses do not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.models.base import Base
from survey_app.models.types import GROUPS, JSONDocument, UTCDateTime, in_values


class Draft(Base):
    __tablename__ = "drafts"
    __table_args__ = (CheckConstraint(in_values("respondent_group", GROUPS), name="respondent_group"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    questionnaire_version_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_versions.id", ondelete="RESTRICT"), index=True
    )
    respondent_group: Mapped[str] = mapped_column(String(20))
    #: Only for open access (an invitation knows its unit).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    #: Key of the page to resume at (``section`` or ``section~n`` for continuation pages).
    current_page: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: Keyed hash of the resume code of an invitation's draft (``None``: open access, or started before
    #: resume codes existed): only a browser that holds the code sees the answers.
    resume_hash: Mapped[str | None] = mapped_column(String(64))
