"""Profile-likelihood interval of a proportion, step by step as R's ``svyciprop(method="likelihood")``.

R fits the intercept-only quasi-binomial ``svyglm`` (weights rescaled to mean 1 over the domain's rows) and
asks ``confint(fit, method="likelihood", ddf=df)``, which

1. scales the level for the design: ``lambda = V_design(b) / V_naive(b)`` for the logit ``b``, and the
   profile is cut at the normal quantiles of ``2 alpha`` with
   ``alpha = pnorm(qt((1 - level)/2, ddf) * sqrt(lambda)) / 2``;
2. profiles the deviance as MASS's ``profile.glm`` does: up to 9 steps of ``del * se`` either side of
   ``b`` (``zmax = sqrt(qf(alpha, 1, n - 1, lower.tail=FALSE))``, ``del = zmax / 5``), each giving the
   signed root ``z = sign * sqrt((D(b_i) - D(b)) / phi)`` of the deviance increase over the design-based
   dispersion ``phi`` (``svyvar`` of survey's Pearson residuals, whose weights cancel to the constant
   ``sqrt(mean weight of the rows with a value / mean weight of all rows)``);
3. interpolates ``z`` against ``b`` with R's ``spline()`` (Forsythe-Malcolm-Moler end conditions,
   ``3 k`` points for ``k`` profile points), and reads the two cut points back by linear interpolation
   (``approx``), then maps them through the inverse logit.

An intercept-only model needs no refitting at each step: the deviance at ``b_i`` is that of the constant
fitted value ``expit(b_i)``. So the result equals R's up to rounding.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from scoring.design import FloatArray, SurveyDesign
from scoring.variance import linearized_variance

__all__ = ["fmm_spline", "likelihood_interval"]

_MAXSTEPS = 10


def _fmm_coefficients(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """R's ``fmm_spline`` (splines.c): cubic coefficients with end third derivatives from 4-point fits."""
    n = x.size
    b = np.zeros(n)
    c = np.zeros(n)
    d = np.zeros(n)
    if n < 3:
        t = (y[1] - y[0]) / (x[1] - x[0])
        b[:] = t
        return b, c, d
    nm1 = n - 1
    d[0] = x[1] - x[0]
    c[1] = (y[1] - y[0]) / d[0]
    for i in range(1, nm1):
        d[i] = x[i + 1] - x[i]
        b[i] = 2.0 * (d[i - 1] + d[i])
        c[i + 1] = (y[i + 1] - y[i]) / d[i]
        c[i] = c[i + 1] - c[i]
    b[0] = -d[0]
    b[nm1] = -d[n - 2]
    c[0] = c[nm1] = 0.0
    if n > 3:
        c[0] = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0])
        c[nm1] = c[n - 2] / (x[nm1] - x[n - 3]) - c[n - 3] / (x[n - 2] - x[n - 4])
        c[0] = c[0] * d[0] * d[0] / (x[3] - x[0])
        c[nm1] = -c[nm1] * d[n - 2] * d[n - 2] / (x[nm1] - x[n - 4])
    for i in range(1, n):
        t = d[i - 1] / b[i - 1]
        b[i] = b[i] - t * d[i - 1]
        c[i] = c[i] - t * c[i - 1]
    c[nm1] = c[nm1] / b[nm1]
    for i in range(n - 2, -1, -1):
        c[i] = (c[i] - d[i] * c[i + 1]) / b[i]
    b[nm1] = (y[nm1] - y[n - 2]) / d[n - 2] + d[n - 2] * (c[n - 2] + 2.0 * c[nm1])
    for i in range(nm1):
        b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2.0 * c[i])
        d[i] = (c[i + 1] - c[i]) / d[i]
        c[i] = 3.0 * c[i]
    c[nm1] = 3.0 * c[nm1]
    d[nm1] = d[n - 2]
    return b, c, d


def fmm_spline(x: FloatArray, y: FloatArray, n: int | None = None) -> tuple[FloatArray, FloatArray]:
    """R's ``spline(x, y, n = 3 * length(x), method = "fmm")``: ``n`` equally spaced points on the spline.

    Parameters
    ----------
    x, y : ndarray
        Knots, in any order (sorted by ``x``, ties averaged, as R's ``regularize.values``).
    n : int, optional
        Number of output points (default ``3 * len(x)``).

    Returns
    -------
    xout, yout : ndarray

    Examples
    --------
    >>> import numpy as np
    >>> # R: spline(c(0, 1, 2, 4), c(0, 1, 4, 16), n = 5)$y   (a cubic through 4 points is exact)
    >>> fmm_spline(np.array([0.0, 1.0, 2.0, 4.0]), np.array([0.0, 1.0, 4.0, 16.0]), 5)[1].round(6)
    array([ 0.,  1.,  4.,  9., 16.])
    """
    k = 3 * np.asarray(x).size if n is None else n
    # R's regularize.values: knots sorted by x, y averaged over tied x.
    x, inverse = np.unique(np.asarray(x, dtype=np.float64), return_inverse=True)
    y = np.bincount(inverse, weights=np.asarray(y, dtype=np.float64)) / np.bincount(inverse)
    b, c, d = _fmm_coefficients(x, y)
    xout = np.linspace(x[0], x[-1], k)
    xout[0], xout[-1] = x[0], x[-1]
    i = np.clip(np.searchsorted(x, xout, side="right") - 1, 0, x.size - 1)
    dx = xout - x[i]
    return xout, y[i] + dx * (b[i] + dx * (c[i] + dx * d[i]))


def _approx(x: FloatArray, y: FloatArray, xout: FloatArray) -> FloatArray:
    """R's ``approx(x, y, xout)`` (linear, ties averaged, NA outside the range)."""
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    ux, inverse = np.unique(xs, return_inverse=True)
    uy = np.bincount(inverse, weights=ys) / np.bincount(inverse)
    out = np.interp(xout, ux, uy)
    return np.where((xout < ux[0]) | (xout > ux[-1]), np.nan, out)


def _linkinv(eta: FloatArray | float) -> FloatArray:
    """R's C ``logit_linkinv``: exp(eta) clamped to [eps, 1/eps] beyond |eta| = 30, so the deviance of a
    far-off fitted value levels off, as it does in R's profile."""
    e = np.asarray(eta, dtype=np.float64)
    eps = np.finfo(float).eps
    with np.errstate(over="ignore"):
        t = np.where(e < -30, eps, np.where(e > 30, 1 / eps, np.exp(np.clip(e, -30, 30))))
    return np.asarray(t / (1 + t), dtype=np.float64)


def _glm_intercept(y: FloatArray, w: FloatArray) -> tuple[float, FloatArray]:
    """R's ``glm.fit`` for ``y ~ 1``, quasi-binomial, prior weights ``w``: the IRLS iterations themselves.

    Returns the fitted logit and the fitted values of the last iteration's start, whose working weights
    R keeps for ``cov.unscaled`` (glm stops on a relative deviance change below 1e-8, so these differ
    from the final fit in the 5th digit at times, and so does R's interval).
    """
    mu = (w * y + 0.5) / (w + 1)  # binomial()$initialize
    eta = special.logit(mu)
    devold = _binomial_deviance_vec(y, w, mu)
    good = w > 0
    coef = float("nan")
    prev = mu
    for _ in range(25):
        mu_eta = np.maximum(mu * (1 - mu), np.finfo(float).eps)
        z = eta + (y - mu) / mu_eta
        ww = w * mu_eta**2 / (mu * (1 - mu))
        coef = float(np.sum((ww * z)[good]) / np.sum(ww[good]))
        prev = mu
        eta = np.full_like(y, coef)
        mu = _linkinv(eta)
        dev = _binomial_deviance_vec(y, w, mu)
        if abs(dev - devold) / (abs(dev) + 0.1) < 1e-8:
            break
        devold = dev
    return coef, np.asarray(prev, dtype=np.float64)


def _binomial_deviance_vec(y: FloatArray, w: FloatArray, mu: FloatArray | float) -> float:
    m = np.broadcast_to(np.asarray(mu, dtype=np.float64), y.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(y > 0, y * np.log(y / m), 0.0)
        b = np.where(y < 1, (1 - y) * np.log((1 - y) / (1 - m)), 0.0)
    return float(np.sum(2 * w * (a + b)))


def likelihood_interval(
    design: SurveyDesign,
    y: FloatArray,
    ok: npt.NDArray[np.bool_],
    in_domain: npt.NDArray[np.bool_],
    df: float,
    level: float,
) -> tuple[float, float]:
    """Profile-likelihood interval of a weighted proportion (R: ``svyciprop(..., method="likelihood")``).

    Parameters
    ----------
    design : SurveyDesign
        A linearization design.
    y : ndarray, shape (n,)
        The 0/1 value of every row (anything where ``ok`` is False).
    ok : ndarray of bool, shape (n,)
        Rows with a value.
    in_domain : ndarray of bool, shape (n,)
        Rows of the domain (R's ``design[domain, ]``), with or without a value.
    df : float
        Denominator degrees of freedom (R's ``ddf``, the domain's df by default).
    level : float

    Returns
    -------
    low, high : float
        NaN where R's ``confint`` stops: ``df <= 0``, a proportion of 0 or 1 (the glm does not converge),
        a profile that leaves the cut-offs unreached.
    """
    use = in_domain & ok
    w_all = design.weights
    yy = y[use]
    ww = w_all[use]
    if yy.size < 2 or not df > 0:
        return float("nan"), float("nan")
    wn = ww / float(w_all[in_domain].mean())
    p = float(np.sum(wn * yy) / np.sum(wn))
    if not 0 < p < 1:
        return float("nan"), float("nan")
    b0, mu_prev = _glm_intercept(yy, wn)
    mu = float(_linkinv(b0))
    # glm keeps the working weights of its last iteration, computed at the fitted values before the
    # final update; cov.unscaled (naive) and the sandwich both use them.
    ainv = 1.0 / float(np.sum(wn * mu_prev * (1 - mu_prev)))
    infl = np.zeros(design.n)
    infl[use] = (yy - mu) / (mu * (1 - mu)) * wn * mu_prev * (1 - mu_prev) * ainv
    var_b = float(linearized_variance(design, infl, np.where(use, 0, -1), 1)[0])
    if not var_b > 0:
        return float("nan"), float("nan")
    se = float(np.sqrt(var_b))
    lam = var_b / ainv
    q = stats.norm.ppf((1 - level) / 2) if np.isinf(df) else stats.t.ppf((1 - level) / 2, df)
    alpha = float(stats.norm.cdf(q * np.sqrt(lam)) / 2)
    zmax = float(np.sqrt(stats.f.isf(alpha, 1, yy.size - 1)))
    delta = zmax / 5
    # survey's residuals.svyglm: (y - mu) sqrt(prior weight / weight rescaled over the rows with a value)
    # / sqrt(V(mu)), a constant factor times (y - mu) / sqrt(V(mu)).
    resid = (yy - mu) * np.sqrt(float(np.mean(ww)) / float(w_all[in_domain].mean())) / np.sqrt(mu * (1 - mu))
    nz = int(np.count_nonzero(ww))
    rbar = float(np.sum(ww * resid) / np.sum(ww))
    phi = float(np.sum(ww * (resid - rbar) ** 2) / np.sum(ww)) * nz / (nz - 1)
    dev0 = _binomial_deviance_vec(yy, wn, mu)
    bs = [b0]
    zs = [0.0]
    for sgn in (-1.0, 1.0):
        step = 0
        z = 0.0
        while (step := step + 1) < _MAXSTEPS and abs(z) < zmax:
            bi = b0 + sgn * step * delta * se
            zz = (_binomial_deviance_vec(yy, wn, float(_linkinv(bi))) - dev0) / phi
            if zz <= -0.001:
                return float("nan"), float("nan")  # R: "profiling has found a better solution"
            z = sgn * float(np.sqrt(max(zz, 0.0)))
            bs.append(bi)
            zs.append(z)
    order = np.argsort(np.asarray(zs), kind="stable")
    sx, sy = fmm_spline(np.asarray(bs)[order], np.asarray(zs)[order])
    cut = np.array([stats.norm.ppf(2 * alpha), stats.norm.isf(2 * alpha)])
    ends = special.expit(_approx(sy, sx, cut))
    return float(ends[0]), float(ends[1])
