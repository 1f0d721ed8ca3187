"""Deleting drafts that can no longer become responses, or that were abandoned.

A draft holds answers in progress together with times (for the duration of the response), so it should not
outlive its use: the respondent flow deletes it when the response is stored; this module deletes the rest.

* drafts of campaigns that are closed (status ``closed`` or past the close date): they can never be
  submitted;
* open-access drafts untouched for ``older_than`` (default 30 days): the key lives only in one browser's
  session cookie, so an old one is almost surely abandoned;
* invitation drafts of running campaigns are kept: the link still resumes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select

from survey_app.domain import campaigns
from survey_app.extensions import db
from survey_app.models import Campaign, Draft, Invitation


@dataclass(frozen=True)
class PurgeCount:
    closed_campaigns: int
    abandoned_open_access: int


def purge_drafts(now: datetime, today: date, older_than: timedelta, *, dry_run: bool = False) -> PurgeCount:
    """Delete (or with ``dry_run`` only count) the drafts described in the module docstring; flushed, not
    committed."""
    closed = select(Campaign.id).where(campaigns.closed_on(today))
    of_closed = Draft.campaign_id.in_(closed)
    # An invitation draft is keyed by the invitation's token hash; any other draft is open access.
    open_access = ~select(Invitation.id).where(Invitation.token_hash == Draft.key).exists()
    abandoned = open_access & (Draft.updated_at < now - older_than) & ~of_closed
    counts = []
    for condition in (of_closed, abandoned):
        if dry_run:
            counts.append(len(db.session.scalars(select(Draft.key).where(condition)).all()))
        else:
            result = db.session.execute(
                delete(Draft).where(condition).execution_options(synchronize_session=False)
            )
            counts.append(int(result.rowcount))  # type: ignore[attr-defined]
    return PurgeCount(closed_campaigns=counts[0], abandoned_open_access=counts[1])
