"""Quantiles with Woodruff confidence intervals (R: ``svyquantile`` in ``survey`` >= 4.0).

The point estimate inverts the weighted empirical CDF with a quantile rule (``qrule``). The
interval is Woodruff's: estimate the proportion ``p_hat = F(q_hat)`` of the population at or below
the estimated quantile, with its design-based SE, form a confidence interval for that proportion
(``interval_type``), and map its end points back through the same quantile rule. The reported SE
is backed out of the interval's width, ``(upper - lower) / (2 qt(1 - a/2, df))``, as R does.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from scoring.design import FloatArray, SurveyDesign
from scoring.estimators import _fit, _numeric_values, _Variable
from scoring.intervals import (
    asin_interval,
    check_level,
    effective_n_t_adjusted,
    logit_interval,
    t_interval,
    t_quantile,
)

__all__ = ["QRULES", "svyquantile", "weighted_quantile"]

QRule = Literal["math", "school", "hf7"]
QRULES: tuple[str, ...] = ("math", "school", "hf7")
IntervalType = Literal["mean", "beta", "xlogit", "asin"]


def _sorted_cum(x: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray]:
    keep = w != 0
    x, w = x[keep], w[keep]
    order = np.argsort(x, kind="stable")
    # R's cumsum accumulates in long double and stores doubles; ties in "cumw <= p * total" hinge
    # on the last bit, so accumulate the same way.
    cumw = np.cumsum(w[order].astype(np.longdouble)).astype(np.float64)
    return x[order], cumw


def weighted_quantile(x: FloatArray, w: FloatArray, p: float, qrule: QRule = "math") -> float:
    """Weighted quantile of ``x`` by R's ``qrule_math``, ``qrule_school`` or ``qrule_hf7``.

    ``math``: the smallest ``x`` with weighted CDF ``>= p`` (the lower value when the CDF hits ``p``
    exactly); ``school``: the average of the two values when the CDF hits ``p`` exactly; ``hf7``:
    linear interpolation (Hyndman-Fan type 7, weighted).

    Examples
    --------
    >>> import numpy as np
    >>> weighted_quantile(np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4), 0.5)
    2.0
    >>> weighted_quantile(np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4), 0.5, "school")
    2.5
    """
    xs, cumw = _sorted_cum(x, w)
    n = xs.size
    if n == 0:
        return float("nan")
    total = cumw[-1]
    if qrule == "hf7":
        pk = np.concatenate([[0.0], cumw[:-1]]) / cumw[n - 2] if n > 1 else np.zeros(1)
        return float(np.interp(p, pk, xs))
    below = np.flatnonzero(cumw <= p * total)
    pos = int(below[-1]) if below.size else 0
    posnext = pos if pos == n - 1 else pos + 1
    exact = below.size > 0 and (p - cumw[pos] / total) == 0
    if qrule == "math":
        return float(xs[pos] if exact else xs[posnext])
    if qrule == "school":
        return float((xs[pos] + xs[posnext]) / 2 if exact else xs[posnext])
    raise ValueError(f"qrule must be one of {', '.join(QRULES)}, not {qrule!r}")


def svyquantile(
    design: SurveyDesign,
    value: str,
    quantiles: float | list[float] = 0.5,
    *,
    qrule: QRule = "math",
    interval_type: IntervalType = "mean",
    level: float = 0.95,
    df: float | None = None,
) -> pd.DataFrame:
    """Quantiles with Woodruff intervals for the whole population (R: ``svyquantile``).

    Parameters
    ----------
    design : SurveyDesign
    value : str
        Numeric column. Rows with missing values drop out (R's ``na.rm=TRUE``) but stay in the
        design.
    quantiles : float or list of float
    qrule : {"math", "school", "hf7"}
    interval_type : {"mean", "beta", "xlogit", "asin"}
        Interval for the proportion below the quantile: Wald, Korn-Graubard, logit or arcsine.
    level : float
    df : float, optional
        Default: the design's degrees of freedom.

    Returns
    -------
    DataFrame
        ``quantile, estimate, se, ci_low, ci_high, df, n``; an interval end is NaN when the
        proportion interval leaves [0, 1] (as R).

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.design import svydesign
    >>> df = pd.DataFrame({"y": [float(v) for v in range(1, 21)]})
    >>> # R: svyquantile(~y, svydesign(id=~1, data=df), 0.5, ci=TRUE)
    >>> svyquantile(svydesign(df), "y", 0.5)[["estimate", "ci_low", "ci_high"]]
       estimate  ci_low  ci_high
    0      10.0     6.0     15.0
    """
    check_level(level)
    if qrule not in QRULES:
        raise ValueError(f"qrule must be one of {', '.join(QRULES)}, not {qrule!r}")
    qs = [quantiles] if isinstance(quantiles, float | int) else list(quantiles)
    for p in qs:
        if not 0 <= p <= 1:
            raise ValueError(f"quantiles must be between 0 and 1, not {p!r}")
    x, ok = _numeric_values(design, value, "value")
    w = np.where(ok, design.weights, 0.0)
    xv = np.where(ok, x, 0.0)
    dfv = float(design.df if df is None else df)
    alpha = 1 - level
    qcrit = float(t_quantile(level, dfv))
    n_obs = int(ok.sum())
    rows = []
    dom = np.zeros(design.n, dtype=np.int64)
    for p in qs:
        qhat = weighted_quantile(xv[ok], w[ok], p, qrule)
        ind = _Variable(value, None, (xv <= qhat).astype(np.float64), ok)
        fit = _fit(design, [ind], dom, 1, kind="mean")
        pm = float(fit.estimate[0, 0])
        vm = float(fit.variance[0, 0])
        sm = np.sqrt(vm)
        if interval_type == "mean":
            lo, hi = t_interval(pm, sm, dfv, level)
            pl, pu = float(lo), float(hi)
        elif interval_type == "xlogit":
            lo, hi = logit_interval(pm, sm, qcrit)
            pl, pu = float(lo), float(hi)
        elif interval_type == "asin":
            lo, hi = asin_interval(pm, sm, qcrit)
            pl, pu = float(lo), float(hi)
        elif interval_type == "beta":
            # No guard for p = 0 or 1 as in svyciprop: such a p has no variance and has already failed at
            # the division, and where the df give no t quantile the ends are to stay NaN.
            neff = float(effective_n_t_adjusted(pm * (1 - pm) / vm, n_obs, dfv, level))
            pl = float(stats.beta.ppf(alpha / 2, neff * pm, neff * (1 - pm) + 1))
            pu = float(stats.beta.ppf(1 - alpha / 2, neff * pm + 1, neff * (1 - pm)))
        else:
            raise ValueError(f"interval_type must be mean, beta, xlogit or asin, not {interval_type!r}")
        lower = np.nan if (np.isnan(pl) or pl < 0) else weighted_quantile(xv[ok], w[ok], pl, qrule)
        upper = np.nan if (np.isnan(pu) or pu > 1) else weighted_quantile(xv[ok], w[ok], pu, qrule)
        rows.append((p, qhat, (upper - lower) / (2 * qcrit), lower, upper))
    out = pd.DataFrame(rows, columns=["quantile", "estimate", "se", "ci_low", "ci_high"])
    out["df"] = design.df if df is None else df
    out["n"] = n_obs
    return out
