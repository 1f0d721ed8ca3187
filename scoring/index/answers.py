"""Question-level figures: the share of each answer to a choice question, with a confidence interval, per
domain, on the same design as the index (:mod:`scoring.index.groups`).

This is what SPI reports quote ("% of employees who saw gratification"): for one respondent group's
answers, per ``by`` domain, the design-based proportion of each answer code among the respondents who
answered the question, "don't know" included as an answer (it is one, and its share says something), blank
and not-asked answers left out (R's ``na.rm=TRUE``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from scoring.design import LonelyPSU, svydesign
from scoring.estimators import svymean
from scoring.index.groups import _analysis_frame
from scoring.intervals import effective_n_t_adjusted

__all__ = ["answer_shares"]

_COLUMNS = ["item", "answer", "estimate", "se", "ci_low", "ci_high", "df", "n"]


def _exact_ends(p: pd.Series, n: pd.Series, level: float) -> tuple[pd.Series, pd.Series]:
    """Clopper–Pearson bounds where every respondent gave (or none gave) the answer: the design variance is
    then 0 and Korn–Graubard's effective sample size undefined, so ``n`` stands in for it."""
    alpha = 1 - level
    nn = n.astype("float64").where(n > 0)
    lo = pd.Series(np.where(p >= 1, (alpha / 2) ** (1 / nn), 0.0), index=p.index)
    hi = pd.Series(np.where(p <= 0, 1 - (alpha / 2) ** (1 / nn), 1.0), index=p.index)
    return lo, hi


def _korn_graubard(
    p: pd.Series, se: pd.Series, n: pd.Series, df: pd.Series, level: float
) -> tuple[pd.Series, pd.Series]:
    """R's ``svyciprop(method = "beta")`` interval with each domain's own ``n`` and degrees of freedom (R
    computes it so on the domain's subset design)."""
    alpha = 1 - level
    share = p.to_numpy(dtype=np.float64)
    var = se.to_numpy(dtype=np.float64) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        neff = effective_n_t_adjusted(
            share * (1 - share) / var, n.to_numpy(dtype=np.float64), df.to_numpy(dtype=np.float64), level
        )
        x = neff * share
        lo = np.where(x > 0, stats.beta.ppf(alpha / 2, x, neff * (1 - share) + 1), 0.0)
        hi = np.where(neff * (1 - share) > 0, stats.beta.ppf(1 - alpha / 2, x + 1, neff * (1 - share)), 1.0)
    return pd.Series(lo, index=p.index), pd.Series(hi, index=p.index)


def _answer_codes(column: pd.Series) -> npt.NDArray[np.object_]:
    """The answers as stripped text codes (``None`` for blank or missing), stripping each distinct value once:
    a million answers take a hash pass, not a million string operations."""
    positions, uniques = pd.factorize(column, use_na_sentinel=True)
    cleaned = np.array([str(u).strip() or None for u in uniques] + [None], dtype=object)
    return np.asarray(cleaned[positions], dtype=object)  # position -1 (missing) reads the final None


def answer_shares(
    data: pd.DataFrame,
    items: Mapping[str, Sequence[str]],
    by: Sequence[str] = (),
    *,
    weight: str | None = "weight",
    strata: Sequence[str] = ("stratum",),
    fpc: str | None = "fpc",
    open_access: str | None = "open_access",
    level: float = 0.95,
    lonely_psu: LonelyPSU = "adjust",
) -> pd.DataFrame:
    """Share of each answer (0–100) with a Korn–Graubard interval, per ``by`` domain.

    Parameters
    ----------
    data : DataFrame
        One respondent group's responses: the item columns (answer codes as text), the ``by`` columns and
        the design columns (absent ones are ignored, as in the index).
    items : mapping of str to sequence of str
        Item column → the answer codes to report, in order (codes nobody chose get a share of 0).
    by : sequence of str
        Domain columns (e.g. ``["unit"]``); none for the whole group.
    weight, strata, fpc, open_access : str
        Design columns, as :func:`scoring.index.index_from_scores` reads them.
    level : float
    lonely_psu : str

    Returns
    -------
    DataFrame
        ``[*by, item, answer, estimate, se, ci_low, ci_high, df, n]``: percentages, ``n`` the respondents
        of the domain who answered the item. Missing-data policy: a blank answer is not counted.

    Notes
    -----
    The interval is R's ``svyciprop(~I(item == answer), subset(design, by == b & !is.na(item)),
    method = "beta")`` (Korn & Graubard): each domain's own respondents and degrees of freedom (those who
    answered, minus the variance strata among them; the index's rule too). It stays inside 0–100 and is
    conservative for small shares. Where the share is 0 % or 100 % the design variance is 0
    and the Clopper–Pearson bounds on ``n`` are used.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"unit": ["a"] * 4 + ["b"] * 4, "weight": 1.0,
    ...                    "saw": ["y", "n", "n", "dk", "n", "n", "n", None]})
    >>> # R: svyciprop(~I(saw == "y"), subset(svydesign(id=~1, weights=~weight, data=df),
    >>> #      unit == "a" & !is.na(saw)), method = "beta"), and so on per unit and answer
    >>> answer_shares(df, {"saw": ["y", "n", "dk"]}, by=["unit"])[["unit", "answer", "estimate", "n"]]
      unit answer  estimate  n
    0    a      y      25.0  4
    1    a      n      50.0  4
    2    a     dk      25.0  4
    3    b      y       0.0  3
    4    b      n     100.0  3
    5    b     dk       0.0  3
    """
    by = list(by)
    missing = [c for c in [*items, *by] if c not in data.columns]
    if missing:
        raise ValueError(f"column(s) {', '.join(missing)} not found in the responses")
    if data.empty:
        return pd.DataFrame(columns=[*by, *_COLUMNS])
    work = data.assign(_g="all")
    frame, _ = _analysis_frame(
        work,
        [],
        by,
        "_g",
        weight,
        [c for c in strata if c in data.columns],
        fpc if fpc is not None and fpc in data.columns else None,
        open_access,
    )
    # Every item as a categorical column of its codes, so one design and one svymean call give the share of
    # every answer of every item per domain (a code nobody chose gets 0).
    names = {item: f"_i{k}" for k, item in enumerate(items)}
    for item, codes in items.items():
        frame[names[item]] = pd.Categorical(_answer_codes(data[item]), categories=list(codes))
    design = svydesign(
        frame, strata="_h", weights="_w", fpc="_N" if "_N" in frame.columns else None, lonely_psu=lonely_psu
    )
    table = svymean(design, list(names.values()), by or None, level=level)
    table = table.rename(columns={"level": "answer"})
    table["item"] = table["variable"].map({v: k for k, v in names.items()})
    # Each domain's degrees of freedom for an item: its respondents who answered, minus the variance strata
    # among them (R's degf() of the domain's subset design).
    dfs = []
    for item, column in names.items():
        answered = frame.loc[frame[column].notna()]
        if by:
            grouped = answered.groupby(by, dropna=False, observed=True)["_h"]
            own = (grouped.size() - grouped.nunique()).rename("_df").reset_index()
        else:
            own = pd.DataFrame({"_df": [len(answered) - answered["_h"].nunique()]})
        dfs.append(own.assign(item=item))
    own_df = pd.concat(dfs, ignore_index=True)
    table = table.merge(own_df, on=[*by, "item"], how="left") if by else table.merge(own_df, on="item")
    table["df"] = table["_df"].astype("float64")
    table["ci_low"], table["ci_high"] = _korn_graubard(
        table["estimate"], table["se"], table["n"], table["df"], level
    )
    out = table.drop(columns=["_df", "variable"])
    # Domains where nobody answered the item carry no figure at all.
    out = out.loc[out["n"] > 0].reset_index(drop=True)
    p = out["estimate"]
    lo_exact, hi_exact = _exact_ends(p, out["n"], level)
    degenerate = (p <= 0) | (p >= 1)
    out["ci_low"] = out["ci_low"].where(~degenerate, lo_exact)
    out["ci_high"] = out["ci_high"].where(~degenerate, hi_exact)
    for column in ("estimate", "se", "ci_low", "ci_high"):
        out[column] = out[column].astype("float64") * 100.0
    out["n"] = out["n"].astype("int64")
    order = {k: i for i, k in enumerate(items)}
    out["_o"] = out["item"].map(order)
    out = out.sort_values([*by, "_o"], kind="stable").drop(columns="_o").reset_index(drop=True)
    return out[[*by, *_COLUMNS]]
