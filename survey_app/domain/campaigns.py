"""Campaigns: creating one, finding one, and whether it takes answers on a given day (:func:`state`, the one
answer every page, command and job uses)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Protocol

from sqlalchemy import ColumnElement, or_, select

from questionnaires.profile import ScoringProfile
from survey_app.domain.errors import N_, NONE, DomainError
from survey_app.extensions import db
from survey_app.models import (
    GROUPS,
    Campaign,
    CampaignQuestionnaire,
    Institution,
    QuestionnaireVersion,
)
from survey_app.respondent.versions import loaded_version


def declares_open_access(version: QuestionnaireVersion) -> bool:
    """Whether ``version``'s questionnaire declares open access (``access:``; by default only the external
    group does). Parsed once per process, like every page's version."""
    return loaded_version(
        version.content_hash, lambda: version.canonical_json
    ).questionnaire.allows_open_access


def open_access_groups(versions: Mapping[str, QuestionnaireVersion]) -> list[str]:
    """The groups of ``versions`` an open link may reach; the open-access route answers 404 for others."""
    return [group for group, version in sorted(versions.items()) if declares_open_access(version)]


class OpenAccessNotAllowedError(DomainError):
    """Open access asked for a campaign whose groups' questionnaires do not declare it."""

    def __init__(self, groups: list[str]) -> None:
        self.groups = groups
        super().__init__(
            f"open access is not allowed for group {', '.join(groups)}: its questionnaire does not declare "
            "it (access: [invitation, open]; by default only the external group has open access)"
        )


def check_open_access(versions: Mapping[str, QuestionnaireVersion], allow_open: bool) -> None:
    """Refuse open access for a campaign none of whose groups declares it (:class:`OpenAccessNotAllowedError`
    names the groups).

    A campaign of employees and service users may still have open access: its open links reach the service
    users only (:func:`open_access_groups`), and the employees answer through their invitations.
    """
    if allow_open and versions and not open_access_groups(versions):
        raise OpenAccessNotAllowedError(sorted(versions))


def campaign_open_access_groups(campaign: Campaign) -> list[str]:
    """The groups of ``campaign`` an open link reaches now (none while it does not allow open access)."""
    if not campaign.allow_open:
        return []
    return open_access_groups({q.respondent_group: q.questionnaire_version for q in campaign.questionnaires})


def create_campaign(
    *,
    institution_code: str,
    title: str,
    slug: str,
    period: str,
    profile: ScoringProfile,
    versions: Mapping[str, QuestionnaireVersion],
    opens_on: date,
    closes_on: date,
    min_cell: int = 5,
    release_batch: int | None = None,
    target_index: float | None = None,
    allow_invitation: bool = True,
    allow_open: bool = False,
    status: str = "open",
    organiser: str = "",
) -> Campaign:
    institution = db.session.scalar(select(Institution).where(Institution.code == institution_code))
    if institution is None:
        raise DomainError(
            N_("no institution with code %(code)s (import it first)"), code=repr(institution_code)
        )
    if db.session.scalar(select(Campaign.id).where(Campaign.slug == slug)) is not None:
        raise DomainError(N_("a campaign with the short name %(slug)s already exists"), slug=repr(slug))
    if closes_on < opens_on:
        raise DomainError(
            N_("the close date %(closes)s is before the open date %(opens)s"),
            closes=closes_on,
            opens=opens_on,
        )
    if min_cell < 1:
        raise DomainError(N_("min cell size must be at least 1, got %(value)s"), value=min_cell)
    if release_batch is not None and release_batch < 1:
        raise DomainError(N_("the release batch must be at least 1, got %(value)s"), value=release_batch)
    if not (allow_invitation or allow_open):
        raise DomainError(N_("a campaign needs at least one access mode (invitation or open)"), catalog=True)
    if not versions:
        raise DomainError(N_("a campaign needs a questionnaire version for at least one group"), catalog=True)
    for group, version in versions.items():
        if group not in GROUPS:
            raise DomainError(
                N_("unknown respondent group %(group)s (expected one of %(groups)s)"),
                group=repr(group),
                groups=", ".join(GROUPS),
            )
        if version.respondent_group != group:
            raise DomainError(
                N_("questionnaire %(id)s@%(version)s is for group %(its)s, not %(group)s"),
                id=version.questionnaire_id,
                version=version.version,
                its=version.respondent_group,
                group=group,
            )
    check_open_access(versions, allow_open)
    campaign = Campaign(
        institution=institution,
        slug=slug,
        title=title,
        organiser=organiser,
        period=period,
        profile_id=profile.id,
        profile_json=profile.canonical_json(),
        min_cell=min_cell,
        release_batch=release_batch,
        target_index=target_index,
        opens_on=opens_on,
        closes_on=closes_on,
        status=status,
        allow_invitation=allow_invitation,
        allow_open=allow_open,
    )
    db.session.add(campaign)
    for group, version in versions.items():
        db.session.add(
            CampaignQuestionnaire(
                campaign=campaign, respondent_group=group, questionnaire_version_id=version.id
            )
        )
    db.session.flush()
    return campaign


def find_campaign(slug: str) -> Campaign:
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        known = ", ".join(db.session.scalars(select(Campaign.slug).order_by(Campaign.slug)).all())
        raise DomainError(
            N_("no campaign with slug %(slug)s (known: %(known)s)"), slug=repr(slug), known=known or NONE
        )
    return campaign


class CampaignState(StrEnum):
    """Whether a campaign takes answers on a day."""

    DRAFT = "draft"  # being set up; never took answers
    NOT_YET_OPEN = "not_open"  # opened by an admin, its first day still ahead
    OPEN = "open"  # takes answers
    CLOSED = "closed"  # closed by an admin, or its last day has passed


class HasDates(Protocol):
    """What :func:`state` reads: an ORM :class:`Campaign` or the respondent pages' plain campaign terms."""

    @property
    def status(self) -> str: ...
    @property
    def opens_on(self) -> date: ...
    @property
    def closes_on(self) -> date: ...


def state(campaign: HasDates, day: date) -> CampaignState:
    """The campaign's state on ``day`` (the survey's time zone, :func:`survey_app.dates.today`).

    >>> from types import SimpleNamespace as C
    >>> state(C(status="open", opens_on=date(2026, 1, 5), closes_on=date(2026, 1, 31)), date(2026, 1, 31))
    <CampaignState.OPEN: 'open'>
    >>> state(C(status="open", opens_on=date(2026, 1, 5), closes_on=date(2026, 1, 31)), date(2026, 2, 1))
    <CampaignState.CLOSED: 'closed'>
    >>> state(C(status="draft", opens_on=date(2026, 1, 5), closes_on=date(2026, 1, 31)), date(2026, 2, 1))
    <CampaignState.DRAFT: 'draft'>
    """
    if campaign.status == "closed":
        return CampaignState.CLOSED
    if campaign.status == "draft":
        return CampaignState.DRAFT
    if campaign.closes_on < day:
        return CampaignState.CLOSED
    if campaign.opens_on > day:
        return CampaignState.NOT_YET_OPEN
    return CampaignState.OPEN


class HasCloseDay(HasDates, Protocol):
    @property
    def closed_on(self) -> date | None: ...


def closed_since(campaign: HasCloseDay, day: date) -> date | None:
    """The day the respondents' pages say the campaign closed: the day an admin closed it, or its last day
    once that has passed, whichever came first; ``None`` when it is not closed on ``day`` or the day is not
    known (closed by hand before the day was recorded, its planned last day still ahead).

    >>> from types import SimpleNamespace as C
    >>> planned = dict(opens_on=date(2026, 1, 5), closes_on=date(2026, 1, 31))
    >>> closed_since(C(status="closed", closed_on=date(2026, 1, 20), **planned), date(2026, 1, 25))
    datetime.date(2026, 1, 20)
    >>> closed_since(C(status="open", closed_on=None, **planned), date(2026, 2, 3))
    datetime.date(2026, 1, 31)
    >>> closed_since(C(status="closed", closed_on=None, **planned), date(2026, 1, 25)) is None
    True
    """
    if state(campaign, day) is not CampaignState.CLOSED:
        return None
    days = [d for d in (campaign.closed_on, campaign.closes_on if campaign.closes_on < day else None) if d]
    return min(days) if days else None


def closed_on(day: date) -> ColumnElement[bool]:
    """SQL for :func:`state` being ``CLOSED`` on ``day``, for queries over many campaigns."""
    return or_(Campaign.status == "closed", (Campaign.status != "draft") & (Campaign.closes_on < day))
