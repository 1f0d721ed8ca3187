"""Score runs: one stored computation of a campaign's results, with what is needed to reproduce it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.models.base import Base
from survey_app.models.types import JSONDocument, UTCDateTime, in_values, utcnow


class ScoreRun(Base):
    """One computation of a campaign's results, with everything needed to reproduce it."""

    __tablename__ = "score_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
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
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by: Mapped[str | None] = mapped_column(String(255))


JOB_STATES: tuple[str, ...] = ("queued", "running", "done", "failed")


class ComputeJob(Base):
    """A requested computation of a campaign's results and how far it got, for the progress indicator.

    Kept in the database rather than in a process, so any app server can report on a job another one runs.
    """

    __tablename__ = "compute_jobs"
    __table_args__ = (
        CheckConstraint(in_values("state", JOB_STATES), name="state"),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    requested_by: Mapped[str] = mapped_column(String(255))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20), default="queued")
    #: What the job is doing now, e.g. ``reading responses`` (shown to the user).
    stage: Mapped[str] = mapped_column(String(100), default="")
    progress: Mapped[float] = mapped_column(default=0.0)
    #: A message for the user when the job failed (never a traceback).
    error: Mapped[str] = mapped_column(Text, default="")
    score_run_id: Mapped[int | None] = mapped_column(ForeignKey("score_runs.id", ondelete="SET NULL"))
    #: Written every ``JOB_HEARTBEAT_SECONDS`` while the job runs; a stale one means its process died.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: ``host:pid`` of the process running it, for the log.
    worker: Mapped[str] = mapped_column(String(100), default="", server_default="")
