"""Disclosure control: the minimum cell size that applies to a campaign's results and every rule that
withholds a small cell, used alike by the console, every download and the API.

The scoring engine marks cells ``suppressed`` when they have fewer than the profile's ``min_cell``
respondents (:func:`scoring.index.publication_rules`); a campaign may be stricter than its profile, and may
have become stricter after a run was computed. :func:`effective_min_cell` is the one answer to "which minimum
applied"; :func:`suppress` withholds the values of every cell under it, and :func:`check_suppressed` is the
writers' last line of defence.
"""

from __future__ import annotations

import json

import pandas as pd

from survey_app.models import Campaign, ScoreRun

#: The numbers a suppressed cell must not show.
VALUE_COLUMNS = ("estimate", "se", "ci_low", "ci_high", "df")


def effective_min_cell(campaign: Campaign, run: ScoreRun | None = None) -> int:
    """The minimum cell size that applies to ``campaign`` (and to ``run``, one of its runs): the strictest of
    the campaign's scoring profile's, the campaign's own (as it is now, perhaps stricter than when the run was
    computed) and the one the run was computed with."""
    profile_min = int(json.loads(campaign.profile_json).get("min_cell", 5))
    run_min = run.parameters.get("metadata", {}).get("min_cell") if run is not None else None
    return max(profile_min, int(campaign.min_cell), int(run_min or 0))


def suppress(frame: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """``frame`` with the values of suppressed or small cells removed, checked as the exports check.

    A cell is withheld where the scoring engine marked it ``suppressed`` or where its ``n`` is below
    ``min_cell``; its estimate, standard error, interval, degrees of freedom and category are removed and its
    ``suppressed`` flag set, so every output that shows the frame shows the same cells.

    >>> t = pd.DataFrame({"estimate": [80.0, 70.0], "n": [12, 7], "suppressed": [False, False]})
    >>> suppress(t, 10)
       estimate   n  suppressed
    0      80.0  12       False
    1       NaN   7        True
    """
    out = frame.copy()
    for column in VALUE_COLUMNS:
        if column in out.columns:
            out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
    hidden = out["suppressed"].astype(bool) | (pd.to_numeric(out["n"], errors="coerce") < min_cell)
    present = [c for c in VALUE_COLUMNS if c in out.columns]
    out.loc[hidden, present] = float("nan")
    if "category" in out.columns:
        out["category"] = out["category"].astype(object).where(~hidden, None)
        out["category_uncertain"] = out["category_uncertain"].astype(bool) & ~hidden
    out["suppressed"] = hidden
    check_suppressed(out, min_cell)
    return out


def check_suppressed(results: pd.DataFrame, min_cell: int | None, n_column: str = "n") -> None:
    """Refuse to export a row with fewer than ``min_cell`` respondents that still shows numbers.

    Suppression is the scoring engine's job; this is the last line of defence. Checked columns are the
    floating-point ones, except ``n`` and ``n_*`` counts.
    """
    if min_cell is None or n_column not in results.columns:
        return
    small = pd.to_numeric(results[n_column], errors="coerce") < min_cell
    values = [
        c
        for c in results.columns
        if pd.api.types.is_float_dtype(results[c]) and not (c == n_column or str(c).startswith("n_"))
    ]
    leaking = small & results[values].notna().any(axis=1) if values else small & False
    if leaking.any():
        rows = ", ".join(str(i) for i in results.index[leaking][:10])
        raise ValueError(
            f"results: {int(leaking.sum())} row(s) with {n_column} < {min_cell} still show values ({rows}); "
            "suppress them before exporting"
        )
