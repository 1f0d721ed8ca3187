"""Campaigns: one survey round of an institution, with a questionnaire version per respondent group."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.models.base import Base
from survey_app.models.institutions import Institution
from survey_app.models.questionnaire_versions import QuestionnaireVersion
from survey_app.models.types import GROUPS, UTCDateTime, in_values

STATUSES: tuple[str, ...] = ("draft", "open", "closed")
#: How confidence intervals are computed: Taylor linearisation (R's default) or the Rao–Wu bootstrap.
VARIANCE_METHODS: tuple[str, ...] = ("linearization", "bootstrap")


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint(in_values("status", STATUSES), name="status"),
        CheckConstraint("min_cell >= 1", name="min_cell"),
        CheckConstraint("release_batch IS NULL OR release_batch >= 1", name="release_batch"),
        CheckConstraint("closes_on >= opens_on", name="dates"),
        CheckConstraint("allow_invitation OR allow_open", name="access_mode"),
        CheckConstraint("target_index IS NULL OR (target_index >= 0 AND target_index <= 100)", name="target"),
        CheckConstraint(in_values("variance_method", VARIANCE_METHODS), name="variance_method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="RESTRICT"), index=True
    )
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    #: Who runs the survey, named to respondents on every page (e.g. "Inspektorat Kota Bogor").
    organiser: Mapped[str] = mapped_column(String(255), default="", server_default="")
    #: The period surveyed, free text such as ``2024``.
    period: Mapped[str] = mapped_column(String(50))
    profile_id: Mapped[str] = mapped_column(String(100))
    #: The scoring profile's canonical JSON, copied so later edits of the bundled profile change nothing here.
    profile_json: Mapped[str] = mapped_column(Text)
    min_cell: Mapped[int] = mapped_column(default=5)
    #: Held responses are released in batches of at least this many; ``None``: the minimum cell size.
    release_batch: Mapped[int | None]
    target_index: Mapped[float | None]
    opens_on: Mapped[date]
    closes_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), default="draft")
    allow_invitation: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_open: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The design used for results: variance method, and whether the units' population sizes give a finite
    #: population correction (respondents are a stratified sample by unit either way).
    variance_method: Mapped[str] = mapped_column(
        String(20), default="linearization", server_default="linearization"
    )
    use_fpc: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: The day (survey time zone) an admin closed the campaign; ``None`` while it is not closed by hand.
    closed_on: Mapped[date | None]
    #: Archived: kept with its responses and results, but out of the lists and read-only in the console.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    institution: Mapped[Institution] = relationship()
    questionnaires: Mapped[list[CampaignQuestionnaire]] = relationship(
        back_populates="campaign", order_by="CampaignQuestionnaire.respondent_group"
    )


class CampaignQuestionnaire(Base):
    """Which questionnaire version a respondent group of a campaign answers."""

    __tablename__ = "campaign_questionnaires"
    __table_args__ = (CheckConstraint(in_values("respondent_group", GROUPS), name="respondent_group"),)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    respondent_group: Mapped[str] = mapped_column(String(20), primary_key=True)
    questionnaire_version_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_versions.id", ondelete="RESTRICT"), index=True
    )

    campaign: Mapped[Campaign] = relationship(back_populates="questionnaires")
    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()


class CorrectionCase(Base):
    """The number of cases of one of the profile's correction rules (complaints, LHKPN, corruption cases)
    found for the campaign's institution: entered in the console, deducted by the results computation."""

    __tablename__ = "correction_cases"
    __table_args__ = (CheckConstraint("cases >= 0", name="cases"),)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    #: A correction rule id of the campaign's profile.
    rule: Mapped[str] = mapped_column(String(100), primary_key=True)
    cases: Mapped[int]
    #: Where the figure comes from (a report, a letter), for whoever checks it later.
    source: Mapped[str] = mapped_column(Text, default="")
    entered_by: Mapped[str] = mapped_column(String(255))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
