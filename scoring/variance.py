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

import numpy as np
import pandas as pd

from scoring.design import FloatArray, IntArray, ReplicateWeights, Stage, SurveyDesign

__all__ = ["linearized_variance", "replicate_variance"]


def _stage_variance(
    stage: Stage, lonely_psu: str, infl: FloatArray, domain: IntArray, n_domains: int
) -> FloatArray:
    nh = stage.n_units.astype(np.float64)
    fpcf = stage.fpc_factor
    lonely = stage.n_units == 1
    selfrep = fpcf < 1e-7
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(lonely, fpcf, fpcf * nh / (nh - 1.0))
    scale = np.where(selfrep, 0.0, scale) * stage.multiplier
    averaging = lonely_psu == "average" and bool(np.any(lonely & ~selfrep))
    if averaging:
        scale = np.where(lonely & ~selfrep, 0.0, scale)
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
        bad = (lonely & ~selfrep)[dh_h]
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
