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
import pandas as pd
from scipy import stats

from scoring.design import FloatArray, IntArray, LonelyPSU, Stage, SurveyDesign, svydesign
from scoring.estimators import domains
from scoring.index.groups import _analysis_frame
from scoring.intervals import check_level, effective_n_t_adjusted
from scoring.variance import _stage_scale

__all__ = ["answer_share_tables", "answer_shares"]

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


def _answer_codes(column: pd.Series, codes: Sequence[str]) -> IntArray:
    """Each answer's position in ``codes`` (``-1`` for blank, missing or a code not listed), stripping each
    distinct value once: a million answers take a hash pass, not a million string operations."""
    if len(set(codes)) != len(codes):
        raise ValueError(f"the answer codes of {column.name!r} repeat a code: {list(codes)!r}")
    positions, uniques = pd.factorize(column, use_na_sentinel=True)
    where: dict[str | None, int] = {code: k for k, code in enumerate(codes)}
    lookup = np.array([where.get(str(u).strip() or None, -1) for u in uniques] + [-1], dtype=np.int64)
    return np.asarray(lookup[positions], dtype=np.int64)  # position -1 (missing) reads the final -1


class _Partition:
    """One partition of the respondents into domains, with what every item's variance needs of it: each
    row's domain and (domain, variance stratum) cell, as :func:`scoring.variance.linearized_variance`
    forms them for a one-stage design without clusters (``id=~1``, the design :func:`answer_shares`
    builds)."""

    def __init__(self, design: SurveyDesign, by: list[str]) -> None:
        (stage,) = design.stages  # id=~1: one stage, every row its own unit
        self.stage: Stage = stage
        self.lonely_psu = design.lonely_psu
        dom, self.labels = domains(design, by or None)
        self.n_domains = len(self.labels)
        inside = dom >= 0
        cell = np.full(dom.shape[0], -1, dtype=np.int64)
        codes, uniq = pd.factorize(dom[inside] * stage.n_strata + stage.stratum[inside])
        cell[inside] = codes
        self.n_cells = len(uniq)
        # Rows in no domain go to an extra domain and cell past the end, so that every item's sums can run
        # over all rows without first selecting them.
        self.domain = np.where(inside, dom, self.n_domains)
        self.cell = np.where(inside, cell, self.n_cells)
        self.cell_domain = np.asarray(uniq // stage.n_strata, dtype=np.int64)
        self.cell_stratum = np.asarray(uniq % stage.n_strata, dtype=np.int64)


def _item_shares(
    part: _Partition, weights: FloatArray, answer: IntArray, n_codes: int
) -> tuple[FloatArray, FloatArray, IntArray, FloatArray]:
    """Share, design variance, respondents and degrees of freedom of every answer of one item in every
    domain, each ``(n_domains, n_codes)``: R's ``svymean(~I(item == code), subset(design, by == b &
    !is.na(item)))`` for all answers and domains from a few sums per (domain, stratum, answer) cell.

    The share is the ratio of the same weight sums :func:`scoring.svymean` forms, added in the same order.
    The variance is :func:`scoring.variance.linearized_variance` of the answer's influence values ``z_i =
    w_i (y_i - p) / W`` (``y_i`` the answer's indicator, ``p`` the share, ``W`` the domain's weight), one
    stage without clusters: ``V = sum_h s_h [sum_i (z_i - zbar_h)^2 + (n_h - m_h) zbar_h^2]`` over the
    domain's ``m_h`` respondents of stratum ``h``. ``z`` takes one value per weight within the rows that
    gave the answer, ``(1 - p) / W`` times it, and another within the rows that did not, ``-p / W`` times
    it, so the sum of squares splits into the weights' own spread (summed about each cell's mean weight,
    as a two-pass variance, not as a difference of squares) and each class's distance from ``zbar``: every
    term is a sum of squares, nothing cancels, and the figures agree with the per-answer computation to
    rounding (tests/scoring/test_answer_shares_vectorised.py).
    """
    stage = part.stage
    d, g, k = part.n_domains, part.n_cells, n_codes
    slot = answer + 1  # 0: not answered
    ans = answer >= 0
    # Shares exactly as svymean sums them: weights of the domain's respondents per answer, in row order.
    ty = np.bincount(part.domain * (k + 1) + slot, weights=weights, minlength=(d + 1) * (k + 1))
    ty = ty.reshape(d + 1, k + 1)[:d, 1:]
    tx = np.bincount(part.domain * 2 + ans, weights=weights, minlength=(d + 1) * 2).reshape(d + 1, 2)[:d, 1]
    count = np.bincount(part.domain[ans], minlength=d + 1)[:d]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = ty / tx[:, None]
    # Per (domain, stratum) cell and answer: respondents, weight sum and the weights' squared deviations
    # from their mean.
    key = part.cell * (k + 1) + slot
    size = (g + 1) * (k + 1)
    m_flat = np.bincount(key, minlength=size).astype(np.float64)
    a_flat = np.bincount(key, weights=weights, minlength=size)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_flat = np.where(m_flat > 0, a_flat / m_flat, 0.0)
    spread = weights - mean_flat[key]
    m2_flat = np.bincount(key, weights=spread * spread, minlength=size)
    m, a, mean, m2 = (x.reshape(g + 1, k + 1)[:g, 1:] for x in (m_flat, a_flat, mean_flat, m2_flat))
    # The rows that gave another answer, as one class (its spread combined from the answers' own).
    other = ~np.eye(k, dtype=bool)
    m0 = (m[:, None, :] * other).sum(axis=2)
    a0 = (a[:, None, :] * other).sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean0 = np.where(m0 > 0, a0 / m0, 0.0)
    between = m[:, None, :] * (mean[:, None, :] - mean0[:, :, None]) ** 2
    m2_0 = (m2[:, None, :] * other).sum(axis=2) + np.where(other, between, 0.0).sum(axis=2)
    m_cell = m.sum(axis=1)
    present = m_cell > 0
    h = part.cell_stratum
    nh = stage.n_units.astype(np.float64)[h]
    scale, bad_strata, averaging = _stage_scale(stage, part.lonely_psu)
    centre_at_zero = (stage.n_units == 1) & (part.lonely_psu == "adjust")
    p = share[part.cell_domain]
    total = tx[part.cell_domain][:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        yes = (1 - p) / total  # z / w for a respondent who gave the answer
        no = -p / total  # and for one who did not
        zbar = np.where(centre_at_zero[h][:, None], 0.0, (yes * a + no * a0) / nh[:, None])
        squares = (
            yes * yes * m2
            + m * (yes * mean - zbar) ** 2
            + no * no * m2_0
            + m0 * (no * mean0 - zbar) ** 2
            + (nh - m_cell)[:, None] * zbar * zbar  # the stratum's rows outside the domain: z = 0
        )
    contrib = np.where(present[:, None], scale[h][:, None] * squares, 0.0)
    var = np.stack([np.bincount(part.cell_domain, weights=contrib[:, j], minlength=d) for j in range(k)], 1)
    n_strata = np.bincount(part.cell_domain, weights=present, minlength=d)
    if averaging:
        n_ok = n_strata - np.bincount(part.cell_domain, weights=present & bad_strata[h], minlength=d)
        with np.errstate(divide="ignore", invalid="ignore"):
            var = var * np.where(n_strata > 0, n_strata / n_ok, 1.0)[:, None]
    # Degrees of freedom: the domain's respondents who answered minus the variance strata among them (R's
    # degf() of the domain's subset design).
    df = count - n_strata
    return (
        np.asarray(share, dtype=np.float64),
        np.asarray(var, dtype=np.float64),
        np.repeat(count[:, None], k, axis=1),
        np.repeat(df[:, None], k, axis=1).astype(np.float64),
    )


def _table(
    part: _Partition,
    by: list[str],
    items: Mapping[str, Sequence[str]],
    parts: list[tuple[FloatArray, FloatArray, IntArray, FloatArray]],
    level: float,
) -> pd.DataFrame:
    """The shares of every item's answers in one partition's domains, with their intervals."""
    estimate, var, count, df = (np.concatenate([p[j] for p in parts], axis=1) for j in range(4))
    d, k = estimate.shape
    # Domain-major, then item, then answer (the table svymean gives with the answers as levels).
    table = (
        part.labels.iloc[np.repeat(np.arange(d), k)].reset_index(drop=True)
        if by
        else pd.DataFrame(index=range(d * k))
    )
    table["item"] = [item for item, codes in items.items() for _ in codes] * d
    table["answer"] = [str(code) for codes in items.values() for code in codes] * d
    table["estimate"] = estimate.ravel()
    with np.errstate(invalid="ignore"):
        table["se"] = np.where(count > 0, np.sqrt(np.maximum(var, 0.0)), np.nan).ravel()
    table["df"] = df.ravel()
    table["n"] = count.ravel()
    table["ci_low"], table["ci_high"] = _korn_graubard(
        table["estimate"], table["se"], table["n"], table["df"], level
    )
    # Domains where nobody answered the item carry no figure at all.
    out = table.loc[table["n"] > 0].reset_index(drop=True)
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


def answer_share_tables(
    data: pd.DataFrame,
    items: Mapping[str, Sequence[str]],
    partitions: Sequence[Sequence[str]],
    *,
    weight: str | None = "weight",
    strata: Sequence[str] = ("stratum",),
    fpc: str | None = "fpc",
    open_access: str | None = "open_access",
    level: float = 0.95,
    lonely_psu: LonelyPSU = "adjust",
) -> list[pd.DataFrame]:
    """:func:`answer_shares` for several domain partitions of the same responses (e.g. ``[["unit"],
    ["institution"]]``), reading each item's answers and building the design once for all of them.

    Parameters
    ----------
    data : DataFrame
        One respondent group's responses, as for :func:`answer_shares`.
    items : mapping of str to sequence of str
        Item column → the answer codes to report, in order.
    partitions : sequence of sequence of str
        The ``by`` columns of each table (``[]`` for the whole group).
    weight, strata, fpc, open_access, level, lonely_psu
        As for :func:`answer_shares`.

    Returns
    -------
    list of DataFrame
        One :func:`answer_shares` table per partition, in order.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"unit": ["a", "a", "b", "b"], "institution": "K", "weight": 1.0,
    ...                    "saw": ["y", "n", "n", "n"]})
    >>> # R: svyciprop(~I(saw == "y"), subset(design, unit == "a" & !is.na(saw)), method = "beta"), and
    >>> # with institution == "K" for the second table
    >>> units, whole = answer_share_tables(df, {"saw": ["y", "n"]}, [["unit"], ["institution"]])
    >>> units["estimate"].tolist(), whole["estimate"].tolist()
    ([50.0, 50.0, 0.0, 100.0], [25.0, 75.0])
    """
    domain_columns = [list(by) for by in partitions]
    missing = [
        c for c in dict.fromkeys([*items, *(c for by in domain_columns for c in by)]) if c not in data.columns
    ]
    if missing:
        raise ValueError(f"column(s) {', '.join(missing)} not found in the responses")
    check_level(level)
    if not items:
        raise ValueError("no items given: name at least one choice question")
    if data.empty:
        return [pd.DataFrame(columns=[*by, *_COLUMNS]) for by in domain_columns]
    frame, _ = _analysis_frame(
        data.assign(_g="all"),
        [],
        list(dict.fromkeys(c for by in domain_columns for c in by)),
        "_g",
        weight,
        [c for c in strata if c in data.columns],
        fpc if fpc is not None and fpc in data.columns else None,
        open_access,
    )
    design = svydesign(
        frame, strata="_h", weights="_w", fpc="_N" if "_N" in frame.columns else None, lonely_psu=lonely_psu
    )
    weights = np.asarray(design.weights, dtype=np.float64)
    parts = [_Partition(design, by) for by in domain_columns]
    figures: list[list[tuple[FloatArray, FloatArray, IntArray, FloatArray]]] = [[] for _ in parts]
    for item, codes in items.items():
        answer = _answer_codes(data[item], codes)
        for part, out in zip(parts, figures, strict=True):
            out.append(_item_shares(part, weights, answer, len(codes)))
    return [
        _table(part, by, items, out, level)
        for part, by, out in zip(parts, domain_columns, figures, strict=True)
    ]


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
    (table,) = answer_share_tables(
        data,
        items,
        [by],
        weight=weight,
        strata=strata,
        fpc=fpc,
        open_access=open_access,
        level=level,
        lonely_psu=lonely_psu,
    )
    return table
