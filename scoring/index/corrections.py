"""Corrections: index points deducted per institution for objective findings (the profile's rules)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from questionnaires.profile import ScoringProfile

__all__ = ["apply_corrections", "correction_points"]


def correction_points(cases: pd.DataFrame, profile: ScoringProfile) -> pd.DataFrame:
    """Index points deducted per institution from the profile's correction rules.

    Per rule: ``min(points_per_case * cases, max_points)``; per institution: the sum over rules, capped at
    ``profile.max_correction``. Points are on the 0–100 scale.

    Parameters
    ----------
    cases : DataFrame
        Long format ``institution, rule, cases`` (one row per institution and rule; repeated rows add up).
    profile : ScoringProfile

    Returns
    -------
    DataFrame
        ``institution, correction`` plus one ``correction_<rule>`` column per rule.

    Raises
    ------
    ValueError
        Missing columns, an unknown rule id, or a negative or non-numeric case count.

    Examples
    --------
    ``complaints``: 0.5 points per case, at most 3; ``cases``: 2 points per case; at most 4 in all.

    >>> import pandas as pd
    >>> from scoring.examples import tiny_profile
    >>> cases = pd.DataFrame({"institution": ["A", "A", "B"], "rule": ["complaints", "cases", "complaints"],
    ...                       "cases": [10, 1, 3]})
    >>> correction_points(cases, tiny_profile())
      institution  correction  correction_complaints  correction_cases
    0           A         4.0                    3.0               2.0
    1           B         1.5                    1.5               0.0
    """
    for col in ("institution", "rule", "cases"):
        if col not in cases.columns:
            raise ValueError(f"correction cases need columns institution, rule, cases; {col!r} is missing")
    rules = {r.id: r for r in profile.corrections}
    unknown = sorted(set(cases["rule"].astype(str)) - set(rules))
    if unknown:
        raise ValueError(
            f"correction rule(s) {', '.join(unknown)} not in profile {profile.id} "
            f"(it has: {', '.join(rules) or 'none'})"
        )
    counts = pd.to_numeric(cases["cases"], errors="coerce")
    if counts.isna().any() or (counts < 0).any():
        bad = int(np.flatnonzero((counts.isna() | (counts < 0)).to_numpy())[0])
        raise ValueError(f"correction cases, row {bad + 1}: {cases['cases'].iloc[bad]!r} is not a count >= 0")
    long = pd.DataFrame(
        {
            "institution": cases["institution"],
            "rule": cases["rule"].astype(str),
            "cases": counts.astype(float),
        }
    )
    wide = long.groupby(["institution", "rule"], sort=True)["cases"].sum().unstack("rule")
    wide = wide.reindex(columns=list(rules)).astype(np.float64).fillna(0.0)
    out = pd.DataFrame({"institution": wide.index})
    total = np.zeros(len(wide))
    for rid, rule in rules.items():
        pts = wide[rid].to_numpy(dtype=np.float64) * rule.points_per_case
        if rule.max_points is not None:
            pts = np.minimum(pts, rule.max_points)
        out[f"correction_{rid}"] = pts
        total += pts
    if profile.max_correction is not None:
        total = np.minimum(total, profile.max_correction)
    out.insert(1, "correction", total)
    return out


def apply_corrections(
    index: pd.DataFrame, corrections: pd.DataFrame, *, on: str = "institution"
) -> pd.DataFrame:
    """Subtract correction points from ``estimate`` and its CI (floored at 0); keep ``uncorrected``.

    The correction is a fixed deduction (it has no sampling error), so the SE and df do not change.
    Institutions without cases get 0.

    Examples
    --------
    >>> import pandas as pd
    >>> idx = pd.DataFrame({"institution": ["A", "B"], "estimate": [75.0, 1.0], "ci_low": [72.0, 0.5],
    ...                     "ci_high": [78.0, 2.0]})
    >>> apply_corrections(idx, pd.DataFrame({"institution": ["A", "B"], "correction": [4.0, 2.0]}))
      institution  estimate  ci_low  ci_high  uncorrected  correction
    0           A      71.0    68.0     74.0         75.0         4.0
    1           B       0.0     0.0      0.0          1.0         2.0
    """
    if on not in index.columns:
        raise ValueError(f"corrections apply per {on!r}, which the index table does not have")
    pts = index[on].map(corrections.set_index(on)["correction"]).astype("Float64").fillna(0.0)
    pts_arr = pts.to_numpy(dtype=np.float64)
    out = index.copy()
    out["uncorrected"] = out["estimate"]
    out["correction"] = pts_arr
    for col in ("estimate", "ci_low", "ci_high"):
        out[col] = np.clip(out[col].to_numpy(dtype=np.float64) - pts_arr, 0.0, None)
    return out
