"""What the results pages show, from stored runs: the table per unit, the run a role may read, the trend
across an institution's campaigns, and whether a run may be published. The charts drawn from these are
:mod:`survey_app.reporting.charts`.

Every output (console page and charts, downloads, API) reads a run through :func:`shown_tables`, the run's
tables after :func:`survey_app.domain.disclosure.published_tables`: the same cells withheld, the same
rounding, everywhere.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import pandas as pd
from sqlalchemy import select

from survey_app.domain.disclosure import (
    KEYS,
    Blocker,
    effective_min_cell,
    profile_weights,
    publication_blockers,
    published_tables,
)
from survey_app.domain.disclosure_cache import cache_key, cached, run_identity
from survey_app.domain.disclosure_runs import withhold_changed
from survey_app.domain.errors import DomainError, NotFoundError
from survey_app.domain.results.runs import table_of, visible_run
from survey_app.extensions import db
from survey_app.models import AuditEntry, Campaign, ScoreRun


def run_tables(run: ScoreRun) -> dict[str, pd.DataFrame]:
    """The stored tables of ``run`` that disclosure control covers, raw (never shown as they are)."""
    return {name: table_of(run, name) for name in KEYS if name in run.results}


def cell_weights(run: ScoreRun) -> pd.DataFrame | None:
    """The sum of the design weights per unit × group of ``run`` (runs before population weighting: none,
    and the units count by their respondents)."""
    return table_of(run, "cell_weights") if "cell_weights" in run.results else None


def _identity(run_id: int, created_at: Any, responses_read: int, profile_hash: str) -> tuple[Hashable, ...]:
    return run_identity(str(db.engine.url), run_id, created_at, responses_read, profile_hash)


def shown_tables(campaign: Campaign, run: ScoreRun) -> dict[str, pd.DataFrame]:
    """The tables of ``run`` as every output shows them: suppressed (primary and complementary), ``n`` of
    withheld cells as ``n_below``, figures rounded (:func:`survey_app.domain.disclosure.published_tables`),
    under the minimum that applies now (:func:`survey_app.domain.disclosure.effective_min_cell`), and every
    cell withheld that changed by fewer than ``min_cell`` respondents since an earlier run of the campaign,
    published or not (:func:`survey_app.domain.disclosure_runs.withhold_changed`).

    Held in a bounded process-level cache (:mod:`survey_app.domain.disclosure_cache`) under everything the
    tables depend on, so the audit runs once per run, minimum and set of earlier runs, not per page."""
    min_cell = effective_min_cell(campaign, run)
    # The earlier runs' identities only: their tables are read on a miss.
    earlier = db.session.execute(
        select(
            ScoreRun.id,
            ScoreRun.created_at,
            ScoreRun.responses_read,
            ScoreRun.profile_hash,
            ScoreRun.published_at,
        )
        .where(ScoreRun.campaign_id == run.campaign_id, ScoreRun.id < run.id)
        .order_by(ScoreRun.id)
    ).all()
    key = cache_key(
        _identity(run.id, run.created_at, run.responses_read, run.profile_hash),
        run.published_at is not None,
        min_cell,
        campaign.profile_json,
        [
            (_identity(e.id, e.created_at, e.responses_read, e.profile_hash), e.published_at is not None)
            for e in earlier
        ],
    )

    def compute() -> dict[str, pd.DataFrame]:
        raw = run_tables(run)
        shown = published_tables(raw, min_cell, cell_weights(run), profile_weights(campaign))
        others = db.session.scalars(
            select(ScoreRun).where(ScoreRun.id.in_([e.id for e in earlier])).order_by(ScoreRun.id)
        )
        return withhold_changed(shown, raw, [(other.id, run_tables(other)) for other in others], min_cell)

    return cached(key, compute)


def ever_published(campaign: Campaign, exclude: ScoreRun | None = None) -> list[ScoreRun]:
    """The runs of ``campaign`` that are or were published (an unpublished run may have been read)."""
    audited = db.session.scalars(
        select(AuditEntry.details).where(
            AuditEntry.action == "results.publish", AuditEntry.target == f"campaign:{campaign.slug}"
        )
    )
    ids = {int(d["run"]) for d in audited if isinstance(d, dict) and "run" in d}
    runs = db.session.scalars(
        select(ScoreRun).where(
            ScoreRun.campaign_id == campaign.id,
            ScoreRun.published_at.is_not(None) | ScoreRun.id.in_(ids or {-1}),
        )
    )
    return [r for r in runs if exclude is None or r.id != exclude.id]


class PublishRefusedError(DomainError):
    """A run may not be published yet: ``blockers`` changed since published run ``other_id`` with fewer than
    ``min_cell`` new respondents."""

    def __init__(self, run_id: int, other_id: int, blockers: list[Blocker], min_cell: int) -> None:
        self.run_id, self.other_id, self.blockers, self.min_cell = run_id, other_id, blockers, min_cell
        super().__init__(
            f"run {run_id} cannot be published yet: compared with published run {other_id}, "
            f"{len(blockers)} cell(s) changed with fewer than {min_cell} new respondents "
            f"({self.cells()})"
        )

    def cells(self, limit: int = 5) -> str:
        """The first ``limit`` blocking cells, for a message."""
        text = "; ".join(b.describe() for b in self.blockers[:limit])
        return text + (" …" if len(self.blockers) > limit else "")


def check_publishable(campaign: Campaign, run: ScoreRun) -> None:
    """Refuse (:class:`PublishRefusedError`) to publish ``run`` if a cell it shows changed since a run that
    is or was published without gaining ``min_cell`` respondents (the difference of the two would be the
    answers of the few added; :func:`survey_app.domain.disclosure.publication_blockers`)."""
    min_cell = effective_min_cell(campaign, run)
    tables = run_tables(run)
    for other in ever_published(campaign, exclude=run):
        blockers = publication_blockers(
            tables,
            run_tables(other),
            min_cell,
            (cell_weights(run), cell_weights(other)),
            profile_weights(campaign),
        )
        if blockers:
            raise PublishRefusedError(run.id, other.id, blockers, min_cell)


def readable_run(campaign: Campaign, run_id: int, role: str) -> ScoreRun:
    """Run ``run_id`` of ``campaign`` if ``role`` may read it; :class:`NotFoundError` otherwise."""
    run = db.session.get(ScoreRun, run_id)
    if run is None or run.campaign_id != campaign.id:
        raise NotFoundError(f"no run {run_id} of campaign {campaign.slug!r}")
    if role == "viewer":
        # Viewers read only the newest published run; any other looks absent.
        shown = visible_run(campaign, "viewer")
        if shown is None or shown.id != run.id:
            raise NotFoundError(f"no run {run_id} of campaign {campaign.slug!r}")
    return run


def _records(frame: pd.DataFrame) -> list[dict[Hashable, Any]]:
    # Missing as None, so a template tests ``is none`` (pandas' NA is neither None nor false).
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def unit_rows(campaign: Campaign, run: ScoreRun) -> list[dict[Hashable, Any]]:
    """The results table: the institution as a whole first, then each unit; index, n per group, flags; as
    :func:`shown_tables` shows them."""
    tables = shown_tables(campaign, run)
    shown = ["group", "n", "n_below", "published", "suppressed", "suppression", "changed_since"]
    rows = []
    if "overall" in tables:
        # Runs computed before the institution's group counts were stored show its row without them.
        totals = tables.get("overall_groups")
        for record in _records(tables["overall"]):
            record.update(unit=None, institution_row=True, flags=[])
            record["groups"] = (
                _records(totals[[c for c in shown if c in totals.columns]]) if totals is not None else []
            )
            rows.append(record)
    index = tables["index"]
    groups = tables["groups"]
    flags = table_of(run, "quality_flags")
    for record in _records(index):
        unit = record["unit"]
        record["groups"] = _records(
            groups.loc[groups["unit"] == unit, [c for c in shown if c in groups.columns]]
        )
        record["flags"] = (
            flags.loc[flags["unit"] == unit].to_dict(orient="records") if "unit" in flags.columns else []
        )
        rows.append(record)
    return rows


def trend_rows(campaign: Campaign, role: str) -> list[tuple[Campaign, ScoreRun]]:
    """The campaigns of ``campaign``'s institution with a run ``role`` may read, oldest first."""
    campaigns = db.session.scalars(
        select(Campaign)
        .where(Campaign.institution_id == campaign.institution_id)
        .order_by(Campaign.opens_on, Campaign.id)
    )
    out = []
    for other in campaigns:
        run = visible_run(other, role)
        if run is not None:
            out.append((other, run))
    return out


def trend_frame(campaign: Campaign, role: str, which: str) -> pd.DataFrame:
    """Index per campaign (``overall``: the institution; ``units``: one series per unit) with CIs."""
    parts = []
    for other, run in trend_rows(campaign, role):
        name = "overall" if which == "overall" else "index"
        if name not in run.results:
            continue  # a run stored before the institution-wide index was kept
        table = shown_tables(other, run)[name]
        if table.empty:
            continue
        table = table.assign(campaign=other.title)
        if which == "units":
            table["series"] = table["unit"].astype(str)
        parts.append(table)
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True)
