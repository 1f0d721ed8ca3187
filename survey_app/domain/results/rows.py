"""What the results pages show, from stored runs: the table per unit, the run a role may read, the trend
across an institution's campaigns. The charts drawn from these are :mod:`survey_app.reporting.charts`."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import pandas as pd
from sqlalchemy import select

from survey_app.domain.errors import NotFoundError
from survey_app.domain.results.runs import table_of, visible_run
from survey_app.extensions import db
from survey_app.models import Campaign, ScoreRun


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


def unit_rows(run: ScoreRun) -> list[dict[Hashable, Any]]:
    """The results table: the institution as a whole first, then each unit; index, n per group, flags."""
    shown = ["group", "n", "published", "suppressed"]
    rows = []
    if "overall" in run.results:
        # Runs computed before the institution's group counts were stored show its row without them.
        totals = table_of(run, "overall_groups") if "overall_groups" in run.results else None
        for record in table_of(run, "overall").to_dict(orient="records"):
            record.update(unit=None, institution_row=True, flags=[])
            record["groups"] = totals[shown].to_dict(orient="records") if totals is not None else []
            rows.append(record)
    index = table_of(run, "index")
    groups = table_of(run, "groups")
    flags = table_of(run, "quality_flags")
    for record in index.to_dict(orient="records"):
        unit = record["unit"]
        record["groups"] = groups.loc[groups["unit"] == unit, shown].to_dict(orient="records")
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
        table = table_of(run, name)
        if table.empty:
            continue
        table = table.assign(campaign=other.title)
        if which == "units":
            table["series"] = table["unit"].astype(str)
        parts.append(table)
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True)
