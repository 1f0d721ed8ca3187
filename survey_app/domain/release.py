"""Releasing finished responses from the sealed holding area into ``responses``, in shuffled batches.

The final submit stores a response in ``held_responses`` in the transaction that spends its invitation
(:mod:`survey_app.respondent.store`). Here, in a later transaction, a campaign's held responses move to
``responses`` together, in random order and with new random ids, once at least :func:`batch_size` of them
are held; the rest of the time (at the latest once a day, ``flask responses release``) and when the campaign
closes, whatever is held goes. So a response row never carries the transaction id (PostgreSQL's ``xmin``)
of the spending of its invitation, and neither its transaction nor its physical place (``ctid``, SQLite's
table order) gives away the order in which links were spent. What remains for an insider is written in
``docs/anonymity.md``.
"""

from __future__ import annotations

import functools
import random
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import Insert, Table, bindparam, delete, func, insert, select

from survey_app.domain import campaigns
from survey_app.extensions import db
from survey_app.models import Campaign, HeldResponse, Response

#: Shuffles with the operating system's randomness: the order must not be reproducible from a seed.
_SHUFFLE = random.SystemRandom()


def batch_size(min_cell: int, release_batch: int | None) -> int:
    """How many held responses a campaign releases at once: its ``release_batch``, else its minimum cell
    size (a batch then never holds fewer people than a published cell).

    >>> batch_size(5, None), batch_size(5, 20)
    (5, 20)
    """
    return max(1, int(release_batch or min_cell))


def release(campaign_id: int, *, at_least: int = 1) -> int:
    """Move the campaign's held responses into ``responses`` in random order if at least ``at_least`` are
    held; returns how many moved (flushed, not committed: the caller commits, in a transaction of its own).

    Two releases of one campaign never move the same response, nor split a batch: the campaign's row is
    locked first (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite has one writer at a time anyway), so the
    second waits and then finds what the first left.
    """
    db.session.execute(select(Campaign.id).where(Campaign.id == campaign_id).with_for_update())
    if db.session.get_bind().dialect.name == "postgresql":
        # One statement (the release runs during submits): the held rows deleted and inserted as responses
        # in random order (PostgreSQL's random(), seeded from the system's strong randomness per backend),
        # each with a new id, where at least ``at_least`` are held.
        return int(
            db.session.execute(_move_statement(), {"campaign": campaign_id, "at_least": at_least}).rowcount  # type: ignore[attr-defined]
        )
    held = db.session.scalars(select(HeldResponse).where(HeldResponse.campaign_id == campaign_id)).all()
    if not held or len(held) < at_least:
        return 0
    columns = [c.key for c in Response.__table__.columns if c.key != "id"]
    rows: list[dict[str, Any]] = [{c: getattr(h, c) for c in columns} for h in held]
    _SHUFFLE.shuffle(rows)
    db.session.execute(delete(HeldResponse).where(HeldResponse.id.in_([h.id for h in held])))
    # Inserted one batch, in the shuffled order, each with an id that was never the held row's.
    db.session.execute(insert(Response), [{"id": uuid.uuid4(), **row} for row in rows])
    return len(held)


@functools.cache
def _move_statement() -> Insert:
    held = cast(Table, HeldResponse.__table__)
    responses = cast(Table, Response.__table__)
    columns = [c.key for c in responses.columns if c.key != "id"]
    enough = select(func.count()).select_from(held).where(
        held.c.campaign_id == bindparam("campaign")
    ).scalar_subquery() >= bindparam("at_least")
    moved = (
        delete(held)
        .where(held.c.campaign_id == bindparam("campaign"), enough)
        .returning(*(held.c[c] for c in columns))
        .cte("moved")
    )
    shuffled = select(func.gen_random_uuid(), *(moved.c[c] for c in columns)).order_by(func.random())
    return insert(responses).from_select(["id", *columns], shuffled)


@dataclass(frozen=True)
class Released:
    campaign: str
    responses: int


def release_all_due(day: date, *, everything: bool = False) -> list[Released]:
    """The daily release: every campaign's held responses, whatever their number (``everything``), or only
    those of campaigns that are closed on ``day`` or whose batch is full (the default, for a frequent run)."""
    out = []
    held_campaigns = db.session.scalars(
        select(Campaign)
        .where(Campaign.id.in_(select(HeldResponse.campaign_id).distinct()))
        .order_by(Campaign.slug)
    ).all()
    for campaign in held_campaigns:
        closed = campaigns.state(campaign, day) is campaigns.CampaignState.CLOSED
        at_least = 1 if everything or closed else batch_size(campaign.min_cell, campaign.release_batch)
        moved = release(campaign.id, at_least=at_least)
        if moved:
            out.append(Released(campaign.slug, moved))
    return out
