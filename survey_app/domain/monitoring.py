"""Monitoring of a drawn sample per unit and group: what was drawn, delivered, started and finished, the
margin of error reached so far, and whether the unit will reach the minimum cell size to be published.

Counts only, never a person: a contact is counted through its stratum, a draft through its invitation's
stratum (a draft is keyed by its invitation's token hash by design), a finished answer through its spent
invitation (``responses`` are never read here, so the sealed holding area keeps its promise).

The projection "at the current pace" assumes answers keep arriving at the average daily rate since the
campaign opened until it closes: ``finished × open days / days so far``, at most the sample still able to
answer. "Not at all" means that even if every outstanding invitation is answered the unit stays below the
minimum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, select

from scoring.sampling import expected_moe
from survey_app.extensions import db
from survey_app.models import Campaign, Draft, Invitation, Unit
from survey_app.models.frames import DeliveryEntry, FrameContact, PopulationFrame, SampleDraw


@dataclass
class SampleRow:
    """One unit × group of a campaign with a population list."""

    unit_code: str
    unit_name: str
    group: str
    population: int
    sample: int = 0
    delivered: int = 0
    failed: int = 0
    bounced: int = 0
    #: Drawn people who asked for no more messages (the opt-out link).
    opted_out: int = 0
    started: int = 0
    finished: int = 0
    revoked: int = 0
    reminders: int = 0
    expected_rate: float | None = None
    #: Margin of error of a proportion (p from the plan, 0.5 by default) from the finished answers.
    moe: float | None = None
    target_moe: float | None = None
    projected: float | None = None
    #: ``None``, ``"pace"`` (below the minimum at the current pace) or ``"never"`` (cannot reach it).
    warning: str | None = None

    @property
    def rate(self) -> float | None:
        """Finished over the sample (revoked invitations left out)."""
        base = self.sample - self.revoked
        return self.finished / base if base > 0 else None

    @property
    def behind(self) -> bool:
        """The response rate is below the expected one."""
        return self.rate is not None and self.expected_rate is not None and self.rate < self.expected_rate


def _delivery_counts(campaign: Campaign) -> dict[int, dict[str, int]]:
    """Per frame id, from the delivery log: people whose invitation was delivered / failed / bounced, and
    reminders sent. Aggregated in the database (a large campaign's log has a row per message).

    Each person counts once, in one of the three: bounced when any message to them bounced (an invitation
    or a reminder: they get no further message), else delivered when their invitation went out, else failed
    (every attempt failed). A gateway's bounce report turns a ``sent`` entry into ``bounced``, so a bounced
    invitation leaves no ``sent`` one behind."""
    invited = func.max(case((DeliveryEntry.kind == "invitation", 1), else_=0))
    sent = func.max(
        case((and_(DeliveryEntry.kind == "invitation", DeliveryEntry.status == "sent"), 1), else_=0)
    )
    bounced = func.max(case((DeliveryEntry.status == "bounced", 1), else_=0))
    per_contact = (
        select(
            FrameContact.frame_id.label("frame_id"),
            invited.label("invited"),
            sent.label("sent"),
            bounced.label("bounced"),
        )
        .select_from(DeliveryEntry)
        .join(FrameContact, FrameContact.id == DeliveryEntry.contact_id)
        .where(DeliveryEntry.campaign_id == campaign.id)
        .group_by(FrameContact.frame_id, DeliveryEntry.contact_id)
        .subquery()
    )
    c = per_contact.c
    out: dict[int, dict[str, int]] = {}
    # A contact whose first attempt failed and a later one went out counts as delivered.
    for frame_id, delivered, bounced_n, failed in db.session.execute(
        select(
            c.frame_id,
            func.sum(case((c.bounced == 0, c.sent), else_=0)),
            func.sum(c.bounced),
            func.sum(case((and_(c.bounced == 0, c.sent == 0, c.invited == 1), 1), else_=0)),
        ).group_by(c.frame_id)
    ):
        out[int(frame_id)] = {
            "delivered": int(delivered or 0),
            "bounced": int(bounced_n or 0),
            "failed": int(failed or 0),
        }
    for frame_id, opted_out in db.session.execute(
        select(FrameContact.frame_id, func.count())
        .join(PopulationFrame, PopulationFrame.id == FrameContact.frame_id)
        .where(PopulationFrame.campaign_id == campaign.id, FrameContact.opted_out_at.is_not(None))
        .group_by(FrameContact.frame_id)
    ):
        out.setdefault(int(frame_id), {})["opted_out"] = int(opted_out)
    for frame_id, reminders in db.session.execute(
        select(FrameContact.frame_id, func.count())
        .select_from(DeliveryEntry)
        .join(FrameContact, FrameContact.id == DeliveryEntry.contact_id)
        .where(
            DeliveryEntry.campaign_id == campaign.id,
            DeliveryEntry.kind == "reminder",
            DeliveryEntry.status == "sent",
        )
        .group_by(FrameContact.frame_id)
    ):
        out.setdefault(int(frame_id), {})["reminders"] = int(reminders)
    return out


def _plan_settings(draw: SampleDraw | None) -> dict[str, Any]:
    if draw is None:
        return {}
    plan = draw.record.get("plan") if isinstance(draw.record, dict) else None
    return plan if isinstance(plan, dict) else {}


def sample_monitoring(campaign: Campaign, day: date) -> list[SampleRow]:
    """Rows per unit × group with a population list, in unit code then group order; empty without lists."""
    frames = db.session.execute(
        select(
            PopulationFrame.id, Unit.code, Unit.name, PopulationFrame.respondent_group, PopulationFrame.size
        )
        .join(Unit, Unit.id == PopulationFrame.unit_id)
        .where(PopulationFrame.campaign_id == campaign.id)
        .order_by(Unit.code, PopulationFrame.respondent_group)
    ).all()
    if not frames:
        return []
    draw = db.session.scalar(select(SampleDraw).where(SampleDraw.campaign_id == campaign.id))
    settings = _plan_settings(draw)
    drawn_sizes: dict[str, int] = {}
    if draw is not None:
        for size in draw.record.get("sizes", []):
            stratum = size.get("stratum")
            if isinstance(stratum, list) and len(stratum) == 2:
                drawn_sizes[f"{stratum[0]}|{stratum[1]}"] = int(size.get("n_h", 0))
    # The invitations of the draw carry the stratum "unit|group"; hand-issued ones do not count here.
    states: dict[tuple[str, str], int] = {}
    for stratum, state, count in db.session.execute(
        select(Invitation.stratum, Invitation.state, func.count())
        .where(Invitation.campaign_id == campaign.id, Invitation.stratum.is_not(None))
        .group_by(Invitation.stratum, Invitation.state)
    ):
        states[(str(stratum), str(state))] = int(count)
    started: dict[str, int] = dict(
        (str(s), int(n))
        for s, n in db.session.execute(
            select(Invitation.stratum, func.count())
            .join(Draft, and_(Draft.key == Invitation.token_hash, Draft.campaign_id == campaign.id))
            .where(Invitation.campaign_id == campaign.id, Invitation.state == "issued")
            .group_by(Invitation.stratum)
        )
    )
    delivery = _delivery_counts(campaign)
    expected_rate = settings.get("response_rate")
    target = settings.get("moe")
    confidence = float(settings.get("confidence", 0.95))
    p = float(settings.get("p", 0.5))
    open_days = (campaign.closes_on - campaign.opens_on).days + 1
    so_far = min((day - campaign.opens_on).days + 1, open_days)
    rows = []
    for frame_id, code, name, group, size in frames:
        stratum = f"{code}|{group}"
        row = SampleRow(code, name, group, int(size))
        row.finished = states.get((stratum, "spent"), 0)
        row.revoked = states.get((stratum, "revoked"), 0)
        outstanding = states.get((stratum, "issued"), 0)
        row.sample = drawn_sizes.get(stratum, row.finished + row.revoked + outstanding)
        row.started = started.get(stratum, 0) + row.finished
        counts = delivery.get(frame_id, {})
        row.delivered = counts.get("delivered", 0)
        row.failed = counts.get("failed", 0)
        row.bounced = counts.get("bounced", 0)
        row.opted_out = counts.get("opted_out", 0)
        row.reminders = counts.get("reminders", 0)
        row.expected_rate = float(expected_rate) if expected_rate is not None else None
        row.target_moe = float(target) if target is not None else None
        if row.sample:
            reached = float(expected_moe([row.population], [row.finished], confidence=confidence, p=p)[0])
            row.moe = reached if math.isfinite(reached) else None
            row.warning = _warning(campaign.min_cell, row.finished, outstanding, so_far, open_days)
            if so_far >= 1:
                row.projected = min(row.finished + outstanding, row.finished * open_days / so_far)
        rows.append(row)
    return rows


def _warning(minimum: int, finished: int, outstanding: int, so_far: int, open_days: int) -> str | None:
    if finished >= minimum:
        return None
    if finished + outstanding < minimum:
        return "never"
    if so_far >= 1 and math.floor(min(finished + outstanding, finished * open_days / so_far)) < minimum:
        return "pace"
    return None
