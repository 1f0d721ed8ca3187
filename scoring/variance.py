"""Variance engines: Taylor linearization by domain, and replicate-weight variance.

Both work on many domains at once. Linearization takes row-level influence values and a domain code
per row (``-1``: in no domain) and returns one variance per domain, computing per stage

``V_d = sum_h m_h s_h sum_i (z_dhi - zbar_dh)^2``,   ``s_h = (1 - n_h/N_h) n_h/(n_h - 1)``,

where ``z_dhi`` is the total of domain ``d``'s influence values in unit ``i`` of stratum ``h`` (units
without rows of the domain count as zeros: the domain is estimated on the full design, never by
subsetting), ``zbar_dh`` their mean over the ``n_h`` units and ``m_h`` the product of the earlier
stages' sampling fractions: this is R's ``svyrecvar``/``multistage``/``onestrat`` with its lonely-PSU
rules (under ``average``, a lonely unit beyond stage 1 makes every variance NaN, as in R). Only the
(domain, unit) pairs that occur are touched, so the cost is O(rows), whatever the number of domains.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from scoring.design import FloatArray, IntArray, ReplicateWeights, Stage, SurveyDesign

__all__ = ["linearized_variance", "replicate_variance"]


def _stage_scale(stage: Stage, lonely_psu: str) -> tuple[FloatArray, NDArray[np.bool_], bool]:
    """Each stratum's variance scale ``fpc * n_h / (n_h - 1) * multiplier`` (0 for a stratum sampled in
    full; under ``average`` also 0 for a lonely one), which strata are lonely and not sampled in full, and
    whether ``average`` applies (R's ``survey.lonely.psu``)."""
    nh = stage.n_units.astype(np.float64)
    fpcf = stage.fpc_factor
    lonely = stage.n_units == 1
    selfrep = fpcf < 1e-7
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(lonely, fpcf, fpcf * nh / (nh - 1.0))
    scale = np.where(selfrep, 0.0, scale) * stage.multiplier
    bad = lonely & ~selfrep
    averaging = lonely_psu == "average" and bool(np.any(bad))
    if averaging:
        scale = np.where(bad, 0.0, scale)
    return scale, bad, averaging


def _stage_variance(
    stage: Stage, lonely_psu: str, infl: FloatArray, domain: IntArray, n_domains: int
) -> FloatArray:
    nh = stage.n_units.astype(np.float64)
    lonely = stage.n_units == 1
    scale, bad_strata, averaging = _stage_scale(stage, lonely_psu)
    centre_at_zero = lonely & (lonely_psu == "adjust")

    sel = domain >= 0
    dom = domain[sel]
    if stage.unit_is_row:
        z = np.asarray(infl[sel], dtype=np.float64)
        pair_dom = dom
        pair_stratum = stage.stratum[sel]
    else:
        n_unit = int(stage.unit.max()) + 1
        key = dom * n_unit + stage.unit[sel]
        codes, uniq = pd.factorize(key)
        z = np.bincount(codes, weights=infl[sel]).astype(np.float64)
        pair_dom = uniq // n_unit
        unit_stratum = np.empty(n_unit, dtype=np.int64)
        unit_stratum[stage.unit] = stage.stratum
        pair_stratum = unit_stratum[uniq % n_unit]

    n_strata = stage.n_strata
    dh_key = pair_dom * n_strata + pair_stratum
    dh_codes, dh_uniq = pd.factorize(dh_key)
    s_dh = np.bincount(dh_codes, weights=z)
    m_dh = np.bincount(dh_codes)
    dh_dom = dh_uniq // n_strata
    dh_h = dh_uniq % n_strata
    zbar = np.where(centre_at_zero[dh_h], 0.0, s_dh / nh[dh_h])
    dev = z - zbar[dh_codes]
    pair_contrib = scale[pair_stratum] * dev * dev
    zero_units = nh[dh_h] - m_dh  # units of the stratum with no row of the domain: z = 0
    zero_contrib = scale[dh_h] * zero_units * zbar * zbar
    v = np.bincount(pair_dom, weights=pair_contrib, minlength=n_domains)
    v += np.bincount(dh_dom, weights=zero_contrib, minlength=n_domains)
    if averaging:
        # R: sum over strata * nstrat / nokstrat, strata counted where the domain has rows.
        bad = bad_strata[dh_h]
        nstrat = np.bincount(dh_dom, minlength=n_domains).astype(np.float64)
        nok = nstrat - np.bincount(dh_dom, weights=bad.astype(np.float64), minlength=n_domains)
        with np.errstate(divide="ignore", invalid="ignore"):
            v = v * np.where(nstrat > 0, nstrat / nok, 1.0)
    return np.asarray(v, dtype=np.float64)


def linearized_variance(
    design: SurveyDesign, infl: FloatArray, domain: IntArray, n_domains: int
) -> FloatArray:
    """Variance of domain estimators from their influence values (R: ``svyrecvar``).

    Parameters
    ----------
    design : SurveyDesign
        A linearization design.
    infl : ndarray, shape (n,)
        Influence value of each row for the estimate of its domain (0 where the row does not count).
    domain : ndarray of int, shape (n,)
        Domain of each row, ``0..n_domains-1``, or ``-1`` for rows in no domain.
    n_domains : int

    Returns
    -------
    ndarray, shape (n_domains,)
    """
    if design.calibration:
        return _calibrated_variance(design, infl, domain, n_domains)
    v = np.zeros(n_domains)
    for s, stage in enumerate(design.stages):
        if (
            s > 0
            and design.lonely_psu == "average"
            and bool(np.any((stage.n_units == 1) & (stage.fpc_factor >= 1e-7)))
        ):
            # R's multistage averages within each earlier-stage unit on its own: a unit with a single
            # sampled sub-unit has no other stratum to average over (0/0), so every variance is NaN.
            return np.full(n_domains, np.nan)
        v += _stage_variance(stage, design.lonely_psu, infl, domain, n_domains)
    return v


# Columns of influence values residualized at once by the exact (dense) path: a (n, k) block of ~32 MB.
_CALIBRATION_BLOCK = 4_000_000
# Below this fraction of the terms it is the difference of, a low-rank variance is recomputed exactly.
_CANCELLATION = 1e-8


def _calibrated_variance(
    design: SurveyDesign, infl: FloatArray, domain: IntArray, n_domains: int
) -> FloatArray:
    """Variances after calibration (R: ``svyrecvar`` with ``postStrata``).

    Each domain's influence column is replaced by its calibration residuals, which are non-zero
    outside the domain too (R's ``svyby`` subsets a calibrated design by zero weights). The residuals
    are ``z - sum_b S_b c_b`` with a few bases ``S_b`` (one indicator or regression basis per
    adjustment), so the between-PSU sums of squares are expanded in ``z``, ``S_b`` and the
    coefficients ``c_b`` and cost O(rows + domains x basis size), not O(rows x domains). Domains whose
    variance is a near-total cancellation of those terms (a calibration variable's own total) are
    recomputed on explicit residual columns.
    """
    n = design.n
    rows = np.flatnonzero(domain >= 0)
    z = sp.csr_matrix((infl[rows], (rows, domain[rows])), shape=(n, n_domains))
    bases, coefs = _calibration_coefficients(design, z)
    v = np.zeros(n_domains)
    size = np.zeros(n_domains)
    for stage in design.stages:
        dv, dsize = _stage_variance_lowrank(stage, design.lonely_psu, z, bases, coefs)
        v += dv
        size += dsize
    redo = np.flatnonzero(np.abs(v) <= _CANCELLATION * size)
    if redo.size:
        remap = np.full(n_domains, -1, dtype=np.int64)
        remap[redo] = np.arange(redo.size)
        sub = np.where(domain >= 0, remap[np.where(domain >= 0, domain, 0)], -1)
        v[redo] = calibrated_variance_dense(design, infl, sub, int(redo.size))
    return np.maximum(v, 0.0)


def _mul(a: Any, b: Any) -> Any:
    """Product of two operands, each dense or SciPy sparse, keeping sparse results sparse."""
    if sp.issparse(b) and not sp.issparse(a):
        return np.asarray((cast(Any, b).T @ a.T).T)
    return a @ b


def _dense(x: Any) -> FloatArray:
    if sp.issparse(x):
        return np.asarray(cast(Any, x).toarray(), dtype=np.float64)
    return np.asarray(x, dtype=np.float64)


def _calibration_coefficients(design: SurveyDesign, z: Any) -> tuple[list[Any], list[FloatArray]]:
    """Bases ``S_b`` and coefficients ``c_b`` (K_b, domains) with residuals ``z - sum_b S_b c_b``."""
    bases: list[Any] = []
    coefs: list[FloatArray] = []
    where: dict[int, int] = {}
    products: dict[tuple[int, int], Any] = {}
    for step in design.calibration:
        for basis, proj in step.operators():
            c = _dense(_mul(proj, z))
            for j, other in enumerate(bases):
                key = (id(proj), id(other))
                if key not in products:
                    products[key] = _mul(proj, other)
                c = c - _dense(_mul(products[key], coefs[j]))
            if id(basis) in where:
                coefs[where[id(basis)]] = coefs[where[id(basis)]] + c
            else:
                where[id(basis)] = len(bases)
                bases.append(basis)
                coefs.append(c)
    return bases, coefs


def _stage_variance_lowrank(
    stage: Stage, lonely_psu: str, z: Any, bases: list[Any], coefs: list[FloatArray]
) -> tuple[FloatArray, FloatArray]:
    """One stage's variance of every residual column ``z_d - sum_b S_b c_bd``, and the size of the
    terms it is the difference of (to detect cancellation).

    ``V_d = sum_h s_h [sum_{u in h} U_ud^2 - k_h (sum_{u in h} U_ud)^2 / n_h]`` with ``U`` the unit totals
    of the residuals, ``s_h`` the stratum's scale and ``k_h = 0`` for a lonely stratum centred at zero
    (``adjust``), expanded so that no (units, domains) matrix is formed.
    """
    nh = stage.n_units.astype(np.float64)
    lonely = stage.n_units == 1
    scale, bad, averaging = _stage_scale(stage, lonely_psu)
    kappa = np.where(lonely & (lonely_psu == "adjust"), 0.0, 1.0)
    n_strata = stage.n_strata
    if stage.unit_is_row:
        a = z
        unit_bases = bases
        unit_stratum = stage.stratum
    else:
        n_unit = int(stage.unit.max()) + 1
        rows = stage.unit.shape[0]
        pmat = sp.csr_matrix((np.ones(rows), (stage.unit, np.arange(rows))), shape=(n_unit, rows))
        a = pmat @ z
        unit_bases = [_mul(pmat, b) for b in bases]
        unit_stratum = np.empty(n_unit, dtype=np.int64)
        unit_stratum[stage.unit] = stage.stratum
    w = scale[unit_stratum]
    wmat = sp.diags(w)
    wa = wmat @ a
    sq = np.asarray(a.multiply(a).T @ w).ravel()
    size = sq.copy()
    v = sq.copy()
    for j, b in enumerate(unit_bases):
        v -= 2.0 * np.sum(coefs[j] * _dense(_mul(b.T, wa)), axis=0)
        for k, b2 in enumerate(unit_bases):
            quad = np.sum(coefs[j] * _dense(_mul(_mul(b.T, _mul(wmat, b2)), coefs[k])), axis=0)
            v += quad
            if j == k:
                size += quad
    hmat = sp.csr_matrix(
        (np.ones(unit_stratum.shape[0]), (unit_stratum, np.arange(unit_stratum.shape[0]))),
        shape=(n_strata, unit_stratum.shape[0]),
    )
    totals = _dense(hmat @ a)
    for j, b in enumerate(unit_bases):
        totals -= _dense(_mul(_mul(hmat, b), coefs[j]))
    v -= np.sum((kappa * scale / nh)[:, None] * totals * totals, axis=0)
    if averaging:
        factor = n_strata / (n_strata - int(bad.sum()))
        v, size = v * factor, size * factor
    return np.asarray(v, dtype=np.float64), np.asarray(size, dtype=np.float64)


def calibrated_variance_dense(
    design: SurveyDesign, infl: FloatArray, domain: IntArray, n_domains: int
) -> FloatArray:
    """The same variances on explicit residual columns, a block of domains at a time (exact; the
    reference for :func:`_calibrated_variance` in the tests, and its fallback)."""
    n = design.n
    out = np.zeros(n_domains)
    rows = np.flatnonzero(domain >= 0)
    block = max(1, _CALIBRATION_BLOCK // max(n, 1))
    for start in range(0, n_domains, block):
        stop = min(n_domains, start + block)
        sel = rows[(domain[rows] >= start) & (domain[rows] < stop)]
        zb = np.zeros((n, stop - start))
        zb[sel, domain[sel] - start] = infl[sel]
        for step in design.calibration:
            zb = step.residuals(zb)
        v = np.zeros(stop - start)
        for stage in design.stages:
            v += _stage_variance_columns(stage, design.lonely_psu, zb)
        out[start:stop] = v
    return out


def _stage_variance_columns(stage: Stage, lonely_psu: str, z: FloatArray) -> FloatArray:
    """One stage's variance of each column of ``z`` (every row counts: no domain restriction)."""
    nh = stage.n_units.astype(np.float64)
    lonely = stage.n_units == 1
    scale, bad, averaging = _stage_scale(stage, lonely_psu)
    n_strata = stage.n_strata
    if stage.unit_is_row:
        u = z
        unit_stratum = stage.stratum
    else:
        n_unit = int(stage.unit.max()) + 1
        ind = sp.csr_matrix(
            (np.ones(stage.unit.shape[0]), (stage.unit, np.arange(stage.unit.shape[0]))),
            shape=(n_unit, stage.unit.shape[0]),
        )
        u = np.asarray(ind @ z)
        unit_stratum = np.empty(n_unit, dtype=np.int64)
        unit_stratum[stage.unit] = stage.stratum
    hind = sp.csr_matrix(
        (np.ones(unit_stratum.shape[0]), (unit_stratum, np.arange(unit_stratum.shape[0]))),
        shape=(n_strata, unit_stratum.shape[0]),
    )
    zbar = np.asarray(hind @ u) / nh[:, None]
    zbar[lonely & (lonely_psu == "adjust")] = 0.0
    dev = u - zbar[unit_stratum]
    v = np.asarray(hind @ (dev * dev)).T @ scale
    if averaging:
        v = v * (n_strata / (n_strata - int(bad.sum())))
    return np.asarray(v, dtype=np.float64)


def replicate_variance(rep: ReplicateWeights, full: FloatArray, reps: FloatArray) -> FloatArray:
    """Replicate variance (R: ``svrVar``) of estimates ``full`` (shape (m,)) from ``reps`` (m, R).

    Replicates whose estimate is undefined (NaN, e.g. an empty domain in a replicate) are dropped
    for that estimate, as R's ``na.omit`` does for one statistic.
    """
    rs = np.asarray(rep.rscales, dtype=np.float64)
    finite = np.isfinite(reps)
    if rep.mse:
        centre = full
    else:
        use = finite & (rs > 0)[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            centre = np.where(use, reps, 0.0).sum(axis=1) / use.sum(axis=1)
    dev = np.where(finite, reps - centre[:, None], 0.0)
    return np.asarray(rep.scale * (dev * dev * rs[None, :]).sum(axis=1), dtype=np.float64)
