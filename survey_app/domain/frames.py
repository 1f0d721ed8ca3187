"""Population lists (frames), the sample plan, the recorded draw and the deletion of contacts.

An upload is validated whole by :func:`scoring.frames.validate_frame` and stored all or nothing: every problem
is listed by row and column (:class:`FrameRejectedError`) and nothing is written. After the upload, contacts
are shown to nobody: the console and the command line show counts per unit and group only.

The draw (:func:`draw_campaign`) runs :func:`scoring.sampling.draw_sample` (seeded, stratified by unit ×
group) over the campaign's contacts in upload order, records the seed, the frame hash and the sizes
(:class:`~survey_app.models.SampleDraw`, one per campaign: a second draw is refused), and issues one
invitation per drawn contact with its stratum and design weight ``N_h / n_h``. The invitation's token is
never shown to anyone: its stored hash is of a random token thrown away at once, and the delivery gives the
invitation a fresh token when it sends it (:func:`rekey_invitation`), straight into the message. The contact
points to its invitation, the invitation to nothing, and no response to an invitation.

:func:`purge_contacts` (the daily retention task) deletes the contacts of campaigns closed more than
``CONTACT_RETENTION_DAYS`` ago, with an audit entry; the frames' sizes stay (the results are weighted to
them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import delete, func, select

from questionnaires.problems import Msg
from scoring.frames import ColumnMapping, FrameProblem, frame_hash, read_table, validate_frame
from scoring.sampling import DrawMethod, draw_sample, plan_sample, sample_size
from survey_app.domain.accounts import audit
from survey_app.domain.errors import N_, DomainError, Joined
from survey_app.extensions import db
from survey_app.models import Campaign, Invitation, ScoreRun, Unit, User
from survey_app.models.frames import FrameContact, PopulationFrame, SampleDraw
from survey_app.models.types import utcnow
from survey_app.tokens import new_token, token_hash

#: Problems listed in an error message at most (the console lists them all).
SHOWN_PROBLEMS = 50


class FrameRejectedError(DomainError):
    """An upload with problems: nothing was stored. ``problems`` lists every one by row and column."""

    def __init__(self, source: str, problems: tuple[FrameProblem, ...]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}: {p}" for p in problems[:SHOWN_PROBLEMS]]
        if len(problems) > SHOWN_PROBLEMS:
            lines.append(f"… and {len(problems) - SHOWN_PROBLEMS} more problem(s)")
        super().__init__(f"{source}: {len(problems)} problem(s), nothing was stored:\n" + "\n".join(lines))


@dataclass(frozen=True)
class FrameCount:
    """What the console shows of a frame: never a contact."""

    unit: str
    group: str
    size: int
    drawn: int
    contacts_deleted: bool


def campaign_groups(campaign: Campaign) -> set[str]:
    return {q.respondent_group for q in campaign.questionnaires}


def _draw_of(campaign: Campaign) -> SampleDraw | None:
    return db.session.scalar(select(SampleDraw).where(SampleDraw.campaign_id == campaign.id))


def upload_frame(
    campaign: Campaign,
    data: bytes,
    filename: str,
    mapping: ColumnMapping,
    *,
    group: str | None = None,
    user: User | None,
    sheet: str | None = None,
) -> list[FrameCount]:
    """Validate and store a population list (CSV or XLSX) for ``campaign`` (flushed, not committed).

    Without a group column in ``mapping`` every row belongs to ``group``. The frames of the unit × group
    pairs in the file replace earlier uploads of the same pairs; after the draw, uploads are refused.
    """
    if _draw_of(campaign) is not None:
        raise DomainError(
            N_("campaign %(slug)s: the sample has been drawn; the frames can no longer change"),
            slug=campaign.slug,
        )
    groups = campaign_groups(campaign)
    if mapping.group is None:
        if group is None:
            raise DomainError(
                N_("%(filename)s: map a group column or choose the group of every row"), filename=filename
            )
        if group not in groups:
            raise DomainError(
                N_("campaign %(slug)s has no questionnaire for group %(group)s (it has: %(groups)s)"),
                slug=campaign.slug,
                group=repr(group),
                groups=", ".join(sorted(groups)) or "none",
            )
    units = {u.code: u for u in campaign.institution.units}
    table, problems = read_table(data, filename=filename, sheet=sheet)
    if table is None or problems:
        raise FrameRejectedError(filename, tuple(problems))
    result = validate_frame(table, mapping, known_units=set(units), known_groups=groups)
    if not result.ok or result.frame is None or result.hash is None:
        raise FrameRejectedError(filename, result.problems)
    frame = result.frame
    if "group" not in frame.columns:
        frame = frame.assign(group=group)
    actor = user.email if user is not None else "system"
    stored = []
    for (unit_code, grp), rows in frame.groupby(["unit", "group"], sort=True):
        unit = units[str(unit_code)]
        db.session.execute(
            delete(PopulationFrame).where(
                PopulationFrame.campaign_id == campaign.id,
                PopulationFrame.unit_id == unit.id,
                PopulationFrame.respondent_group == str(grp),
            )
        )
        pf = PopulationFrame(
            campaign_id=campaign.id,
            unit_id=unit.id,
            respondent_group=str(grp),
            size=len(rows),
            upload_hash=result.hash,
            uploaded_at=utcnow(),
            uploaded_by=actor,
        )
        db.session.add(pf)
        db.session.flush()
        aux = list(mapping.auxiliary)
        db.session.add_all(
            FrameContact(
                frame_id=pf.id,
                position=position,
                email=str(record.get("email", "") or ""),
                phone=str(record.get("phone", "") or ""),
                auxiliary={a: record[a] for a in aux},
            )
            for position, record in enumerate(rows.to_dict(orient="records"))
        )
        stored.append({"unit": unit.code, "group": str(grp), "size": len(rows)})
    db.session.flush()
    audit(
        "frames.upload",
        f"campaign:{campaign.slug}",
        user=user,
        file=filename,
        frame_hash=result.hash,
        rows=len(frame),
        frames=stored,
    )
    return frame_counts(campaign)


def frame_counts(campaign: Campaign) -> list[FrameCount]:
    """Population, drawn contacts and whether the contacts are gone, per unit and group."""
    drawn = func.count(FrameContact.invitation_id)
    rows = db.session.execute(
        select(
            Unit.code,
            PopulationFrame.respondent_group,
            PopulationFrame.size,
            drawn,
            PopulationFrame.contacts_deleted_at,
        )
        .join(Unit, Unit.id == PopulationFrame.unit_id)
        .outerjoin(FrameContact, FrameContact.frame_id == PopulationFrame.id)
        .where(PopulationFrame.campaign_id == campaign.id)
        .group_by(
            Unit.code,
            PopulationFrame.respondent_group,
            PopulationFrame.size,
            PopulationFrame.contacts_deleted_at,
        )
        .order_by(Unit.code, PopulationFrame.respondent_group)
    )
    return [FrameCount(u, g, int(s), int(d), deleted is not None) for u, g, s, d, deleted in rows]


def frame_populations(campaign: Campaign) -> pd.DataFrame:
    """``unit, group, population`` of the campaign's frames (what the results are weighted to)."""
    counts = frame_counts(campaign)
    return pd.DataFrame(
        [{"unit": c.unit, "group": c.group, "population": float(c.size)} for c in counts],
        columns=["unit", "group", "population"],
    )


#: The allocations the console offers: each unit meets the target by itself (the SPI rule), or a group's
#: sample (the size that meets the target for the group's whole population) shared over its units.
ALLOCATIONS: tuple[str, ...] = ("per_unit", "proportional", "equal", "neyman")


@dataclass(frozen=True)
class PlanPriors:
    """What the last campaign of the institution tells the plan: its response rate and, from its newest run,
    the standard deviation of the respondent score per unit × group (Neyman allocation)."""

    previous: str | None = None
    response_rate: float | None = None
    sd: dict[tuple[str, str], float] | None = None
    #: Why Neyman allocation is not available (``None``: it is): ``no_campaign`` (no earlier campaign),
    #: ``no_results`` (it has no computed results), ``no_sd`` (they give no SD per unit and group).
    no_neyman: str | None = None

    @property
    def why(self) -> Msg:
        """``no_neyman`` in words, to translate (``str()``: the English, for the command line)."""
        if self.no_neyman == "no_campaign":
            return Msg(N_("there is no earlier campaign of this institution to take the SDs from"))
        if self.no_neyman == "no_results":
            return Msg(
                N_("the last campaign (%(slug)s) has no computed results to take the SDs from"),
                slug=self.previous,
            )
        if self.no_neyman == "no_sd":
            return Msg(
                N_("the results of the last campaign (%(slug)s) give no SD per unit and group"),
                slug=self.previous,
            )
        return Joined(())  # nothing to say (and no catalog lookup of "")


def plan_priors(campaign: Campaign) -> PlanPriors:
    """The priors of :class:`PlanPriors` from the institution's latest campaign that opened before this one.

    The response rate is its invitations used over those issued (revoked ones left out). The standard
    deviation of unit × group ``h`` is ``se_h sqrt(n_h)`` from the ``groups`` table of its newest run (the
    respondent score, 0–100); where that run applied a finite population correction this understates the
    SD a little, in proportion to ``sqrt(1 - n_h / N_h)``. Only the allocation uses these figures: the plan
    shows no score.
    """
    earlier = db.session.scalars(
        select(Campaign)
        .where(
            Campaign.institution_id == campaign.institution_id,
            Campaign.id != campaign.id,
            Campaign.opens_on < campaign.opens_on,
        )
        .order_by(Campaign.opens_on.desc(), Campaign.id.desc())
        .limit(1)
    ).first()
    if earlier is None:
        return PlanPriors(no_neyman="no_campaign")
    states = dict(
        db.session.execute(
            select(Invitation.state, func.count())
            .where(Invitation.campaign_id == earlier.id)
            .group_by(Invitation.state)
        ).all()
    )
    used, base = int(states.get("spent", 0)), int(states.get("spent", 0)) + int(states.get("issued", 0))
    rate = round(used / base, 2) if base and used else None
    run = db.session.scalars(
        select(ScoreRun).where(ScoreRun.campaign_id == earlier.id).order_by(ScoreRun.id.desc()).limit(1)
    ).first()
    if run is None or "groups" not in run.results:
        return PlanPriors(earlier.slug, rate, no_neyman="no_results")
    stored = run.results["groups"]
    groups = pd.DataFrame(stored["data"], columns=stored["columns"])
    sds: dict[tuple[str, str], float] = {}
    if {"unit", "group", "se", "n"} <= set(groups.columns):
        for unit, grp, se, n in groups[["unit", "group", "se", "n"]].itertuples(index=False):
            se_f, n_f = pd.to_numeric(se, errors="coerce"), pd.to_numeric(n, errors="coerce")
            if unit is None or pd.isna(unit) or pd.isna(se_f) or pd.isna(n_f) or n_f < 2:
                continue
            sds[(str(unit), str(grp))] = float(se_f) * float(n_f) ** 0.5
    if not sds or not any(v > 0 for v in sds.values()):
        return PlanPriors(earlier.slug, rate, no_neyman="no_sd")
    return PlanPriors(earlier.slug, rate, sds)


def sample_plan(
    campaign: Campaign,
    *,
    moe: float = 0.05,
    confidence: float = 0.95,
    response_rate: float = 1.0,
    minimum: int = 0,
    allocation: str = "per_unit",
    census_below: int = 0,
    priors: PlanPriors | None = None,
) -> pd.DataFrame:
    """The sample size per unit and group with its expected margin of error (:func:`plan_sample`), before
    anything is drawn: ``unit, group, N, n, n_invite, expected_moe`` (and ``sd`` for Neyman).

    ``per_unit``: each unit × group gets the size that meets ``moe`` by itself. Otherwise each group (a
    separate population) gets the size that meets ``moe`` for its whole population, allocated over its units
    ``proportional`` to their size, ``equal``, or ``neyman`` (``N_h S_h``, the SDs of :func:`plan_priors`;
    a unit the last campaign did not have gets the largest SD known, so it is not undersampled). Units of at
    most ``census_below`` people are taken whole; every unit gets at least ``minimum`` respondents; when the
    two take more than the group's size, the group's total grows to what they take.
    """
    if allocation not in ALLOCATIONS:
        raise DomainError(
            N_("allocation must be one of %(known)s, not %(allocation)s"),
            known=", ".join(ALLOCATIONS),
            allocation=repr(allocation),
        )
    strata = pd.DataFrame(
        [{"unit": c.unit, "group": c.group, "N": c.size} for c in frame_counts(campaign)],
        columns=["unit", "group", "N"],
    )
    if strata.empty:
        raise DomainError(
            N_("campaign %(slug)s has no population list yet: upload one first"), slug=campaign.slug
        )
    if census_below < 0:
        raise DomainError(
            N_("the census threshold must be a non-negative whole number, got %(value)s"), value=census_below
        )
    settings: dict[str, Any] = {
        "moe": moe,
        "confidence": confidence,
        "response_rate": response_rate,
        "minimum": minimum,
        "census_below": census_below,
    }
    try:
        if allocation == "per_unit":
            return plan_sample(strata, **settings)
        if allocation == "neyman":
            priors = priors if priors is not None else plan_priors(campaign)
            if priors.sd is None:
                raise DomainError(N_("Neyman allocation is not available: %(why)s"), why=priors.why)
            largest = max(priors.sd.values())
            strata["sd"] = [
                priors.sd.get((u, g), largest) for u, g in zip(strata["unit"], strata["group"], strict=True)
            ]
        parts = []
        for _, rows in strata.groupby("group", sort=True):
            sizes = rows["N"].to_numpy()
            total = int(sample_size([int(sizes.sum())], moe=moe, confidence=confidence)["n"].iloc[0])
            # Whole small units and minimums come on top of what the target needs, never out of it.
            taken = int(sum(n if n <= census_below else min(minimum, n) for n in sizes))
            parts.append(
                plan_sample(
                    rows.reset_index(drop=True),
                    allocation=allocation,  # type: ignore[arg-type]
                    total=max(total, taken),
                    sd="sd" if allocation == "neyman" else None,
                    **settings,
                )
            )
    except ValueError as error:
        raise DomainError(str(error)) from error
    return pd.concat(parts, ignore_index=True).sort_values(["unit", "group"], ignore_index=True)


def _contacts_frame(campaign: Campaign) -> tuple[pd.DataFrame, list[int]]:
    rows = db.session.execute(
        select(
            FrameContact.id,
            Unit.code,
            PopulationFrame.respondent_group,
            FrameContact.email,
            FrameContact.phone,
        )
        .join(PopulationFrame, PopulationFrame.id == FrameContact.frame_id)
        .join(Unit, Unit.id == PopulationFrame.unit_id)
        .where(PopulationFrame.campaign_id == campaign.id)
        .order_by(PopulationFrame.id, FrameContact.position)
    ).all()
    ids = [r[0] for r in rows]
    frame = pd.DataFrame([r[1:] for r in rows], columns=["unit", "group", "email", "phone"], dtype=object)
    return frame, ids


def draw_campaign(
    campaign: Campaign,
    plan: pd.DataFrame,
    *,
    seed: int,
    user: User | None,
    method: DrawMethod = "srs",
    settings: dict[str, Any] | None = None,
) -> SampleDraw:
    """Draw the sample ``plan`` (``unit, group, n_invite``) from the campaign's frames and issue its
    invitations (flushed, not committed). Refused when the campaign has been drawn already.

    ``settings`` (the plan's allocation, target, confidence, expected response rate, minimum, census
    threshold) are recorded with the draw and in the audit entry; monitoring compares the response rate and
    the margin of error reached with them."""
    earlier = _draw_of(campaign)
    if earlier is not None:
        raise DomainError(
            N_(
                "campaign %(slug)s was drawn on %(drawn_at)s UTC by %(drawn_by)s (seed "
                "%(seed)s); a draw is not repeated"
            ),
            slug=campaign.slug,
            drawn_at=format(earlier.drawn_at, "%Y-%m-%d %H:%M"),
            drawn_by=earlier.drawn_by,
            seed=earlier.seed,
        )
    if not campaign.allow_invitation:
        raise DomainError(
            N_("campaign %(slug)s does not use invitations (open access only)"), slug=campaign.slug
        )
    if seed < 0:
        raise DomainError(N_("the seed must be a non-negative integer, got %(seed)s"), seed=seed)
    frame, ids = _contacts_frame(campaign)
    if frame.empty:
        raise DomainError(
            N_("campaign %(slug)s has no population list yet: upload one first"), slug=campaign.slug
        )
    missing = {"unit", "group", "n_invite"} - set(plan.columns)
    if missing:
        raise DomainError(
            N_("the sample plan needs the column(s) %(missing)s"), missing=", ".join(sorted(missing))
        )
    sizes = {
        (str(u), str(g)): int(n) for u, g, n in plan[["unit", "group", "n_invite"]].itertuples(index=False)
    }
    try:
        sample, record = draw_sample(
            frame.assign(contact=ids),
            ["unit", "group"],
            {k: sizes.get(k, 0) for k in set(zip(frame["unit"], frame["group"], strict=True))},
            seed=seed,
            method=method,
            id_column="contact",
            # The hash of what anyone re-running the draw has (the lists, in upload order), not of our ids.
            known_hash=frame_hash(frame),
        )
    except ValueError as error:
        raise DomainError(N_("campaign %(slug)s: %(error)s"), slug=campaign.slug, error=error) from error
    units = {u.code: u.id for u in campaign.institution.units}
    contacts = {c.id: c for c in db.session.scalars(select(FrameContact).where(FrameContact.id.in_(ids)))}
    for unit, grp, weight, contact in zip(
        sample["unit"].astype(str),
        sample["group"].astype(str),
        sample["weight"].astype(float),
        sample["row"].astype(int),
        strict=True,
    ):
        invitation = Invitation(
            # A random token nobody ever sees: the invitation is given its real token when it is sent.
            token_hash=token_hash(new_token()),
            campaign_id=campaign.id,
            respondent_group=grp,
            unit_id=units[unit],
            stratum=f"{unit}|{grp}",
            weight=weight,
            state="issued",
        )
        db.session.add(invitation)
        db.session.flush()
        contacts[contact].invitation_id = invitation.id
    details = record.to_dict()
    if settings:
        details["plan"] = dict(settings)
    draw = SampleDraw(
        campaign_id=campaign.id,
        seed=seed,
        frame_hash=record.frame_hash,
        record=details,
        drawn_at=utcnow(),
        drawn_by=user.email if user is not None else "system",
    )
    db.session.add(draw)
    db.session.flush()
    audit(
        "frames.draw",
        f"campaign:{campaign.slug}",
        user=user,
        seed=seed,
        method=method,
        frame_hash=record.frame_hash,
        drawn=len(sample),
        sizes=details["sizes"],
        plan=details.get("plan", {}),
    )
    return draw


def rekey_invitation(invitation: Invitation) -> str:
    """A fresh token for a drawn invitation, for the message that sends it (the only time it exists)."""
    if invitation.state != "issued":
        raise DomainError(
            N_("invitation %(id)s is %(state)s: it is not sent again"),
            id=invitation.id,
            state=invitation.state,
        )
    token = new_token()
    invitation.token_hash = token_hash(token)
    db.session.flush()
    return token


def purge_contacts(today: date, retention_days: int) -> list[dict[str, Any]]:
    """Delete the contacts of every campaign closed more than ``retention_days`` ago (flushed), each with an
    audit entry; returns what was deleted per campaign."""
    cutoff = today - timedelta(days=retention_days)
    frames = db.session.scalars(
        select(PopulationFrame)
        .join(Campaign, Campaign.id == PopulationFrame.campaign_id)
        .where(Campaign.closes_on < cutoff, PopulationFrame.contacts_deleted_at.is_(None))
        .order_by(PopulationFrame.campaign_id, PopulationFrame.id)
    ).all()
    done: dict[int, dict[str, Any]] = {}
    now = utcnow()
    for pf in frames:
        deleted = (
            db.session.scalar(
                select(func.count()).select_from(FrameContact).where(FrameContact.frame_id == pf.id)
            )
            or 0
        )
        db.session.execute(delete(FrameContact).where(FrameContact.frame_id == pf.id))
        pf.contacts_deleted_at = now
        entry = done.setdefault(
            pf.campaign_id,
            {"campaign": pf.campaign.slug, "closes_on": pf.campaign.closes_on.isoformat(), "contacts": 0},
        )
        entry["contacts"] += int(deleted or 0)
    for entry in done.values():
        audit(
            "frames.contacts_deleted",
            f"campaign:{entry['campaign']}",
            user=None,
            contacts=entry["contacts"],
            closes_on=entry["closes_on"],
            retention_days=retention_days,
        )
    db.session.flush()
    return list(done.values())
