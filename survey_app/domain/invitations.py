"""Invitations: issuing links (the only time a plain token exists)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from survey_app.domain.errors import DomainError
from survey_app.extensions import db
from survey_app.models import (
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
    """Create ``count`` invitations and return their tokens: the only time the plain tokens exist."""
    if count < 1:
        raise DomainError(f"count must be at least 1, got {count}")
    if not weight > 0:
        raise DomainError(f"weight must be greater than 0, got {weight}")
    configured = {q.respondent_group for q in campaign.questionnaires}
    if group not in configured:
        raise DomainError(
            f"campaign {campaign.slug} has no questionnaire for group {group!r} "
            f"(it has: {', '.join(sorted(configured)) or 'none'})"
        )
    if not campaign.allow_invitation:
        raise DomainError(f"campaign {campaign.slug} does not use invitations (open access only)")
    unit = db.session.scalar(
        select(Unit).where(Unit.institution_id == campaign.institution_id, Unit.code == unit_code)
    )
    if unit is None:
        raise DomainError(f"no unit {unit_code!r} in the institution of campaign {campaign.slug}")
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
    return tokens
