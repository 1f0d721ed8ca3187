"""What the questionnaire pages read of a campaign and of a draft: plain values, not ORM objects.

Every respondent request reads the campaign's terms and the draft together with the invitation, in one
statement (see ``survey_app.respondent.invited``), and writes the draft back with one ``UPDATE``. Plain
values read as columns skip the ORM's identity map and instance loading, and leave out what a page never
needs (the campaign's copy of its scoring profile is several kilobytes); each dataclass names its columns
once, in the order of its fields, for the statements that select them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Self

from sqlalchemy import ColumnElement, Select, and_
from sqlalchemy.orm import InstrumentedAttribute

from survey_app.models import Campaign, CampaignQuestionnaire, Draft, Institution, QuestionnaireVersion


@dataclass(frozen=True, slots=True)
class CampaignTerms:
    """When and how a campaign takes answers, and what its respondents are told."""

    id: int
    institution_id: int
    min_cell: int
    release_batch: int | None
    opens_on: date
    closes_on: date
    status: str
    allow_invitation: bool
    allow_open: bool
    closed_on: date | None
    #: Named on every respondent page, with the closing date.
    organiser: str
    institution_name: str

    @staticmethod
    def columns() -> list[InstrumentedAttribute[Any]]:
        """The selected columns, in field order; a query selecting them joins ``institutions``
        (:meth:`joined`)."""
        return [
            Institution.name if f.name == "institution_name" else getattr(Campaign, f.name)
            for f in fields(CampaignTerms)
        ]

    @staticmethod
    def joined(query: Select[Any]) -> Select[Any]:
        return query.join(Institution, Institution.id == Campaign.institution_id)

    @classmethod
    def take(cls, values: Iterator[Any]) -> Self:
        """Built from the next values of a row that selected :meth:`columns`."""
        return cls(*itertools.islice(values, len(fields(cls))))


@dataclass(frozen=True, slots=True)
class DraftState:
    """A draft as a page reads it: its key, the answers so far, where to resume, when it was started."""

    key: str
    answers: dict[str, Any]
    current_page: str
    started_at: datetime
    #: Only for open access (an invitation knows its unit).
    unit_id: int | None
    #: Keyed hash of the resume code (invitations; ``None`` for open access and drafts older than codes).
    resume_hash: str | None

    @staticmethod
    def columns() -> list[InstrumentedAttribute[Any]]:
        return [getattr(Draft, f.name) for f in fields(DraftState)]

    @classmethod
    def take(cls, values: Iterator[Any]) -> Self | None:
        """Built from the next values of a row that selected :meth:`columns`; ``None`` when they came from
        an outer join that found no draft."""
        taken = tuple(itertools.islice(values, len(fields(cls))))
        return None if taken[0] is None else cls(*taken)


def with_version(query: Select[Any], group: ColumnElement[Any] | InstrumentedAttribute[Any]) -> Select[Any]:
    """``query`` (which selects from ``campaigns``) joined to the questionnaire version its campaign gives the
    respondent group ``group``, whose id and content hash it selects next."""
    return (
        query.add_columns(CampaignQuestionnaire.questionnaire_version_id, QuestionnaireVersion.content_hash)
        .join(
            CampaignQuestionnaire,
            and_(
                CampaignQuestionnaire.campaign_id == Campaign.id,
                CampaignQuestionnaire.respondent_group == group,
            ),
        )
        .join(QuestionnaireVersion, QuestionnaireVersion.id == CampaignQuestionnaire.questionnaire_version_id)
    )
