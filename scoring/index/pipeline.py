"""The index pipeline: respondent scores to group, composite and dimension tables (:func:`compute_index`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from questionnaires.model import Questionnaire
from questionnaires.profile import ScoringProfile
from scoring.calibration import CalibrationMethod
from scoring.design import LonelyPSU
from scoring.index.categories import add_categories, probability_at_least
from scoring.index.composite import combine_groups
from scoring.index.corrections import apply_corrections, correction_points
from scoring.index.groups import DEFAULT_SEED, Method, estimate_groups
from scoring.index.publication import publication_rules
from scoring.index.scored import SCORE, ScoredResponses, score_responses

__all__ = ["IndexResult", "compute_index", "index_from_scores"]


@dataclass(frozen=True, eq=False)
class IndexResult:
    """Everything :func:`compute_index` produces.

    Attributes
    ----------
    index : DataFrame
        One row per ``by`` cell: ``estimate, se, ci_low, ci_high, df, n`` of the composite (after correction),
        ``groups_used, missing_groups, complete``, ``uncorrected, correction`` (when corrections were given),
        ``category, category_uncertain``, ``prob_at_least_target`` (when a target was given),
        ``*_display`` columns (when the profile's display scale is not 100), ``published, suppressed, note``.
    groups : DataFrame
        Group sub-indices:
        ``[*by, group, estimate, se, ci_low, ci_high, df, n, published, suppressed, note]``.
    dimensions : DataFrame
        Dimension scores ``[*by, group, dimension, estimate, ...]`` per group, and with ``group == "all"`` the
        dimension combined over groups with the profile's group weights (same method as the composite).
    item_counts : DataFrame
        Answered / don't know / not applicable / blank counts per questionnaire item.
    settings : dict
        What the run used (profile and questionnaire hashes, method, replicates, seed, level, by), so the
        numbers can be reproduced.
    """

    index: pd.DataFrame
    groups: pd.DataFrame
    dimensions: pd.DataFrame
    item_counts: pd.DataFrame
    settings: Mapping[str, object]
    scored: ScoredResponses | None = None


def _display(table: pd.DataFrame, scale: float) -> pd.DataFrame:
    """``estimate, ci_low, ci_high`` on the profile's display scale as ``*_display`` columns (none at 100)."""
    if scale == 100.0:
        return table
    out = table.copy()
    for col in ("estimate", "ci_low", "ci_high"):
        out[f"{col}_display"] = out[col] * (scale / 100.0)
    return out


def _combined_publication(
    combined: pd.DataFrame, groups: pd.DataFrame, keys: Sequence[str], min_cell: int
) -> pd.DataFrame:
    """Publication rules for a combination of groups (composite index, dimension over groups).

    Its ``n`` counts the respondents of the groups it combines; whether the cell is too small to show is
    decided on all of the cell's respondents, so a cell of 9 whose groups are each too small to publish is
    "no group has enough respondents", not "fewer than 5 respondents (n=0)".
    """
    keys = list(keys)
    n_used = combined["n"].to_numpy(dtype=np.int64)
    if keys:
        totals = groups.groupby(keys, dropna=False)["n"].sum().reset_index()
        n_cell = combined[keys].merge(totals, on=keys, how="left")["n"]
    else:
        n_cell = pd.Series([int(groups["n"].sum())])
    out = publication_rules(combined.assign(n=n_cell.fillna(0).to_numpy(dtype=np.int64)), min_cell=min_cell)
    out["n"] = n_used
    none_left = ~np.isfinite(out["estimate"].to_numpy(dtype=np.float64)) & ~out["suppressed"].to_numpy()
    out.loc[none_left, "published"] = False
    out.loc[none_left, "note"] = "not published: no group has enough respondents"
    return out


def index_from_scores(
    data: pd.DataFrame,
    profile: ScoringProfile,
    dimensions: Sequence[str] = (),
    by: Sequence[str] = ("institution",),
    *,
    method: Method = "linearization",
    replicates: int = 500,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
    target: float | None = None,
    corrections: pd.DataFrame | None = None,
    lonely_psu: LonelyPSU = "adjust",
    design_columns: Mapping[str, str | None] | None = None,
    calibration: Mapping[str, tuple[CalibrationMethod, pd.DataFrame]] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Index, group and dimension tables from respondent scores (:func:`compute_index` after scoring).

    ``data`` needs ``group``, ``score``, the ``dimensions`` columns, the ``by`` columns and, if present, the
    design columns (``weight``, ``stratum``, ``fpc``, ``open_access``; rename them with ``design_columns``,
    e.g. ``{"weight": "pw"}``). ``calibration`` calibrates groups to known margins
    (:func:`~scoring.index.groups.estimate_groups`). See :func:`compute_index` for the rest.
    """
    by = list(by)
    cols: dict[str, str | None] = {
        "group": "group",
        "weight": "weight",
        "fpc": "fpc",
        "open_access": "open_access",
        "stratum": "stratum",
    }
    cols.update(design_columns or {})
    group_col = cols["group"] or "group"
    strata = [c for c in ("institution", cols["stratum"]) if c]
    if SCORE in data.columns and len(data) and pd.to_numeric(data[SCORE], errors="coerce").isna().all():
        raise ValueError(
            f"none of the {len(data)} responses has a score: every answer is blank or 'don't know', or too "
            "few are answered (the profile's min_share_answered); nothing to estimate"
        )
    ge = estimate_groups(
        data,
        [SCORE, *dimensions],
        by,
        group=group_col,
        weight=cols["weight"],
        strata=strata,
        fpc=cols["fpc"],
        open_access=cols["open_access"],
        method=method,
        replicates=replicates,
        seed=seed,
        level=level,
        lonely_psu=lonely_psu,
        calibration=calibration,
    )
    weights = {g.value: w for g, w in profile.group_weights.items()}
    t = publication_rules(
        ge.table, min_cell=profile.min_cell, min_respondents=profile.min_respondents_per_group
    )
    t = t.rename(columns={group_col: "group"})
    is_score = (t["variable"] == SCORE).to_numpy(dtype=bool)
    reps = ge.replicates

    groups = t.loc[is_score].drop(columns="variable").reset_index(drop=True)
    index = combine_groups(
        groups, weights, by, level=level, replicates=None if reps is None else reps[is_score]
    )
    index = _combined_publication(index, groups, by, profile.min_cell)
    if corrections is not None:
        if by != ["institution"]:
            raise ValueError("corrections apply to institutions: use by=['institution'] (--by institution)")
        index = apply_corrections(index, correction_points(corrections, profile))
    index = add_categories(index, profile)
    if target is not None:
        index["prob_at_least_target"] = probability_at_least(
            index["estimate"], index["se"], index["df"], target
        )

    dims = t.loc[~is_score].rename(columns={"variable": "dimension"}).reset_index(drop=True)
    combined = combine_groups(
        dims, weights, [*by, "dimension"], level=level, replicates=None if reps is None else reps[~is_score]
    )
    combined = _combined_publication(combined, dims, [*by, "dimension"], profile.min_cell)
    combined.insert(len(by), "group", "all")
    dim_table = pd.concat(
        [dims, combined.drop(columns=["groups_used", "missing_groups", "complete"])], ignore_index=True
    )
    order = {d.id: i for i, d in enumerate(profile.dimensions)}
    dim_table["_o"] = dim_table["dimension"].map(order)
    dim_table = (
        dim_table.sort_values([*by, "_o", "group"], kind="stable").drop(columns="_o").reset_index(drop=True)
    )
    # Every rule above (categories, corrections, targets, suppression) works on 0-100; only the tables
    # handed out get the display scale.
    return (
        _display(index, profile.display_scale),
        _display(groups, profile.display_scale),
        _display(dim_table, profile.display_scale),
    )


def compute_index(
    responses: pd.DataFrame,
    questionnaires: Sequence[Questionnaire],
    profile: ScoringProfile,
    *,
    by: Sequence[str] = ("institution",),
    method: Method = "linearization",
    replicates: int = 500,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
    target: float | None = None,
    corrections: pd.DataFrame | None = None,
    min_share_answered: float | None = None,
    lonely_psu: LonelyPSU = "adjust",
    calibration: Mapping[str, tuple[CalibrationMethod, pd.DataFrame]] | None = None,
) -> IndexResult:
    """The SPI-style index from a responses export, per ``by`` cell (institution, or institution × unit).

    Parameters
    ----------
    responses : DataFrame
        The wide export (see :func:`score_responses`); design columns ``weight``, ``stratum``, ``fpc``,
        ``open_access`` are used when present; without ``institution`` the campaign is one institution.
    questionnaires : sequence of Questionnaire
        The versions answered (matched by ``questionnaire_hash``, else by group).
    profile : ScoringProfile
        Group and dimension weights, categories, corrections, minimum n, small-cell threshold.
    by : sequence of str
        Reporting cells; ``group`` is always added for the sub-indices.
    method : {"linearization", "bootstrap"}
        Linearization with Welch–Satterthwaite df, or the full-pipeline Rao–Wu bootstrap (seeded).
    replicates, seed : int
    level : float
    target : float, optional
        Adds ``prob_at_least_target``: P(true index >= target).
    corrections : DataFrame, optional
        ``institution, rule, cases`` (see :func:`correction_points`); needs ``by=["institution"]``.
    min_share_answered : float, optional
        Overrides the profile's missing-data rule.
    lonely_psu : str
        Linearization rule for a stratum with one respondent (default ``adjust``, as R's option).
    calibration : mapping, optional
        Per group, ``(method, margins)``: that group's sample calibrated to the margins (non-item columns
        of ``responses``; see :func:`~scoring.index.groups.estimate_groups`). Linearization only.

    Returns
    -------
    IndexResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from scoring.examples import tiny_profile, tiny_questionnaire
    >>> rng = np.random.default_rng(1)
    >>> n = 60
    >>> df = pd.DataFrame({"institution": "Kota A", "unit": rng.choice(["u1", "u2"], n),
    ...                    "group": np.repeat(["internal", "external"], n // 2), "weight": 2.0,
    ...                    "t1": rng.choice(list("2345"), n), "t2": rng.choice(list("345"), n),
    ...                    "b1": rng.choice(["n", "n", "n", "y"], n), "b2": rng.choice(["n", "dk"], n)})
    >>> qs = [tiny_questionnaire("internal"), tiny_questionnaire("external")]
    >>> r = compute_index(df, qs, tiny_profile(), target=74)
    >>> r.index[["institution", "estimate", "ci_low", "ci_high", "n", "missing_groups", "category"]].round(2)
      institution  estimate  ci_low  ci_high   n missing_groups category
    0      Kota A     81.91    76.6    87.21  60         expert  terjaga
    >>> bool(r.index["category_uncertain"].iloc[0]), round(float(r.index["prob_at_least_target"].iloc[0]), 3)
    (True, 0.998)
    """
    scored = score_responses(responses, questionnaires, profile, min_share_answered=min_share_answered)
    by = list(by)
    index, groups, dims = index_from_scores(
        scored.data,
        profile,
        scored.dimensions,
        by,
        method=method,
        replicates=replicates,
        seed=seed,
        level=level,
        target=target,
        corrections=corrections,
        lonely_psu=lonely_psu,
        calibration=calibration,
    )
    settings: dict[str, object] = {
        "profile": f"{profile.id} {profile.version}",
        "profile_hash": profile.content_hash,
        "questionnaires": {k: q.content_hash for k, q in scored.questionnaires.items()},
        "method": method,
        "replicates": replicates if method == "bootstrap" else None,
        "seed": seed if method == "bootstrap" else None,
        "level": level,
        "by": by,
        "target": target,
        "lonely_psu": lonely_psu,
    }
    if calibration:
        settings["calibration"] = {
            g: {"method": how, "variables": sorted(set(m["variable"].astype(str)))}
            for g, (how, m) in sorted(calibration.items())
        }
    return IndexResult(
        index=index,
        groups=groups,
        dimensions=dims,
        item_counts=scored.item_counts,
        settings=settings,
        scored=scored,
    )
