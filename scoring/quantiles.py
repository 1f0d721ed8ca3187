"""Quantiles with Woodruff confidence intervals (R: ``svyquantile`` in ``survey`` >= 4.0).

The point estimate inverts the weighted empirical CDF with a quantile rule (``qrule``). The
interval is Woodruff's: estimate the proportion ``p_hat = F(q_hat)`` of the population at or below
the estimated quantile, with its design-based SE, form a confidence interval for that proportion
(``interval_type``), and map its end points back through the same quantile rule. The reported SE
is backed out of the interval's width, ``(upper - lower) / (2 qt(1 - a/2, df))``, as R does.
Besides Woodruff's, R's score-test interval (``ffullerCI``) and, for replicate designs, the
replicate-quantile interval (``repCI``) are available. Each domain is estimated as R's ``svyquantile``
on ``design[domain, ]`` after dropping the rows without a value, so its df and the beta interval's
``n`` are those rows'.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from scoring.design import FloatArray, SurveyDesign, domain_df
from scoring.estimators import _fit, _numeric_values, _Variable, domains
from scoring.intervals import (
    asin_interval,
    check_level,
    effective_n_t_adjusted,
    logit_interval,
    t_interval,
    t_quantile,
)
from scoring.variance import replicate_variance

__all__ = ["INTERVAL_TYPES", "QRULES", "svyquantile", "weighted_quantile"]

QRule = Literal["math", "school", "hf7"]
QRULES: tuple[str, ...] = ("math", "school", "hf7")
IntervalType = Literal["mean", "beta", "xlogit", "asin", "score", "quantile"]
INTERVAL_TYPES: tuple[str, ...] = ("mean", "beta", "xlogit", "asin", "score", "quantile")


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


def _zeroin(f: Callable[[float], float], ax: float, bx: float, fa: float, fb: float, tol: float) -> float:
    """R's ``uniroot`` (``R_zeroin2``, Brent's method) step for step.

    The score interval's function is a step function of the data, so the root R returns is the point where
    its iterations stop; only the same iterations give the same quantile.
    """
    eps = np.finfo(float).eps
    a, b, c, fc = ax, bx, ax, fa
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    for _ in range(1001):
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * eps * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b


def _uniroot(f: Callable[[float], float], lower: float, upper: float, tol: float) -> float:
    """R's ``uniroot`` with its checks; NaN where R stops with an error."""
    if not lower < upper:
        return float("nan")
    fl, fu = f(lower), f(upper)
    if np.isnan(fl) or np.isnan(fu) or fl * fu > 0:
        return float("nan")  # R: "f.lower = f(lower) is NA", "f() values at end points not of opposite sign"
    return _zeroin(f, lower, upper, fl, fu, tol)


def _domain_mean(design: SurveyDesign, values: FloatArray, rows: np.ndarray) -> tuple[float, float]:
    """Mean and variance of ``values`` over the rows ``rows`` (a domain of the full design)."""
    ind = _Variable("_", None, values, rows)
    fit = _fit(design, [ind], np.where(rows, 0, -1).astype(np.int64), 1, kind="mean")
    return float(fit.estimate[0, 0]), float(fit.variance[0, 0])


def _score_interval(
    design: SurveyDesign, x: FloatArray, rows: np.ndarray, p: float, qrule: QRule, level: float, df: float
) -> tuple[float, float]:
    """R's ``ffullerCI``: invert the score test of ``P(X > theta) = 1 - p`` (``interval.type="score"``)."""
    xd = x[rows]
    wd = design.weights[rows]
    crit = float(t_quantile(level, df))
    if not np.isfinite(crit) or xd.size < 2:
        return float("nan"), float("nan")

    def score(theta: float, limit: float) -> float:
        m, v = _domain_mean(design, np.where(rows, (x > theta) - (1 - p), 0.0), rows)
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(m / np.sqrt(v) - limit)

    q75, q25 = np.percentile(xd, [75, 25])
    iqr = float(q75 - q25)
    lower_t = float(xd.min()) + iqr / 100
    upper_t = float(xd.max()) - iqr / 100
    tol = 1 / (100 * np.sqrt(xd.size))
    qlow = _uniroot(lambda t: score(t, crit), lower_t, upper_t, tol)
    qup = _uniroot(lambda t: score(t, -crit), lower_t, upper_t, tol)
    ends = []
    for root in (qlow, qup):
        ends.append(
            float("nan") if np.isnan(root) else weighted_quantile(xd, wd, float(np.mean(xd <= root)), qrule)
        )
    return ends[0], ends[1]


def svyquantile(
    design: SurveyDesign,
    value: str,
    quantiles: float | list[float] = 0.5,
    *,
    by: str | Sequence[str] | None = None,
    qrule: QRule = "math",
    interval_type: IntervalType = "mean",
    level: float = 0.95,
    df: float | None = None,
) -> pd.DataFrame:
    """Quantiles with confidence intervals, per domain (R: ``svyquantile``, ``svyby(..., svyquantile)``).

    Parameters
    ----------
    design : SurveyDesign
    value : str
        Numeric column. Rows with missing values drop out (R's ``na.rm=TRUE``): the estimate, the df
        and the ``n`` of the beta interval are those of the rows with a value (R's
        ``svyquantile`` subsets the design to them), while PSU counts stay the design's.
    quantiles : float or list of float
    by : str or sequence of str, optional
        Domain columns; each domain is estimated as R's ``svyquantile`` on ``design[domain, ]``.
    qrule : {"math", "school", "hf7"}
    interval_type : {"mean", "beta", "xlogit", "asin", "score", "quantile"}
        Woodruff intervals for the proportion below the quantile (Wald, Korn-Graubard, logit, arcsine),
        the score-test inversion (``score``, linearization designs only) or, for replicate designs, the
        replicate variance of the replicate quantiles (``quantile``). With replicate weights R's
        Woodruff interval is always the Wald one (``beta``, ``xlogit`` and ``asin`` give ``mean``'s
        interval there, as in R 4.1).
    level : float
    df : float, optional
        Default: the df of the domain's rows with a value (R's ``degf(design)`` after ``na.rm``).

    Returns
    -------
    DataFrame
        ``[*by, quantile, estimate, se, ci_low, ci_high, df, n]``; an interval end is NaN when the
        proportion interval leaves [0, 1] or R would stop inside that domain (a domain with no df, a
        score test without a sign change); ``n`` counts the rows with a value.

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
    if interval_type not in INTERVAL_TYPES:
        raise ValueError(f"interval_type must be one of {', '.join(INTERVAL_TYPES)}, not {interval_type!r}")
    if interval_type == "quantile" and design.replicates is None:
        raise ValueError("interval_type='quantile' needs replicate weights (R: svyquantile.svyrep.design)")
    if interval_type == "score" and design.replicates is not None:
        raise ValueError("interval_type='score' needs a linearization design (R: svyquantile.survey.design)")
    qs = [quantiles] if isinstance(quantiles, float | int) else list(quantiles)
    for p in qs:
        if not 0 <= p <= 1:
            raise ValueError(f"quantiles must be between 0 and 1, not {p!r}")
    x, ok = _numeric_values(design, value, "value")
    if np.isinf(x[ok]).any():
        row = int(np.flatnonzero(ok & np.isinf(x))[0])
        raise ValueError(f"value column {value!r} has an infinite value (row {row + 1})")
    xv = np.where(ok, x, 0.0)
    dom, labels = domains(design, by)
    n_dom = len(labels)
    obs = np.where(ok, dom, -1)
    dom_df = domain_df(design, obs, n_dom)
    n_obs = np.bincount(obs[obs >= 0], minlength=n_dom)
    alpha = 1 - level
    w = design.weights
    rep = design.replicates
    out_rows: list[tuple[int, float, float, float, float, float, float]] = []
    # Row indices of each domain, found once (a mask per domain would cost rows x domains).
    order = np.argsort(obs, kind="stable")
    bounds = np.searchsorted(obs[order], np.arange(n_dom + 1))
    members = [order[bounds[d] : bounds[d + 1]] for d in range(n_dom)]
    for p in qs:
        qhat = np.full(n_dom, np.nan)
        for d in range(n_dom):
            rows = members[d]
            if rows.size:
                qhat[d] = weighted_quantile(xv[rows], w[rows], p, qrule)
        # One pass for every domain's proportion at or below its own quantile.
        below = (xv <= np.where(obs >= 0, qhat[np.maximum(obs, 0)], np.nan)).astype(np.float64)
        fit = _fit(design, [_Variable(value, None, below, obs >= 0)], obs, n_dom, kind="mean")
        for d in range(n_dom):
            rows = members[d]
            dfd = float(dom_df[d] if df is None else df)
            qcrit = float(t_quantile(level, dfd))
            pm = np.float64(fit.estimate[0, d])
            vm = np.float64(fit.variance[0, d])
            sm = np.sqrt(vm)
            pl = pu = float("nan")
            lower = upper = float("nan")
            with np.errstate(divide="ignore", invalid="ignore"):
                if not rows.size:
                    pass
                elif interval_type == "quantile":
                    assert rep is not None
                    reps = np.array(
                        [
                            weighted_quantile(xv[rows], rep.weights[rows, r], p, qrule)
                            for r in range(rep.n_replicates)
                        ]
                    )
                    v = float(replicate_variance(rep, np.array([qhat[d]]), reps[None, :])[0])
                    lower, upper = qhat[d] - np.sqrt(v) * qcrit, qhat[d] + np.sqrt(v) * qcrit
                elif interval_type == "score":
                    lower, upper = _score_interval(design, xv, obs == d, p, qrule, level, dfd)
                else:
                    if interval_type == "mean" or rep is not None:
                        # R's svyquantile.svyrep.design calls woodruffCI without its method, so every
                        # Woodruff interval of a replicate design is the Wald one.
                        lo, hi = t_interval(pm, sm, dfd, level)
                    elif interval_type == "xlogit":
                        lo, hi = logit_interval(pm, sm, qcrit)
                    elif interval_type == "asin":
                        lo, hi = asin_interval(pm, sm, qcrit)
                    else:  # beta: R uses the subset's own row count and degf here, whatever df= says
                        neff = effective_n_t_adjusted(
                            pm * (1 - pm) / vm, int(n_obs[d]), float(dom_df[d]), level
                        )
                        lo = np.asarray(stats.beta.ppf(alpha / 2, neff * pm, neff * (1 - pm) + 1))
                        hi = np.asarray(stats.beta.ppf(1 - alpha / 2, neff * pm + 1, neff * (1 - pm)))
                    pl, pu = float(lo), float(hi)
                    if not (np.isnan(pl) or pl < 0):
                        lower = weighted_quantile(xv[rows], w[rows], pl, qrule)
                    if not (np.isnan(pu) or pu > 1):
                        upper = weighted_quantile(xv[rows], w[rows], pu, qrule)
                se = (upper - lower) / (2 * qcrit)
            out_rows.append((d, p, float(qhat[d]), float(se), float(lower), float(upper), dfd))
    idx = sorted(range(len(out_rows)), key=lambda i: (out_rows[i][0], i))
    ordered = [out_rows[i] for i in idx]
    d_idx = [r[0] for r in ordered]
    out = (
        labels.iloc[d_idx].reset_index(drop=True)
        if len(labels.columns)
        else pd.DataFrame(index=range(len(ordered)))
    )
    out["quantile"] = [r[1] for r in ordered]
    out["estimate"] = [r[2] for r in ordered]
    out["se"] = [r[3] for r in ordered]
    out["ci_low"] = [r[4] for r in ordered]
    out["ci_high"] = [r[5] for r in ordered]
    out["df"] = [int(r[6]) if df is None else df for r in ordered]
    out["n"] = n_obs[d_idx]
    return out
