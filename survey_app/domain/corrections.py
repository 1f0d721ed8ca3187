"""Correction cases: how many cases of each of the profile's correction rules (substantiated complaints,
LHKPN non-compliance, corruption cases, coached respondents) were found for a campaign's institution.

Entered in the console, audit-logged there, and read by the results computation
(:func:`survey_app.domain.results.runs.compute_run`), which deducts the profile's points from the
institution's index (:func:`scoring.index.corrections.correction_points`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select

from questionnaires.profile import ScoringProfile
from survey_app.domain.errors import N_, NONE, DomainError
from survey_app.extensions import db
from survey_app.models import Campaign, CorrectionCase
from survey_app.models.types import utcnow


@dataclass(frozen=True)
class EnteredCases:
    cases: int
    source: str


def entered_cases(campaign: Campaign) -> dict[str, EnteredCases]:
    """The cases entered for ``campaign``, by rule id."""
    rows = db.session.scalars(select(CorrectionCase).where(CorrectionCase.campaign_id == campaign.id))
    return {row.rule: EnteredCases(row.cases, row.source) for row in rows}


def set_cases(
    campaign: Campaign, profile: ScoringProfile, cases: Mapping[str, int], source: str, *, actor: str
) -> dict[str, int]:
    """Store the number of cases per rule (0 removes a rule's row); returns what changed, by rule.

    Refuses (nothing stored) a rule the campaign's profile does not define or a negative count.
    """
    rules = {r.id for r in profile.corrections}
    unknown = sorted(set(cases) - rules)
    if unknown:
        raise DomainError(
            N_("correction rule(s) %(rules)s not in profile %(profile)s (it has: %(known)s)"),
            rules=", ".join(unknown),
            profile=profile.id,
            known=", ".join(sorted(rules)) or NONE,
        )
    negative = sorted(rule for rule, n in cases.items() if n < 0)
    if negative:
        raise DomainError(N_("the number of cases must be 0 or more (%(rules)s)"), rules=", ".join(negative))
    stored = {
        row.rule: row
        for row in db.session.scalars(select(CorrectionCase).where(CorrectionCase.campaign_id == campaign.id))
    }
    changed: dict[str, int] = {}
    for rule, count in cases.items():
        row = stored.get(rule)
        before = row.cases if row is not None else 0
        if row is not None and count == 0:
            db.session.delete(row)
        elif row is None and count > 0:
            db.session.add(
                CorrectionCase(
                    campaign_id=campaign.id,
                    rule=rule,
                    cases=count,
                    source=source,
                    entered_by=actor,
                    entered_at=utcnow(),
                )
            )
        elif row is not None and (row.cases != count or row.source != source):
            row.cases, row.source, row.entered_by, row.entered_at = count, source, actor, utcnow()
        if count != before:
            changed[rule] = count
    db.session.flush()
    return changed


def cases_frame(campaign: Campaign) -> pd.DataFrame | None:
    """The entered cases as :func:`scoring.index.corrections.correction_points` reads them
    (``institution, rule, cases``), or ``None`` when none were entered."""
    entered = entered_cases(campaign)
    if not entered:
        return None
    return pd.DataFrame(
        {
            "institution": [campaign.institution.code] * len(entered),
            "rule": list(entered),
            "cases": [e.cases for e in entered.values()],
        }
    )
