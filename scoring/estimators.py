"""Design-based estimators: means, totals, proportions, ratios and linear contrasts, by domain.

Every estimator takes a :class:`~scoring.design.SurveyDesign` and returns a DataFrame with the domain
columns under their own names (when ``by`` is given), then ``variable``/``level`` when several
variables or the levels of a categorical variable are estimated, then
``estimate, se, ci_low, ci_high, df, n`` (and ``deff`` on request).

Conventions (all matching R's ``survey`` 4.1):

* **Domains** are estimated on the full design: rows outside the domain keep their place in the
  design with zero influence (R: ``svyby``, which subsets the design but keeps every PSU). The
  domain loop is vectorised: one pass over the rows, whatever the number of domains.
* **Variance** by Taylor linearization for :func:`~scoring.design.svydesign` designs and by the
  replicate weights for replicate designs.
* **Confidence intervals** are Wald intervals with the t distribution at the design's degrees of
  freedom, ``estimate -/+ qt(1 - (1-level)/2, df) * se`` (R: ``confint(x, df=degf(design))``), from
  :func:`scoring.intervals.t_interval`.
* **Missing data** (R's ``na.rm=TRUE``): a row with a missing value in the analysed variable (or,
  for a ratio, in the numerator or denominator) contributes nothing to that estimate but stays in
  the design, so PSU counts, strata and degrees of freedom are those of the full design. Rows with a
  missing value in a ``by`` column belong to no domain. ``n`` counts the rows that contribute.
* **Categorical variables** (string, object or category dtype) give one row per level with the
  estimated proportion (mean) or total of the level indicator, like R's ``svymean(~factor)``;
  levels are the categories of a categorical dtype, otherwise the sorted distinct values.
  Booleans are treated as numeric 0/1.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from scoring.design import FloatArray, IntArray, SurveyDesign
from scoring.intervals import check_level, t_interval
from scoring.variance import linearized_variance, replicate_variance

__all__ = ["svycontrast", "svymean", "svyratio", "svytotal", "t_interval"]

BoolArray = npt.NDArray[np.bool_]

RESULT_COLUMNS: tuple[str, ...] = ("estimate", "se", "ci_low", "ci_high", "df", "n")


# --------------------------------------------------------------------------------------- utilities


def _column(design: SurveyDesign, col: str, role: str) -> pd.Series:
    if col not in design.data.columns:
        raise ValueError(
            f"{role} column {col!r} not found in the data "
            f"(columns: {', '.join(map(str, design.data.columns[:20]))})"
        )
    return design.data[col]


def _is_categorical(s: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s))


@dataclass(frozen=True)
class _Variable:
    name: str
    level: str | None
    values: FloatArray
    ok: BoolArray


def _expand(design: SurveyDesign, cols: Sequence[str], role: str = "value") -> list[_Variable]:
    out: list[_Variable] = []
    for col in cols:
        s = _column(design, col, role)
        if _is_categorical(s):
            ok = s.notna().to_numpy()
            if isinstance(s.dtype, pd.CategoricalDtype):
                levels = list(s.cat.categories)
            else:
                levels = sorted(pd.unique(s[ok]).tolist(), key=str)
            if not levels:
                raise ValueError(f"{role} column {col!r} has no non-missing values")
            arr = s.to_numpy(dtype=object)
            for lev in levels:
                out.append(_Variable(col, str(lev), (arr == lev).astype(np.float64), ok))
        else:
            a = s.to_numpy(dtype=np.float64, na_value=np.nan)
            _check_values(s, a, col, role)
            out.append(_Variable(col, None, a, ~np.isnan(a)))
    return out


def _check_values(s: pd.Series, a: FloatArray, col: str, role: str) -> None:
    """A value column must have a value somewhere and no infinities (they would make every sum NaN)."""
    if a.size and np.isnan(a).all():
        raise ValueError(f"{role} column {col!r} has no non-missing values")
    inf = np.isinf(a)
    if inf.any():
        pos = int(np.flatnonzero(inf)[0])
        raise ValueError(
            f"{role} column {col!r} has an infinite value ({float(a[pos])!r}) in row {pos + 1} "
            f"(index {s.index[pos]!r}); use a missing value instead"
        )


def _numeric_values(design: SurveyDesign, col: str, role: str) -> tuple[FloatArray, np.ndarray]:
    s = _column(design, col, role)
    if _is_categorical(s):
        raise ValueError(f"{role} column {col!r} must be numeric, found dtype {s.dtype}")
    a = s.to_numpy(dtype=np.float64, na_value=np.nan)
    _check_values(s, a, col, role)
    return a, ~np.isnan(a)


def domains(design: SurveyDesign, by: str | Sequence[str] | None) -> tuple[IntArray, pd.DataFrame]:
    """Domain code per row (``-1``: a ``by`` value is missing) and the domain labels, sorted."""
    n = design.n
    if by is None:
        return np.zeros(n, dtype=np.int64), pd.DataFrame(index=range(1))
    cols = [by] if isinstance(by, str) else list(by)
    if not cols:
        return np.zeros(n, dtype=np.int64), pd.DataFrame(index=range(1))
    key = np.zeros(n, dtype=np.int64)
    missing = np.zeros(n, dtype=bool)
    uniques: list[pd.Index] = []
    for c in cols:
        codes, uniq = pd.factorize(_column(design, c, "by"), sort=True)
        missing |= codes < 0
        key = key * (len(uniq) + 1) + codes
        uniques.append(pd.Index(uniq))
    key[missing] = -1
    present = key >= 0
    dcodes, dkeys = pd.factorize(key[present], sort=True)
    dom = np.full(n, -1, dtype=np.int64)
    dom[present] = dcodes
    labels: dict[str, object] = {}
    rem = np.asarray(dkeys, dtype=np.int64)
    parts: list[np.ndarray] = []
    for u in reversed(uniques):
        parts.append(rem % (len(u) + 1))
        rem = rem // (len(u) + 1)
    for c, u, p in zip(cols, uniques, reversed(parts), strict=True):
        labels[c] = u.take(p)
    return dom, pd.DataFrame(labels)


@dataclass(frozen=True)
class _Fit:
    """Estimates for k variables x D domains, with what is needed for variances of combinations."""

    estimate: FloatArray  # (k, D)
    variance: FloatArray  # (k, D)
    n: np.ndarray  # (k, D)
    influence: FloatArray | None  # (k, n) linearization influence values (row-level)
    replicates: FloatArray | None  # (k, D, R) replicate estimates
    vsrs: FloatArray  # (k, D) SRS variance for deff (NaN where undefined)
    domain: IntArray


def _wvar(
    y: FloatArray, w: FloatArray, dom: IntArray, d: int, mean: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """R's ``svyvar`` per domain (n/(n-1) weighted variance), with nobs and weight sums."""
    nz = w != 0
    nobs = np.bincount(dom, weights=nz.astype(np.float64), minlength=d).astype(np.float64)
    psum = np.bincount(dom, weights=w, minlength=d).astype(np.float64)
    dev = y - mean[dom]
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.bincount(dom, weights=w * dev * dev, minlength=d) / psum * nobs / (nobs - 1)
    return v, nobs, psum


def _fit(
    design: SurveyDesign,
    variables: list[_Variable],
    domain: IntArray,
    n_domains: int,
    *,
    kind: Literal["mean", "total", "ratio"],
    denominator: tuple[FloatArray, np.ndarray] | None = None,
    keep_influence: bool = False,
) -> _Fit:
    k, d, n = len(variables), n_domains, design.n
    est = np.empty((k, d))
    var = np.empty((k, d))
    cnt = np.empty((k, d), dtype=np.int64)
    vsrs = np.full((k, d), np.nan)
    infl_all = np.zeros((k, n)) if keep_influence else None
    rep = design.replicates
    reps_all = np.empty((k, d, rep.n_replicates)) if rep is not None else None
    w_full = design.weights
    for j, v in enumerate(variables):
        ok = v.ok & (domain >= 0)
        if denominator is not None:
            ok = ok & denominator[1]
        dom = domain[ok]
        y = v.values[ok]
        w = w_full[ok]
        cnt[j] = np.bincount(dom, minlength=d)
        ty = np.bincount(dom, weights=w * y, minlength=d)
        if kind == "total":
            x = np.ones_like(y)
            est[j] = ty
            infl = w * y
        else:
            x = denominator[0][ok] if denominator is not None else np.ones_like(y)
            tx = np.bincount(dom, weights=w * x, minlength=d)
            with np.errstate(divide="ignore", invalid="ignore"):
                r = ty / tx
                est[j] = r
                infl = w * (y - r[dom] * x) / tx[dom]
        if rep is not None:
            rows = np.flatnonzero(ok)
            if kind == "total" and rep.selfrep is not None:
                # R's svytotal on generated replicates leaves rows of strata sampled in full out of the
                # replicate totals (they change nothing but the adjust replicate and mse=True centring).
                keep = ~rep.selfrep[rows]
                a = sp.csr_matrix((y[keep], (dom[keep], rows[keep])), shape=(d, n))
            else:
                a = sp.csr_matrix((y, (dom, rows)), shape=(d, n))
            rty = np.asarray(a @ rep.weights)
            if kind == "total":
                reps_j = rty
            else:
                b = sp.csr_matrix((x, (dom, rows)), shape=(d, n))
                rtx = np.asarray(b @ rep.weights)
                with np.errstate(divide="ignore", invalid="ignore"):
                    reps_j = rty / rtx
            assert reps_all is not None
            reps_all[j] = reps_j
            var[j] = replicate_variance(rep, est[j], reps_j)
        else:
            full_infl = np.zeros(n)
            full_infl[ok] = infl
            var[j] = linearized_variance(design, full_infl, np.where(ok, domain, -1), d)
            if infl_all is not None:
                infl_all[j] = full_infl
        if kind != "ratio":
            mean = (
                est[j]
                if kind == "mean"
                else np.bincount(dom, weights=w * y, minlength=d) / np.bincount(dom, weights=w, minlength=d)
            )
            sv, nobs, psum = _wvar(y, w, dom, d, mean)
            with np.errstate(divide="ignore", invalid="ignore"):
                if kind == "mean":
                    vsrs[j] = np.where(psum >= nobs, sv * (psum - nobs) / (psum * nobs), np.nan)
                else:
                    vsrs[j] = sv * psum**2 * (psum - nobs) / (psum * nobs)
    return _Fit(est, var, cnt, infl_all, reps_all, vsrs, domain)


def _frame(
    fit: _Fit,
    labels: pd.DataFrame,
    variables: list[_Variable],
    df: int,
    level: float,
    *,
    show_variable: bool,
    deff: bool,
) -> pd.DataFrame:
    k, d = fit.estimate.shape
    # A domain without a single value has no estimate, and no standard error either (not 0).
    se = np.where(fit.n > 0, np.sqrt(fit.variance), np.nan)
    lo, hi = t_interval(fit.estimate, se, df, level)
    show_level = any(v.level is not None for v in variables)
    # Row order: domain-major, like svyby's output table read row by row.
    idx_d = np.repeat(np.arange(d), k)
    idx_v = np.tile(np.arange(k), d)
    out = (
        labels.iloc[idx_d].reset_index(drop=True) if len(labels.columns) else pd.DataFrame(index=range(d * k))
    )
    if show_variable:
        out["variable"] = [variables[j].name for j in idx_v]
    if show_level:
        out["level"] = [variables[j].level for j in idx_v]
    out["estimate"] = fit.estimate[idx_v, idx_d]
    out["se"] = se[idx_v, idx_d]
    out["ci_low"] = lo[idx_v, idx_d]
    out["ci_high"] = hi[idx_v, idx_d]
    out["df"] = df
    out["n"] = fit.n[idx_v, idx_d]
    if deff:
        with np.errstate(divide="ignore", invalid="ignore"):
            out["deff"] = (fit.variance / fit.vsrs)[idx_v, idx_d]
    return out


def _values_arg(value: str | Sequence[str]) -> tuple[list[str], bool]:
    if isinstance(value, str):
        return [value], False
    cols = list(value)
    if not cols:
        raise ValueError("no value column given")
    return cols, True


def _estimate(
    design: SurveyDesign,
    value: str | Sequence[str],
    by: str | Sequence[str] | None,
    level: float,
    deff: bool,
    kind: Literal["mean", "total"],
) -> pd.DataFrame:
    check_level(level)
    cols, many = _values_arg(value)
    variables = _expand(design, cols)
    dom, labels = domains(design, by)
    fit = _fit(design, variables, dom, len(labels), kind=kind)
    return _frame(fit, labels, variables, design.df, level, show_variable=many, deff=deff)


# ------------------------------------------------------------------------------------- estimators


def svymean(
    design: SurveyDesign,
    value: str | Sequence[str],
    by: str | Sequence[str] | None = None,
    *,
    level: float = 0.95,
    deff: bool = False,
) -> pd.DataFrame:
    """Weighted mean (ratio to the weights) per domain (R: ``svymean``, ``svyby(..., svymean)``).

    ``mean_d = sum_i w_i y_i / sum_i w_i`` over the rows of domain ``d`` with ``y`` observed; its
    influence values are ``w_i (y_i - mean_d) / sum w`` inside the domain and 0 elsewhere.

    Parameters
    ----------
    design : SurveyDesign
    value : str or sequence of str
        Column(s) to average. A categorical column gives the proportion of each level. Passing a
        list adds a ``variable`` column to the result.
    by : str or sequence of str, optional
        Domain columns; one output row per combination present in the data (sorted).
    level : float
        Confidence level of the t interval at the design's df.
    deff : bool
        Add R's design effect ``deff = V / V_srs`` with ``V_srs = svyvar * (N - n) / (N n)``
        (``deff=TRUE``).

    Returns
    -------
    DataFrame
        ``[*by, (variable), (level), estimate, se, ci_low, ci_high, df, n, (deff)]``.

    Notes
    -----
    Missing values in ``value`` drop the row from the estimate but keep it in the design (R's
    ``na.rm=TRUE``); rows with a missing ``by`` value are in no domain.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.design import svydesign
    >>> df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3], "y": [3.0, 5.0, 4.0, 6.0, 8.0, 10.0],
    ...                    "g": ["a", "b", "a", "b", "a", "b"], "w": [2.0, 2.0, 1.0, 1.0, 1.0, 1.0]})
    >>> d = svydesign(df, ids="psu", weights="w")
    >>> # R: svymean(~y, svydesign(id=~psu, weights=~w, data=df))
    >>> svymean(d, "y")[["estimate", "se", "df", "n"]].round(4)
       estimate      se  df  n
    0       5.5  1.4197   2  6
    >>> # R: svyby(~y, ~g, svydesign(id=~psu, weights=~w, data=df), svymean)
    >>> svymean(d, "y", by="g")[["g", "estimate", "se"]].round(4)
       g  estimate      se
    0  a       4.5  1.4197
    1  b       6.5  1.4197
    """
    return _estimate(design, value, by, level, deff, "mean")


def svytotal(
    design: SurveyDesign,
    value: str | Sequence[str],
    by: str | Sequence[str] | None = None,
    *,
    level: float = 0.95,
    deff: bool = False,
) -> pd.DataFrame:
    """Horvitz-Thompson total per domain (R: ``svytotal``, ``svyby(..., svytotal)``).

    ``total_d = sum_i w_i y_i`` over domain rows with ``y`` observed; influence values ``w_i y_i``.
    Parameters, result and missing-data policy as :func:`svymean`; ``deff`` uses
    ``V_srs = svyvar * N^2 (N - n) / (N n)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.design import svydesign
    >>> df = pd.DataFrame({"y": [3.0, 5.0, 4.0, 6.0], "N": [40, 40, 40, 40]})
    >>> # R: svytotal(~y, svydesign(id=~1, fpc=~N, data=df))
    >>> svytotal(svydesign(df, fpc="N"), "y")[["estimate", "se"]].round(3)
       estimate      se
    0     180.0  24.495
    """
    return _estimate(design, value, by, level, deff, "total")


def svyratio(
    design: SurveyDesign,
    numerator: str,
    denominator: str,
    by: str | Sequence[str] | None = None,
    *,
    level: float = 0.95,
) -> pd.DataFrame:
    """Ratio of two totals per domain (R: ``svyratio(~num, ~den, design)``).

    ``R_d = sum w y / sum w x``; influence ``w_i (y_i - R_d x_i) / sum w x``. Rows with either
    variable missing drop out of both totals (R's ``na.rm=TRUE``) but stay in the design.

    Returns
    -------
    DataFrame
        ``[*by, estimate, se, ci_low, ci_high, df, n]``.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.design import svydesign
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 2.0, 5.0], "x": [2.0, 3.0, 5.0, 6.0]})
    >>> # R: svyratio(~y, ~x, svydesign(id=~1, data=df))
    >>> svyratio(svydesign(df), "y", "x")[["estimate", "se"]].round(4)
       estimate     se
    0     0.625  0.123
    """
    check_level(level)
    num, num_ok = _numeric_values(design, numerator, "numerator")
    den, den_ok = _numeric_values(design, denominator, "denominator")
    var = _Variable(f"{numerator}/{denominator}", None, num, num_ok)
    dom, labels = domains(design, by)
    fit = _fit(design, [var], dom, len(labels), kind="ratio", denominator=(den, den_ok))
    return _frame(fit, labels, [var], design.df, level, show_variable=False, deff=False)


def _key(label: object) -> Hashable:
    return label if isinstance(label, Hashable) else str(label)


def svycontrast(
    design: SurveyDesign,
    coefficients: Mapping[Hashable, float],
    value: str | Sequence[str],
    by: str | Sequence[str] | None = None,
    *,
    statistic: Literal["mean", "total"] = "mean",
    level: float = 0.95,
) -> pd.DataFrame:
    """Linear combination of means or totals with its full covariance (R: ``svycontrast``).

    Without ``by``, ``coefficients`` are keyed by variable name (e.g. ``{"api00": 1, "api99": -1}``
    for a difference of two means; for a categorical variable use ``"name=level"``). With ``by``
    and one variable, they are keyed by domain label (a tuple for several ``by`` columns), e.g.
    group weights of a composite index. Estimates not named get coefficient 0.

    The variance is that of the combined influence values (linearization) or of the combined
    replicate estimates, so covariances between variables and between domains (which share PSUs)
    are included.

    Returns
    -------
    DataFrame
        One row: ``estimate, se, ci_low, ci_high, df, n`` (``n``: rows contributing to a term with
        a non-zero coefficient).

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.design import svydesign
    >>> df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3], "a": [3.0, 5.0, 4.0, 6.0, 8.0, 10.0],
    ...                    "b": [2.0, 5.0, 3.0, 3.0, 8.0, 6.0]})
    >>> d = svydesign(df, ids="psu")
    >>> # R: svycontrast(svymean(~a+b, svydesign(id=~psu, data=df)), c(a=1, b=-1))
    >>> svycontrast(d, {"a": 1, "b": -1}, ["a", "b"])[["estimate", "se"]].round(4)
       estimate   se
    0       1.5  0.5
    """
    check_level(level)
    cols, _ = _values_arg(value)
    variables = _expand(design, cols)
    dom, labels = domains(design, by)
    d = len(labels)
    fit = _fit(design, variables, dom, d, kind=statistic, keep_influence=design.replicates is None)
    c = np.zeros((len(variables), d))
    names = [v.name if v.level is None else f"{v.name}={v.level}" for v in variables]
    if by is None:
        vindex: dict[Hashable, int] = {name: j for j, name in enumerate(names)}
        for key, coef in coefficients.items():
            if key not in vindex:
                raise ValueError(
                    f"coefficient for {key!r} does not match an estimate (have {', '.join(names)})"
                )
            c[vindex[key], 0] = float(coef)
    else:
        if len(variables) != 1:
            raise ValueError("with by=, svycontrast combines the domains of a single numeric variable")
        if labels.shape[1] == 1:
            dkeys = [_key(x) for x in labels.iloc[:, 0].tolist()]
        else:
            dkeys = [tuple(r) for r in labels.itertuples(index=False, name=None)]
        dindex: dict[Hashable, int] = {key: i for i, key in enumerate(dkeys)}
        for key, coef in coefficients.items():
            if key not in dindex:
                raise ValueError(
                    f"coefficient for domain {key!r} does not match a domain (have {dkeys[:10]})"
                )
            c[0, dindex[key]] = float(coef)
    estimate = float(np.nansum(c * fit.estimate))
    if fit.replicates is not None and design.replicates is not None:
        reps = np.einsum("kd,kdr->r", c, fit.replicates)
        variance = float(replicate_variance(design.replicates, np.array([estimate]), reps[None, :])[0])
    else:
        assert fit.influence is not None
        dom_safe = np.where(dom >= 0, dom, 0)
        z = np.zeros(design.n)
        for j in range(len(variables)):
            z += np.where(dom >= 0, c[j, dom_safe], 0.0) * fit.influence[j]
        variance = float(linearized_variance(design, z, np.zeros(design.n, dtype=np.int64), 1)[0])
    se = np.array([np.sqrt(variance)])
    lo, hi = t_interval(np.array([estimate]), se, design.df, level)
    n_used = int((fit.n * (c != 0)).sum())
    return pd.DataFrame(
        {"estimate": [estimate], "se": se, "ci_low": lo, "ci_high": hi, "df": [design.df], "n": [n_used]}
    )
