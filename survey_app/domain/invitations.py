"""Invitations: issuing links (the only time a plain token exists)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select

from survey_app.domain.errors import N_, NONE, DomainError
from survey_app.extensions import db
from survey_app.models import (
    GROUPS,
    Campaign,
    Invitation,
    Unit,
)
from survey_app.tokens import new_token, token_hash


def issue_invitations(
    campaign: Campaign,
    group: str,
    unit_code: str,
    count: int,
    *,
    stratum: str | None = None,
    weight: float = 1.0,
    progress: Iterable[int] | None = None,
) -> list[str]:
    """Create ``count`` invitations and return their tokens: the only time the plain tokens exist.

    The tokens come back in random order (not the order of the invitations' ids), so the position of a
    link in a printed sheet or a CSV says nothing about which invitation row it is."""
    if count < 1:
        raise DomainError(N_("count must be at least 1, got %(count)s"), count=count)
    if not weight > 0:
        raise DomainError(N_("weight must be greater than 0, got %(weight)s"), weight=weight)
    configured = {q.respondent_group for q in campaign.questionnaires}
    if group not in configured:
        raise DomainError(
            N_("campaign %(slug)s has no questionnaire for group %(group)s (it has: %(groups)s)"),
            slug=campaign.slug,
            group=repr(group),
            groups=", ".join(sorted(configured)) or NONE,
        )
    if not campaign.allow_invitation:
        raise DomainError(
            N_("campaign %(slug)s does not use invitations (open access only)"), slug=campaign.slug
        )
    unit = db.session.scalar(
        select(Unit).where(Unit.institution_id == campaign.institution_id, Unit.code == unit_code)
    )
    if unit is None:
        raise DomainError(
            N_("no unit %(unit)s in the institution of campaign %(slug)s"),
            unit=repr(unit_code),
            slug=campaign.slug,
        )
    tokens = []
    for _ in progress if progress is not None else range(count):
        token = new_token()
        tokens.append(token)
        db.session.add(
            Invitation(
                token_hash=token_hash(token),
                campaign_id=campaign.id,
                respondent_group=group,
                unit_id=unit.id,
                stratum=stratum,
                weight=weight,
                state="issued",
            )
        )
    db.session.flush()
    secrets.SystemRandom().shuffle(tokens)
    return tokens


@dataclass(frozen=True)
class IssuedBatch:
    """The invitations issued for one unit and group by :func:`issue_for_every_unit`."""

    unit_code: str
    unit_name: str
    group: str
    tokens: list[str]


def issue_for_every_unit(
    campaign: Campaign,
    counts: Mapping[str, int],
    *,
    employees_by_population: bool = False,
    limit: int,
) -> list[IssuedBatch]:
    """Invitations for every unit of the campaign's institution at once: ``counts[group]`` per unit (groups
    left out or 0 get none), in unit order, employees first.

    With ``employees_by_population``, each unit with a population size gets one internal invitation per
    person instead (a census of employees); units without one get ``counts["internal"]``. Refused (nothing
    issued) when no invitation would be issued or more than ``limit`` would.
    """
    units = db.session.scalars(
        select(Unit).where(Unit.institution_id == campaign.institution_id).order_by(Unit.code)
    ).all()
    if not units:
        raise DomainError(
            N_("the institution of campaign %(slug)s has no units yet (import them first)"),
            slug=campaign.slug,
        )
    unknown = sorted(g for g, n in counts.items() if n and g not in GROUPS)
    if unknown:
        raise DomainError(
            N_("unknown respondent group %(group)s (expected one of %(groups)s)"),
            group=", ".join(unknown),
            groups=", ".join(GROUPS),
        )
    plan: list[tuple[Unit, str, int]] = []
    for unit in units:
        for group in GROUPS:
            count = counts.get(group, 0) or 0
            if group == "internal" and employees_by_population and unit.population_size:
                count = unit.population_size
            if count < 0:
                raise DomainError(
                    N_("count must be at least 0, got %(count)s for group %(group)s"),
                    count=count,
                    group=group,
                )
            if count:
                plan.append((unit, group, count))
    total = sum(n for _, _, n in plan)
    if total == 0:
        raise DomainError(N_("no invitations to issue: give a number for at least one group"), catalog=True)
    if total > limit:
        raise DomainError(
            N_("%(total)s invitations at once is more than %(limit)s: issue fewer per unit, or download CSV"),
            total=total,
            limit=limit,
        )
    return [
        IssuedBatch(unit.code, unit.name, group, issue_invitations(campaign, group, unit.code, count))
        for unit, group, count in plan
    ]
