"""Duplicating a campaign for the next round, archiving what is done with, deleting what was never used.

Archived things keep every row (responses, results, audit trail) and leave the console's lists; an archived
questionnaire version or institution is no longer offered for new campaigns. Deleting is only for what
nothing refers to: a campaign without invitations, answers or results; an institution without campaigns; a
questionnaire version no campaign uses. :func:`delete_blockers` names what stands in the way.
"""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import delete, func, select

from questionnaires.problems import Msg
from questionnaires.profile import ScoringProfile
from survey_app.domain.campaigns import create_campaign
from survey_app.domain.errors import N_, DomainError, Joined
from survey_app.extensions import db
from survey_app.models import (
    Campaign,
    CampaignQuestionnaire,
    CorrectionCase,
    Draft,
    HeldResponse,
    Institution,
    Invitation,
    QuestionnaireVersion,
    Response,
    ScoreRun,
)
from survey_app.models.score_runs import ComputeJob
from survey_app.models.types import utcnow

Archivable = Campaign | Institution | QuestionnaireVersion


def duplicate_campaign(
    source: Campaign, *, slug: str, title: str, period: str, opens_on: date, closes_on: date
) -> Campaign:
    """A new draft campaign with ``source``'s institution, questionnaire versions, scoring profile (its stored
    copy), access modes and design; nothing of its invitations, answers, results or correction cases."""
    versions = {q.respondent_group: q.questionnaire_version for q in source.questionnaires}
    campaign = create_campaign(
        institution_code=source.institution.code,
        title=title,
        slug=slug,
        period=period,
        profile=ScoringProfile.from_dict(json.loads(source.profile_json)),
        versions=versions,
        opens_on=opens_on,
        closes_on=closes_on,
        min_cell=source.min_cell,
        release_batch=source.release_batch,
        target_index=source.target_index,
        allow_invitation=source.allow_invitation,
        allow_open=source.allow_open,
        status="draft",
    )
    campaign.variance_method = source.variance_method
    campaign.use_fpc = source.use_fpc
    db.session.flush()
    return campaign


def archive(thing: Archivable) -> None:
    if isinstance(thing, Campaign) and thing.status == "open":
        raise DomainError(N_("campaign %(slug)s is open: close it before archiving it"), slug=thing.slug)
    if thing.archived_at is None:
        thing.archived_at = utcnow()


def unarchive(thing: Archivable) -> None:
    thing.archived_at = None


def _count(model: type, *where: object) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


#: What keeps a thing from being deleted, by the kinds of :func:`delete_blockers`, with its count.
BLOCKER_TEXTS = {
    "invitations": N_("%(n)s invitations"),
    "responses": N_("%(n)s responses"),
    "drafts": N_("%(n)s drafts"),
    "results": N_("%(n)s results"),
    "campaigns": N_("%(n)s campaigns"),
}


def delete_blockers(thing: Archivable) -> dict[str, int]:
    """What refers to ``thing`` and keeps it from being deleted, by kind, with counts (empty: deletable)."""
    if isinstance(thing, Campaign):
        counts = {
            "invitations": _count(Invitation, Invitation.campaign_id == thing.id),
            "responses": _count(Response, Response.campaign_id == thing.id)
            + _count(HeldResponse, HeldResponse.campaign_id == thing.id),
            "drafts": _count(Draft, Draft.campaign_id == thing.id),
            "results": _count(ScoreRun, ScoreRun.campaign_id == thing.id),
        }
    elif isinstance(thing, Institution):
        counts = {"campaigns": _count(Campaign, Campaign.institution_id == thing.id)}
    else:
        counts = {
            "campaigns": _count(
                CampaignQuestionnaire, CampaignQuestionnaire.questionnaire_version_id == thing.id
            ),
            "responses": _count(Response, Response.questionnaire_version_id == thing.id),
        }
    return {kind: n for kind, n in counts.items() if n}


def delete_unused(thing: Archivable) -> None:
    """Delete ``thing`` (flushed); :class:`DomainError` when something refers to it."""
    blockers = delete_blockers(thing)
    if blockers:
        what = Joined([Msg(BLOCKER_TEXTS[kind], n=n) for kind, n in blockers.items()])
        raise DomainError(N_("cannot delete: it is in use (%(what)s); archive it instead"), what=what)
    if isinstance(thing, Campaign):
        db.session.execute(delete(ComputeJob).where(ComputeJob.campaign_id == thing.id))
        db.session.execute(delete(CorrectionCase).where(CorrectionCase.campaign_id == thing.id))
        for link in list(thing.questionnaires):
            db.session.delete(link)
    if isinstance(thing, Institution):
        # Units refer to their parent unit: detach them all before deleting any.
        units = list(thing.units)
        for unit in units:
            unit.parent_id = None
        db.session.flush()
        for unit in units:
            db.session.delete(unit)
        db.session.flush()
        db.session.expire(thing, ["units"])
    db.session.delete(thing)
    db.session.flush()
