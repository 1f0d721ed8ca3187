"""Confidence intervals shared by the estimators and the index.

One rule for the critical value, used everywhere: the two-sided t quantile at ``df`` degrees of freedom,
the normal quantile when ``df`` is infinite, and no interval (NaN) when ``df`` is zero, negative or NaN,
as R's ``qt(1 - (1 - level)/2, df)``. The Wald interval and the transformed intervals of a proportion
(R's ``svyciprop`` and the proportion step of ``svyquantile``) are built on it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from scoring.design import FloatArray

__all__ = [
    "asin_interval",
    "check_level",
    "effective_n_t_adjusted",
    "logit_interval",
    "t_interval",
    "t_quantile",
]

#: A number or an array of them: the functions broadcast, one value per row or one for all.
Values = float | npt.NDArray[np.floating[Any] | np.integer[Any]]


def check_level(level: float) -> None:
    """Raise ``ValueError`` unless ``0 < level < 1``."""
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), not {level!r}")


def t_quantile(level: float, df: Values) -> FloatArray:
    """Two-sided critical value ``qt(1 - (1 - level)/2, df)`` for a scalar ``df`` or one per row.

    Parameters
    ----------
    level : float
        Confidence level, between 0 and 1.
    df : float or array_like
        Degrees of freedom; ``inf`` gives the normal quantile, ``df <= 0`` or NaN gives NaN.

    Returns
    -------
    ndarray
        Shaped like ``df`` (0-d for a scalar).
    """
    check_level(level)
    d = np.asarray(df, dtype=np.float64)
    p = 1 - (1 - level) / 2
    usable = d > 0
    finite = usable & np.isfinite(d)
    # scipy's t at df=inf is one unit in the last place off the normal quantile, which R's qt(p, Inf)
    # returns exactly; the placeholder df keeps scipy from warning on the rows that get NaN anyway.
    with np.errstate(invalid="ignore"):
        q = np.where(finite, stats.t.ppf(p, np.where(finite, d, 1.0)), np.nan)
    return np.asarray(np.where(usable & ~finite, stats.norm.ppf(p), q), dtype=np.float64)


def t_interval(
    estimate: Values, se: Values, df: Values, level: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Wald interval ``estimate -/+ t_quantile(level, df) * se`` (R: ``confint(x, df=...)``).

    Parameters
    ----------
    estimate, se : float or ndarray
    df : float or ndarray
        One number for all rows or one per row; rows without a usable ``df`` (see :func:`t_quantile`) get
        NaN ends.
    level : float

    Returns
    -------
    ci_low, ci_high : ndarray
    """
    q = t_quantile(level, df)
    est = np.asarray(estimate, dtype=np.float64)
    s = np.asarray(se, dtype=np.float64)
    return est - q * s, est + q * s


def effective_n_t_adjusted(neff: Values, n: Values, df: Values, level: float) -> FloatArray:
    """Korn–Graubard effective sample size scaled by ``(qt(alpha/2, n - 1) / qt(alpha/2, df))^2``.

    The beta (Clopper–Pearson-type) intervals of R's ``svyciprop`` and ``svyquantile`` use it so that the
    binomial interval has the design's degrees of freedom rather than ``n - 1``.

    Parameters
    ----------
    neff : float or ndarray
        ``p (1 - p) / V``, the sample size at which a binomial proportion has the design variance ``V``.
    n : int or ndarray
        Respondents contributing to ``p``.
    df : float
        Design degrees of freedom.
    level : float
        Confidence level (``alpha = 1 - level``).

    Returns
    -------
    ndarray
    """
    alpha = 1 - level
    ratio = stats.t.ppf(alpha / 2, np.asarray(n) - 1) / stats.t.ppf(alpha / 2, df)
    return np.asarray(np.asarray(neff) * ratio**2, dtype=np.float64)


def asin_interval(p: Values, se: Values, q: Values) -> tuple[FloatArray, FloatArray]:
    """Interval of a proportion on the arcsine-square-root scale, back-transformed (R: ``method="asin"``).

    Parameters
    ----------
    p, se : float or ndarray
        Proportion and its standard error.
    q : float
        Critical value (:func:`t_quantile`).

    Returns
    -------
    low, high : ndarray
        ``sin^2(asin(sqrt p) -/+ q se / (2 sqrt(p (1 - p))))``.
    """
    pa = np.asarray(p, dtype=np.float64)
    a = np.arcsin(np.sqrt(pa))
    sa = np.asarray(se) / (2 * np.sqrt(pa * (1 - pa)))
    return np.sin(a - q * sa) ** 2, np.sin(a + q * sa) ** 2


def logit_interval(
    p: Values, se: Values, q: Values, *, se_logit: Values | None = None
) -> tuple[FloatArray, FloatArray]:
    """Interval of a proportion on the logit scale, back-transformed (R: ``method="logit"``/``"xlogit"``).

    Parameters
    ----------
    p, se : float or ndarray
        Proportion and its standard error.
    q : float
        Critical value (:func:`t_quantile`).
    se_logit : float or ndarray, optional
        Standard error of ``logit(p)`` when it is known directly (replicate designs); otherwise the delta
        method's ``se / (p (1 - p))``.

    Returns
    -------
    low, high : ndarray
        ``expit(logit(p) -/+ q se_logit)``.
    """
    pa = np.asarray(p, dtype=np.float64)
    eta = special.logit(pa)
    s = np.asarray(se) / (pa * (1 - pa)) if se_logit is None else np.asarray(se_logit)
    return special.expit(eta - q * s), special.expit(eta + q * s)
