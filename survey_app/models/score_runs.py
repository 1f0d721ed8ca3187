"""Score runs: one stored computation of a campaign's results, with what is needed to reproduce it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.models.accounts import utcnow
from survey_app.models.base import Base
from survey_app.models.types import JSONDocument


class ScoreRun(Base):
    """One computation of a campaign's results, with everything needed to reproduce it."""

    __tablename__ = "score_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))
    profile_hash: Mapped[str] = mapped_column(String(80))
    questionnaire_hashes: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    software_version: Mapped[str] = mapped_column(String(64))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    responses_read: Mapped[int]
    #: Index, group, dimension and quality tables as ``DataFrame.to_dict(orient="split")``.
    results: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    #: Kept for display; the mapping is free text.
    note: Mapped[str] = mapped_column(Text, default="")
    #: Set when an admin or analyst publishes the run; viewers (and the API for viewers) see only the latest
    #: published run of a campaign.
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(255))
