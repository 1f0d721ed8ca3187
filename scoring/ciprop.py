"""Confidence intervals for proportions that stay inside [0, 1] (R: ``svyciprop``).

The proportion and its standard error are those of :func:`scoring.estimators.svymean` of the 0/1
indicator (linearization or replicate weights); only the interval differs by method:

``logit``
    Wald interval on the logit scale, back-transformed (R ``method="logit"``, a ``svyglm`` with
    quasibinomial family). With linearization the logit-scale SE is ``se / (p (1-p))``; with replicate
    weights it is the replicate variance of the replicate logits, as ``svyglm`` refits per replicate.
``xlogit``
    The same by the delta method for every design (R ``method="xlogit"``).
``beta``
    Korn & Graubard (1998): Clopper-Pearson on the effective sample size
    ``n_eff = p (1-p) / var * (qt(a/2, n-1) / qt(a/2, df))^2`` (R ``method="beta"``).
``likelihood``
    Profile likelihood of the quasi-binomial fit, scaled for the design, computed as R does
    (:mod:`scoring.likelihood`; linearization designs only, R gives no interval with replicate weights).
``asin``
    Wald interval for ``asin(sqrt(p))``, back-transformed (R ``method="asin"``).
``mean``
    Plain Wald interval ``p -/+ t se`` (may leave [0, 1]; R ``method="mean"``).
``wilson``
    Wilson score interval on ``n_eff = p (1-p) / var`` with critical value ``qt(1-a/2, df)``
    (``critical="t"``) or the normal quantile (``critical="z"``); not in R's ``survey`` package.

All use the t distribution with the degrees of freedom R uses: the domain's own (R's ``svyby`` calls
``svyciprop`` on ``design[domain, ]``, whose ``degf`` counts the domain's PSUs) unless ``df`` is given; the
beta interval always uses the domain's df and its row count, missing values included (R's ``nrow(design)``).
A domain where every respondent is a success has no spread: ``beta``, ``xlogit`` and ``asin`` give NaN as
in R, ``logit`` and ``mean`` give ``[1, 1]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special, stats

from scoring.design import FloatArray, SurveyDesign, domain_df
from scoring.estimators import _column, _fit, _is_categorical, _Variable, domains
from scoring.intervals import (
    asin_interval,
    check_level,
    effective_n_t_adjusted,
    logit_interval,
    t_interval,
    t_quantile,
)
from scoring.likelihood import likelihood_interval
from scoring.variance import replicate_variance

__all__ = ["CIPROP_METHODS", "svyciprop"]

CIPROP_METHODS: tuple[str, ...] = ("logit", "likelihood", "xlogit", "beta", "asin", "mean", "wilson")

Method = Literal["logit", "likelihood", "xlogit", "beta", "asin", "mean", "wilson"]


def _indicator(design: SurveyDesign, value: str, success: object | None) -> _Variable:
    s = _column(design, value, "value")
    ok = s.notna().to_numpy()
    if len(s) and not ok.any():
        raise ValueError(f"value column {value!r} has no non-missing values")
    if success is not None:
        arr = s.to_numpy(dtype=object)
        return _Variable(value, str(success), (arr == success).astype(np.float64), ok)
    if _is_categorical(s):
        raise ValueError(f"value column {value!r} is categorical: say which level is a success (success=...)")
    a = s.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.any((a[ok] < 0) | (a[ok] > 1)):
        raise ValueError(f"value column {value!r} must be 0/1 (or boolean) for a proportion")
    return _Variable(value, None, np.where(ok, a, 0.0), ok)


def svyciprop(
    design: SurveyDesign,
    value: str,
    by: str | Sequence[str] | None = None,
    *,
    success: object | None = None,
    method: Method = "logit",
    level: float = 0.95,
    df: float | None = None,
    critical: Literal["t", "z"] = "t",
) -> pd.DataFrame:
    """Proportion with a confidence interval inside [0, 1], per domain (R: ``svyciprop``).

    Parameters
    ----------
    design : SurveyDesign
    value : str
        A 0/1 or boolean column, or any column together with ``success``.
    by : str or sequence of str, optional
        Domain columns (R: ``svyby(~I(x), ~by, design, svyciprop)``).
    success : object, optional
        The value counted as a success (``I(value == success)``).
    method : {"logit", "likelihood", "xlogit", "beta", "asin", "mean", "wilson"}
        See the module documentation.
    level : float
    df : float, optional
        Degrees of freedom of the t quantiles; default each domain's (R's ``df=degf(design)`` evaluated
        on the domain's subset). The beta interval ignores it, as R does.
    critical : {"t", "z"}
        Only for ``wilson``: t at ``df`` or the normal quantile.

    Returns
    -------
    DataFrame
        ``[*by, estimate, se, ci_low, ci_high, df, n]``; ``se`` is the SE of the proportion.

    Notes
    -----
    Rows with a missing ``value`` drop out of the estimate but stay in the design (R's
    ``na.rm=TRUE``).

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.design import svydesign
    >>> df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3, 4, 4], "yes": [1, 0, 1, 1, 0, 1, 1, 1]})
    >>> d = svydesign(df, ids="psu")
    >>> # R: svyciprop(~I(yes==1), svydesign(id=~psu, data=df), method="beta")
    >>> svyciprop(d, "yes", method="beta")[["estimate", "ci_low", "ci_high"]].round(4)
       estimate  ci_low  ci_high
    0      0.75  0.2435   0.9881
    """
    check_level(level)
    if method not in CIPROP_METHODS:
        raise ValueError(f"method must be one of {', '.join(CIPROP_METHODS)}, not {method!r}")
    if method == "likelihood" and design.replicates is not None:
        raise ValueError(
            "method='likelihood' needs a linearization design: with replicate weights R's svyciprop gives "
            "no interval (NA); use method='logit' or 'beta'"
        )
    var = _indicator(design, value, success)
    dom, labels = domains(design, by)
    n_dom = len(labels)
    fit = _fit(design, [var], dom, n_dom, kind="mean", keep_influence=False)
    p = fit.estimate[0]
    v = fit.variance[0]
    se = np.where(fit.n[0] > 0, np.sqrt(v), np.nan)
    # R evaluates svyciprop on design[domain, ]: its df (unless df= is given) and, for the beta
    # interval, its row count (missing values and zero weights included) are the domain's.
    dom_df = domain_df(design, dom, n_dom).astype(np.float64)
    dfv = dom_df if df is None else np.full(n_dom, float(df))
    rows = np.bincount(dom[dom >= 0], minlength=n_dom).astype(np.float64)
    alpha = 1 - level
    q = t_quantile(level, dfv)
    lo: FloatArray
    hi: FloatArray
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "mean":
            lo, hi = t_interval(p, se, dfv, level)
        elif method == "asin":
            lo, hi = asin_interval(p, se, q)
        elif method in ("logit", "xlogit"):
            s_eta: FloatArray | None = None
            failed = np.zeros(n_dom, dtype=bool)
            if method == "logit" and design.replicates is not None and fit.replicates is not None:
                reps = special.logit(fit.replicates[0])
                s_eta = np.sqrt(replicate_variance(design.replicates, special.logit(p), reps))
                # R refits the glm per replicate and stops where a replicate has no weight in the domain.
                failed = np.isnan(reps).any(axis=1)
            lo, hi = logit_interval(p, se, q, se_logit=s_eta)
            if method == "logit":
                # The glm's fitted proportion of a domain of all successes (failures) is 1 (0) to within
                # 1e-10, with no spread: R's interval is [1, 1] wherever the df allow one (for all
                # failures R's is [0, NA], an artefact of the unconverged fit; we give [0, 0]).
                for edge in (0.0, 1.0):
                    at = (p == edge) & np.isfinite(q)
                    lo = np.where(at, edge, lo)
                    hi = np.where(at, edge, hi)
                lo = np.where(failed, np.nan, lo)
                hi = np.where(failed, np.nan, hi)
        elif method == "beta":
            # R: n_eff * (qt(a/2, nrow(design) - 1) / qt(a/2, degf(design)))^2, always the domain's degf;
            # a domain with no spread (p of 0 or 1) has n_eff = 0/0 and no interval.
            neff = effective_n_t_adjusted(p * (1 - p) / v, rows, dom_df, level)
            x = neff * p
            y = neff * (1 - p)
            lo = np.where(x == 0, 0.0, stats.beta.ppf(alpha / 2, x, y + 1))
            hi = np.where(y == 0, 1.0, stats.beta.ppf(1 - alpha / 2, x + 1, y))
        elif method == "likelihood":
            lo = np.full(n_dom, np.nan)
            hi = np.full(n_dom, np.nan)
            for d in range(n_dom):
                lo[d], hi[d] = likelihood_interval(design, var.values, var.ok, dom == d, float(dfv[d]), level)
        else:  # wilson
            neff = p * (1 - p) / v
            cv = q if critical == "t" else float(t_quantile(level, np.inf))
            den = 1 + cv**2 / neff
            ctr = (p + cv**2 / (2 * neff)) / den
            hw = cv * np.sqrt(p * (1 - p) / neff + cv**2 / (4 * neff**2)) / den
            lo, hi = ctr - hw, ctr + hw
    out = labels.reset_index(drop=True) if len(labels.columns) else pd.DataFrame(index=range(len(p)))
    out["estimate"] = p
    out["se"] = se
    out["ci_low"] = lo
    out["ci_high"] = hi
    out["df"] = dom_df.astype(np.int64) if df is None else df
    out["n"] = fit.n[0]
    return out
