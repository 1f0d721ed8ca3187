"""Data quality per unit: the patterns that make a unit's results doubtful.

Five checks, each with a threshold in :class:`QualityThresholds` (the defaults are conventions of survey
practice, not KPK rules; change them per campaign):

``straightlining``
    A respondent gave the same answer code to every answered item of a block (the scored ``select_one``
    items of one section sharing a scale, at least ``straightline_min_items`` answered). The unit is flagged
    when the share of such respondents exceeds ``share_threshold``.
``fast``
    Completion time below ``max(fast_fraction × median duration of the group, fast_floor_seconds)``; the
    median is taken over the whole input for that group. Flagged like straight-lining.
``duplicate``
    Identical answer vectors (every item column of the questionnaire equal, blanks included) within a unit
    and group. Flagged like straight-lining.
``dont_know``
    Mean share of "don't know"/"not applicable" answers among the scored items shown; flagged above
    ``dont_know_threshold``.
``low_variance``
    The SD of respondent scores in the unit is far below its peers (same group, units with at least
    ``min_unit_n`` scored respondents): below ``low_sd_fraction × median peer SD``, or a robust z-score of
    ``log(SD)`` (median and MAD × 1.4826) below ``robust_z``. This is the coached-respondents pattern for
    which KPK withheld scores.

Everything is vectorised over respondents (group-by sums and hashes); nothing loops over units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from questionnaires.model import ItemType, Questionnaire
from questionnaires.profile import ScoringProfile
from scoring.index import ScoredResponses, score_responses

__all__ = ["QualityReport", "QualityThresholds", "data_quality"]


@dataclass(frozen=True)
class QualityThresholds:
    """Thresholds of the data-quality checks (see the module docstring)."""

    straightline_min_items: int = 5
    fast_fraction: float = 1 / 3
    fast_floor_seconds: float = 120.0
    share_threshold: float = 0.2
    dont_know_threshold: float = 0.3
    low_sd_fraction: float = 0.5
    robust_z: float = -3.5
    min_unit_n: int = 5


@dataclass(frozen=True, eq=False)
class QualityReport:
    """Results of :func:`data_quality`.

    ``respondents``: per-response flags; ``units``: metrics, ``reasons`` and ``flagged`` per unit × group;
    ``flags``: one row per raised flag (``check, value, threshold, reason``).
    """

    respondents: pd.DataFrame
    units: pd.DataFrame
    flags: pd.DataFrame


def _blocks(q: Questionnaire, min_items: int) -> list[list[str]]:
    out: list[list[str]] = []
    for section in q.sections:
        by_scale: dict[str, list[str]] = {}
        for item in section.items:
            if item.type is ItemType.SELECT_ONE and item.scoring is not None and item.scale:
                by_scale.setdefault(item.scale, []).append(item.id)
        out.extend(ids for ids in by_scale.values() if len(ids) >= min_items)
    return out


def _as_text(column: pd.Series) -> pd.Series:
    """The answers as text; a categorical column is left as it is (its categories are the text), since
    spelling out every answer of a million rows costs a pointer and a lookup per cell."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column
    return column.astype("string")


def _code_matrix(rows: pd.DataFrame, columns: list[str]) -> dict[str, npt.NDArray[np.int64]]:
    """Each column's stripped answer codes as integers shared across the columns; -1 for blank or missing.

    Factorising column by column and mapping the few distinct codes through one dict keeps this O(n) in
    numpy instead of comparing strings row by row.
    """
    shared: dict[str, int] = {}
    out: dict[str, npt.NDArray[np.int64]] = {}
    for column in columns:
        # Stripping the few distinct values rather than every cell gives the same codes.
        local, uniques = pd.factorize(_as_text(rows[column]))
        stripped = [str(u).strip() for u in uniques]
        mapping = np.array(
            [-1 if u == "" else shared.setdefault(u, len(shared)) for u in stripped] + [-1], dtype=np.int64
        )
        # factorize gives -1 for NA, which indexes the trailing -1 of ``mapping``.
        out[column] = mapping[local]
    return out


def _straightlined(
    coded: dict[str, npt.NDArray[np.int64]], block: list[str], min_items: int
) -> npt.NDArray[np.bool_]:
    """Respondents who answered at least ``min_items`` items of the block, all with the same code."""
    codes = np.column_stack([coded[c] for c in block])
    missing = codes < 0
    answered = (~missing).sum(axis=1)
    high = np.where(missing, -1, codes).max(axis=1)
    low = np.where(missing, np.iinfo(np.int64).max, codes).min(axis=1)
    same: npt.NDArray[np.bool_] = (answered >= min_items) & (high == low)
    return same


def data_quality(
    responses: pd.DataFrame,
    questionnaires: Sequence[Questionnaire],
    profile: ScoringProfile,
    *,
    by: Sequence[str] = ("institution", "unit"),
    thresholds: QualityThresholds | None = None,
    scored: ScoredResponses | None = None,
) -> QualityReport:
    """Run the five data-quality checks per ``by × group`` cell.

    Parameters
    ----------
    responses : DataFrame
        The wide export (as :func:`scoring.index.compute_index`); ``duration_seconds`` is used when present.
    questionnaires, profile
        As :func:`scoring.index.compute_index` (respondent scores are needed for the variance check).
    by : sequence of str
        Unit columns (default institution × unit).
    thresholds : QualityThresholds, optional
    scored : ScoredResponses, optional
        :func:`scoring.index.score_responses` of these same ``responses``, questionnaires and profile (e.g.
        ``compute_index(...).scored``), so that a caller that has already scored does not pay for it twice.

    Returns
    -------
    QualityReport

    Examples
    --------
    Unit ``u2`` answers like a drilled choir: everybody gives the same answers, fast.

    >>> import numpy as np, pandas as pd
    >>> from scoring.examples import tiny_profile, tiny_questionnaire
    >>> rng = np.random.default_rng(0)
    >>> n = 40
    >>> df = pd.DataFrame({"unit": np.repeat(["u1", "u2", "u3", "u4"], n // 4), "group": "internal",
    ...                    "t1": rng.choice(list("12345"), n), "t2": rng.choice(list("12345"), n),
    ...                    "b1": rng.choice(["y", "n"], n), "b2": rng.choice(["y", "n", "dk"], n),
    ...                    "duration_seconds": rng.integers(300, 900, n)})
    >>> df.loc[df["unit"] == "u2", ["t1", "t2", "b1", "b2", "duration_seconds"]] = ["5", "5", "n", "n", 60]
    >>> r = data_quality(df, [tiny_questionnaire()], tiny_profile(), by=["unit"],
    ...                  thresholds=QualityThresholds(straightline_min_items=2))
    >>> r.units.loc[r.units["unit"] == "u2", ["n", "straightlining_share", "fast_share", "duplicate_share"]]
        n  straightlining_share  fast_share  duplicate_share
    1  10                   1.0         1.0              1.0
    >>> sorted(r.flags.loc[r.flags["unit"] == "u2", "check"])
    ['duplicate', 'fast', 'low_variance', 'straightlining']
    """
    th = thresholds or QualityThresholds()
    by = list(by)
    if scored is None:
        scored = score_responses(responses, questionnaires, profile)
    elif len(scored.data) != len(responses):
        raise ValueError("scored has a different number of rows than responses: score these responses")
    data = scored.data
    n = len(data)
    straight = np.zeros(n, dtype=bool)
    duplicate = np.zeros(n, dtype=bool)
    for key, q in scored.questionnaires.items():
        rec = scored.recoded.get(key)
        if rec is None:
            continue
        pos = data.index.get_indexer(rec.scores.index)
        blocks = _blocks(q, th.straightline_min_items)
        item_cols = [i.id for i in q.items if i.type.stores_answer and i.id in responses.columns]
        # Only this questionnaire's answer columns, rather than every column of the wide frame.
        rows = responses[list(dict.fromkeys([*item_cols, *(c for b in blocks for c in b)]))].iloc[pos]
        coded = _code_matrix(rows, sorted({c for b in blocks for c in b}))
        for block in blocks:
            straight[pos] |= _straightlined(coded, block, th.straightline_min_items)
        cell_cols = [c for c in [*by, "group"] if c in data.columns]
        answers = pd.DataFrame({c: _as_text(rows[c]) for c in item_cols}, index=rows.index, copy=False)
        hashed = pd.util.hash_pandas_object(answers, index=False).to_numpy()
        keyed = data.iloc[pos][cell_cols].copy()
        keyed["_h"] = hashed
        duplicate[pos] = keyed.duplicated(keep=False).to_numpy()
    if "duration_seconds" in data.columns:
        dur = pd.to_numeric(data["duration_seconds"], errors="coerce")
        median = dur.groupby(data["group"]).transform("median")
        limit = np.maximum(th.fast_fraction * median.to_numpy(dtype=np.float64), th.fast_floor_seconds)
        dur_arr = dur.to_numpy(dtype=np.float64, na_value=np.nan)
        fast = np.where(np.isnan(dur_arr), np.nan, (dur_arr < limit).astype(np.float64))
    else:
        fast = np.full(n, np.nan)
    resp = data[[*by, "group"]].copy()
    resp["straightlining"] = straight
    resp["fast"] = fast
    resp["duplicate"] = duplicate
    resp["dont_know_share"] = data["dont_know_share"].to_numpy()
    resp["score"] = data["score"].to_numpy()

    keys = [*by, "group"]
    g = resp.groupby(keys, sort=True, dropna=False)
    units = g.agg(
        n=("score", "size"),
        n_scored=("score", "count"),
        straightlining_share=("straightlining", "mean"),
        fast_share=("fast", "mean"),
        duplicate_share=("duplicate", "mean"),
        dont_know_share=("dont_know_share", "mean"),
        score_sd=("score", "std"),
    ).reset_index()
    eligible = units["n_scored"] >= th.min_unit_n
    sd = units["score_sd"].where(eligible)
    peer_median = sd.groupby(units["group"]).transform("median")
    log_sd = np.log(sd.where(sd > 0, 1e-9))
    med = log_sd.groupby(units["group"]).transform("median")
    mad = (log_sd - med).abs().groupby(units["group"]).transform("median") * 1.4826
    units["peer_median_sd"] = peer_median
    units["sd_robust_z"] = ((log_sd - med) / mad.where(mad > 0)).astype(np.float64)

    checks = [
        (
            "straightlining",
            units["straightlining_share"],
            th.share_threshold,
            "{v:.0%} of respondents gave one answer to a whole block of at least "
            f"{th.straightline_min_items} scale items (threshold {{t:.0%}})",
        ),
        (
            "fast",
            units["fast_share"],
            th.share_threshold,
            "{v:.0%} of respondents finished faster than a third of the median time or "
            f"{th.fast_floor_seconds:g} s (threshold {{t:.0%}})",
        ),
        (
            "duplicate",
            units["duplicate_share"],
            th.share_threshold,
            "{v:.0%} of respondents share an identical answer vector with another (threshold {t:.0%})",
        ),
        (
            "dont_know",
            units["dont_know_share"],
            th.dont_know_threshold,
            "{v:.0%} of shown scored items answered don't know / not applicable (threshold {t:.0%})",
        ),
    ]
    flag_rows: list[pd.DataFrame] = []
    reasons = pd.Series("", index=units.index, dtype="string")
    for name, values, limit_value, text in checks:
        hit = (values > limit_value).fillna(False).to_numpy(dtype=bool)
        if hit.any():
            f = units.loc[hit, keys].copy()
            f["check"] = name
            f["value"] = values[hit].to_numpy(dtype=np.float64)
            f["threshold"] = limit_value
            f["reason"] = [text.format(v=v, t=limit_value) for v in f["value"]]
            flag_rows.append(f)
    low = eligible & (
        (units["score_sd"] < th.low_sd_fraction * peer_median) | (units["sd_robust_z"] < th.robust_z)
    )
    low_arr = low.fillna(False).to_numpy(dtype=bool)
    if low_arr.any():
        f = units.loc[low_arr, keys].copy()
        f["check"] = "low_variance"
        f["value"] = units.loc[low_arr, "score_sd"].to_numpy(dtype=np.float64)
        f["threshold"] = th.low_sd_fraction * units.loc[low_arr, "peer_median_sd"].to_numpy(dtype=np.float64)
        f["reason"] = [
            f"SD of respondent scores {v:.1f} against a median of {m:.1f} in comparable units "
            f"(robust z {z:.1f}): answers are far more uniform than elsewhere"
            for v, m, z in zip(
                f["value"],
                units.loc[low_arr, "peer_median_sd"],
                units.loc[low_arr, "sd_robust_z"],
                strict=True,
            )
        ]
        flag_rows.append(f)
    flags = (
        pd.concat(flag_rows, ignore_index=True)
        if flag_rows
        else pd.DataFrame(columns=[*keys, "check", "value", "threshold", "reason"])
    )
    if len(flags):
        joined = flags.groupby(keys, sort=False, dropna=False)["reason"].agg("; ".join).rename("reasons")
        units = units.merge(joined.reset_index(), on=keys, how="left")
        counts = flags.groupby(keys, sort=False, dropna=False).size().rename("n_flags").reset_index()
        units = units.merge(counts, on=keys, how="left")
    else:
        units["reasons"] = reasons
        units["n_flags"] = 0
    units["reasons"] = units["reasons"].fillna("").astype("string")
    units["n_flags"] = units["n_flags"].fillna(0).astype(np.int64)
    units["flagged"] = units["n_flags"] > 0
    return QualityReport(respondents=resp, units=units, flags=flags)
