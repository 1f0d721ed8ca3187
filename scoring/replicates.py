"""Replicate weights generated from a linearization design (R: ``as.svrepdesign``).

Replicate factors are built per first-stage unit (PSU) and multiplied into the sampling weights, so
every row of a PSU moves together:

``JK1``
    Delete one PSU, reweight the rest by ``n/(n-1)``; ``scale = (n-1)/n (1-f)`` (unstratified only).
``JKn``
    Delete one PSU within its stratum, reweight the stratum's others by ``n_h/(n_h-1)``;
    ``rscales = (n_h-1)/n_h (1-f_h)``, ``scale = 1``. A stratum sampled in full (``f_h = 1``) gets
    no replicates. Lonely strata follow the design's lonely-PSU rule as R's ``jknweights``; with
    ``average``, ``scale = #PSUs / #replicates`` whenever strata have no replicates.
``bootstrap``
    Canty-Davison bootstrap as R's ``bootweights``: per stratum draw ``n_h`` PSUs with replacement,
    or, with an fpc, without replacement from a pseudo-population of ``N_h`` copies;
    ``scale = m/((m-1)(R-1))`` with ``m`` the harmonic mean of the ``n_h``.
``subbootstrap``
    Rao-Wu rescaled bootstrap: draw ``n_h - 1`` PSUs with replacement, factor ``count n_h/(n_h-1)``,
    ``scale = 1/(R-1)`` (R's ``subbootweights``; ignores the fpc).
``BRR`` / ``Fay``
    Balanced half-samples for designs with exactly two PSUs per stratum, from the Hadamard matrix R
    chooses (:func:`scoring.hadamard.hadamard`), strata ordered by their labels as text and PSUs by
    their first row, as R's ``brrweights``; Fay's variant multiplies by ``2 - rho`` and ``rho``;
    ``scale = 1/(R (1-rho)^2)``. The fpc is dropped, as in R.

Random designs take a ``seed`` (NumPy's PCG64), so a run is reproducible; they cannot reproduce R's
own random draws.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from scoring.design import FloatArray, ReplicateWeights, SurveyDesign, _frozen, replicate_rank
from scoring.hadamard import hadamard

__all__ = ["as_replicate_design"]

GeneratedType = Literal["auto", "JK1", "JKn", "bootstrap", "subbootstrap", "BRR", "Fay"]


def _psu_strata(design: SurveyDesign) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    s = design.stages[0]
    n_psu = int(s.unit.max()) + 1
    psu_stratum = np.empty(n_psu, dtype=np.int64)
    psu_stratum[s.unit] = s.stratum
    return s.unit, psu_stratum, s.n_units, s.pop_size


def as_replicate_design(
    design: SurveyDesign,
    type: GeneratedType = "auto",
    *,
    replicates: int = 50,
    seed: int | None = None,
    mse: bool = False,
    fay_rho: float = 0.0,
) -> SurveyDesign:
    """Convert a linearization design to a replicate-weight design (R: ``as.svrepdesign``).

    Parameters
    ----------
    design : SurveyDesign
        A linearization design from :func:`scoring.design.svydesign`. Only the first stage is used
        (with its fpc), as R does.
    type : {"auto", "JK1", "JKn", "bootstrap", "subbootstrap", "BRR", "Fay"}
        ``auto``: JK1 without strata, JKn with strata.
    replicates : int
        Number of bootstrap replicates.
    seed : int, optional
        Seed for the bootstrap draws.
    mse : bool
        Centre the variance on the full-sample estimate.
    fay_rho : float
        Fay's rho (``type="Fay"``).

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.design import svydesign
    >>> from scoring.estimators import svymean
    >>> df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3], "y": [3.0, 5.0, 4.0, 6.0, 8.0, 10.0]})
    >>> # R: svymean(~y, as.svrepdesign(svydesign(id=~psu, data=df), type="JK1"))
    >>> jk = as_replicate_design(svydesign(df, ids="psu"), "JK1")
    >>> svymean(jk, "y")[["estimate", "se", "df"]].round(4)
       estimate      se  df
    0       6.0  1.5275   2
    """
    if design.replicates is not None:
        raise ValueError("the design already has replicate weights")
    if design.calibration:
        raise ValueError(
            "replicate weights from a calibrated design are not supported: its replicates would "
            "ignore the calibration (R re-calibrates each replicate); use linearization"
        )
    unit, psu_stratum, n_h, pop = _psu_strata(design)
    n_strata = n_h.shape[0]
    n_psu = psu_stratum.shape[0]
    fpcf = design.stages[0].fpc_factor
    if type == "auto":
        type = "JK1" if n_strata == 1 else "JKn"
    rscales: FloatArray
    if type == "JK1":
        if n_strata > 1:
            raise ValueError("JK1 needs an unstratified design; use JKn for a stratified one")
        n = int(n_h[0])
        if n < 2:
            raise ValueError("JK1 needs at least two PSUs")
        factors = np.full((n_psu, n_psu), n / (n - 1))
        np.fill_diagonal(factors, 0.0)
        scale = (n - 1) / n * float(fpcf[0])
        rscales = np.ones(n_psu)
    elif type == "JKn":
        cols: list[FloatArray] = []
        rs: list[float] = []
        lonely_strata = [h for h in range(n_strata) if n_h[h] == 1 and fpcf[h] > 0]
        if lonely_strata and design.lonely_psu == "fail":
            raise ValueError("a stratum has only one PSU; choose lonely_psu='remove', 'adjust' or 'average'")
        for h in range(n_strata):
            members = np.flatnonzero(psu_stratum == h)
            nh = members.size
            if fpcf[h] == 0:
                # Sampled in full (N_h = n_h, or a fraction of 1): no variance, so R's jknweights
                # (survey.drop.replicates) makes no replicates for it, and the df go down accordingly.
                continue
            if nh == 1:
                if design.lonely_psu == "adjust":
                    col = np.where(psu_stratum == h, 0.0, n_strata / (n_strata - 1))
                    cols.append(col)
                    rs.append((n_strata - 1) / n_strata)
                continue
            for j in members:
                col = np.ones(n_psu)
                col[members] = nh / (nh - 1)
                col[j] = 0.0
                cols.append(col)
                rs.append((nh - 1) / nh * float(fpcf[h]))
        if not cols:
            raise ValueError(
                "no stratum has two or more PSUs sampled from a larger population: nothing to replicate "
                "(R: 'All strata were exhaustively sampled')"
            )
        factors = np.column_stack(cols)
        rscales = np.asarray(rs)
        scale = 1.0
        if design.lonely_psu == "average" and factors.shape[1] < n_psu:
            # R scales by #PSUs / #replicates whenever replicates are missing, strata sampled in
            # full included, not only for lonely strata.
            scale = n_psu / factors.shape[1]
    elif type in ("bootstrap", "subbootstrap"):
        if replicates < 2:
            raise ValueError("bootstrap needs at least 2 replicates")
        rng = np.random.default_rng(seed)
        factors = np.empty((n_psu, replicates))
        for h in range(n_strata):
            members = np.flatnonzero(psu_stratum == h)
            nh = members.size
            if type == "subbootstrap":
                if nh < 2:
                    raise ValueError("the Rao-Wu subbootstrap needs at least two PSUs per stratum")
                draws = rng.integers(0, nh, size=(replicates, nh - 1))
                sub_counts = np.apply_along_axis(np.bincount, 1, draws, minlength=nh)
                factors[members] = (sub_counts * (nh / (nh - 1))).T
            elif np.isinf(pop[h]):
                draws = rng.integers(0, nh, size=(replicates, nh))
                factors[members] = np.apply_along_axis(np.bincount, 1, draws, minlength=nh).T
            else:
                big = round(float(pop[h]))
                counts = np.empty((replicates, nh))
                for r in range(replicates):
                    order = rng.permutation(nh)
                    pseudo = order[np.arange(big) % nh]
                    pick = rng.choice(big, size=nh, replace=False)
                    counts[r] = np.bincount(pseudo[pick], minlength=nh)
                factors[members] = counts.T
        rscales = np.ones(replicates)
        if type == "subbootstrap":
            scale = 1.0 / (replicates - 1)
        else:
            m = 1.0 / float(np.mean(1.0 / n_h))
            scale = m / ((m - 1) * (replicates - 1))
    elif type in ("BRR", "Fay"):
        if np.any(n_h != 2):
            raise ValueError("BRR/Fay need exactly two PSUs in every stratum")
        rho = fay_rho if type == "Fay" else 0.0
        if not 0 <= rho < 1:
            raise ValueError("fay_rho must be in [0, 1)")
        # As R's brrweights: strata in the order of their labels as text ("10" before "2"), each
        # stratum's PSUs in file order, and R's own choice of Hadamard matrix (12 rows for 8-11 strata).
        labels = design.strata_labels or tuple(str(h) for h in range(n_strata))
        rank = np.empty(n_strata, dtype=np.int64)
        rank[sorted(range(n_strata), key=lambda h: labels[h])] = np.arange(n_strata)
        had = hadamard(n_strata)
        size = had.shape[1]
        first_row = np.full(n_psu, unit.size, dtype=np.int64)
        np.minimum.at(first_row, unit, np.arange(unit.size))
        factors = np.empty((n_psu, size))
        for h in range(n_strata):
            pair = np.flatnonzero(psu_stratum == h)
            first, second = pair[np.argsort(first_row[pair], kind="stable")]
            plus = had[rank[h] + 1] == 1
            factors[first] = np.where(plus, 2 - rho, rho)
            factors[second] = np.where(plus, rho, 2 - rho)
        rscales = np.ones(size)
        scale = 1.0 / (size * (1 - rho) ** 2)
        type = "Fay" if rho > 0 else "BRR"
    else:
        raise ValueError(f"type must be auto, JK1, JKn, bootstrap, subbootstrap, BRR or Fay, not {type!r}")

    in_sample = np.zeros(n_psu, dtype=bool)
    in_sample[unit[design.weights > 0]] = True
    df = replicate_rank(factors[in_sample]) - 1
    weights = design.weights[:, None] * factors[unit]
    selfrep = None
    if type not in ("BRR", "Fay") and np.isfinite(pop).any():
        selfrep = _frozen(np.asarray((fpcf == 0)[design.stages[0].stratum]))
    rep = ReplicateWeights(
        weights=_frozen(weights),  # type: ignore[arg-type]
        type=type,
        scale=float(scale),
        rscales=_frozen(np.asarray(rscales, dtype=np.float64)),  # type: ignore[arg-type]
        mse=mse,
        df=int(df),
        selfrep=selfrep,  # type: ignore[arg-type]
    )
    return SurveyDesign(
        data=design.data,
        weights=design.weights,
        stages=design.stages,
        lonely_psu=design.lonely_psu,
        replicates=rep,
        description=f"{type} from ({design.description}), {rep.n_replicates} replicates",
    )
