"""Complex survey designs as immutable values (R: ``svydesign``, ``svrepdesign``, ``degf``).

A :class:`SurveyDesign` holds a DataFrame plus everything the variance estimators need, already
resolved to integer codes: sampling weights, and per sampling stage the variance strata, the
sampled units, how many units each stratum has and its finite population correction. Estimators
(:mod:`scoring.estimators`) are plain functions of a design; nothing here mutates after construction.

Two kinds of design exist, distinguished by :attr:`SurveyDesign.replicates`:

* **linearization** designs (``replicates is None``), built with :func:`svydesign`; variances come
  from Taylor linearization (influence functions summed to PSU totals, then the between-PSU variance
  within strata, with fpc and the lonely-PSU rule) exactly as R's ``svyrecvar``;
* **replicate-weight** designs, built with :func:`svrepdesign` from supplied weight columns or with
  :func:`scoring.replicates.as_replicate_design` from a linearization design.

Validation raises :class:`ValueError` naming the offending column; missing values in design
columns (weights, strata, clusters, fpc) are errors, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

LonelyPSU = Literal["fail", "remove", "certainty", "adjust", "average"]
ReplicateType = Literal["JK1", "JKn", "bootstrap", "subbootstrap", "BRR", "Fay", "other"]

LONELY_PSU_OPTIONS: tuple[str, ...] = ("fail", "remove", "certainty", "adjust", "average")
REPLICATE_TYPES: tuple[str, ...] = ("JK1", "JKn", "bootstrap", "subbootstrap", "BRR", "Fay", "other")

__all__ = [
    "LONELY_PSU_OPTIONS",
    "REPLICATE_TYPES",
    "Adjustment",
    "ReplicateWeights",
    "Stage",
    "SurveyDesign",
    "degf",
    "domain_df",
    "svrepdesign",
    "svydesign",
]


def _frozen(a: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class Stage:
    """One sampling stage, resolved for variance estimation.

    Attributes
    ----------
    stratum : ndarray of int64, shape (n,)
        Variance stratum of each row at this stage, coded ``0..n_strata-1``. At stage 1 these are
        the design strata; at later stages the stratum is the unit sampled at the previous stage.
    unit : ndarray of int64, shape (n,)
        Sampled unit of each row at this stage, coded ``0..n_units-1`` and nested in ``stratum``.
    n_units : ndarray of int64, shape (n_strata,)
        Number of sampled units per stratum (R's ``fpc$sampsize``).
    pop_size : ndarray of float64, shape (n_strata,)
        Population number of units per stratum (``inf`` without fpc, i.e. with replacement).
    multiplier : ndarray of float64, shape (n_strata,)
        Product of the sampling fractions of the earlier stages (1 at stage 1), the factor by which
        R's ``multistage`` weights this stage's variance.
    unit_is_row : bool
        Every row is its own unit (``id=~1``): lets the variance skip grouping.
    """

    stratum: IntArray
    unit: IntArray
    n_units: IntArray
    pop_size: FloatArray
    multiplier: FloatArray
    unit_is_row: bool

    @property
    def n_strata(self) -> int:
        """Number of variance strata at this stage."""
        return int(self.n_units.shape[0])

    @property
    def fpc_factor(self) -> FloatArray:
        """``1 - n_h/N_h`` per stratum (1 with replacement)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(np.isinf(self.pop_size), 1.0, (self.pop_size - self.n_units) / self.pop_size)
        return np.asarray(f, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class ReplicateWeights:
    """Replicate (analysis) weights and how to combine replicate estimates into a variance.

    ``var = scale * sum_r rscales[r] * (theta_r - center)**2`` with ``center`` the mean of the
    replicate estimates (``mse=False``) or the full-sample estimate (``mse=True``), as R's ``svrVar``.
    """

    weights: FloatArray  # (n, R) analysis weights (already multiplied by the sampling weights)
    type: ReplicateType
    scale: float
    rscales: FloatArray
    mse: bool
    df: int
    # Rows in first-stage strata sampled in full, for replicates generated from a design with an fpc: R's
    # svytotal leaves them out of the replicate totals (as.svrepdesign's ``selfrep``); None otherwise.
    selfrep: npt.NDArray[np.bool_] | None = None

    @property
    def n_replicates(self) -> int:
        """Number of replicates R."""
        return int(self.weights.shape[1])


class Adjustment(Protocol):
    """A weight adjustment (post-stratification, raking, calibration) as the variance sees it.

    Calibrated estimators are linearized by replacing the influence values with their residuals from
    the calibration (R's ``svyrecvar`` with ``postStrata``); :mod:`scoring.calibration` implements it.
    """

    def residuals(self, z: FloatArray) -> FloatArray:
        """Residuals of the influence values ``z`` (shape (n, k)), one column per estimate."""
        ...

    def operators(self) -> Sequence[tuple[Any, Any]]:
        """The same residuals as rank-K updates ``z <- z - S (L z)`` applied in order.

        ``S`` is (n, K) and ``L`` (K, n), each a NumPy array or a SciPy sparse matrix; a basis ``S``
        that recurs (raking sweeps) is the same object each time.
        """
        ...


@dataclass(frozen=True, eq=False)
class SurveyDesign:
    """An immutable survey design over a DataFrame.

    Build it with :func:`svydesign` (linearization) or :func:`svrepdesign` /
    :func:`scoring.replicates.as_replicate_design` (replicate weights); do not call the constructor
    directly. ``weights`` are the sampling weights (R's ``weights(design, "sampling")``), after any
    adjustment in ``calibration`` (built by :mod:`scoring.calibration`; applied in order, as R's
    ``design$postStrata``).
    """

    data: pd.DataFrame
    weights: FloatArray
    stages: tuple[Stage, ...]
    lonely_psu: LonelyPSU
    replicates: ReplicateWeights | None = None
    description: str = field(default="")
    calibration: tuple[Adjustment, ...] = ()
    strata_labels: tuple[str, ...] = field(default=())  # stage-1 strata as R's as.character, by code

    @property
    def n(self) -> int:
        """Number of rows (respondents)."""
        return int(self.weights.shape[0])

    @property
    def is_replicate(self) -> bool:
        """Whether variances come from replicate weights."""
        return self.replicates is not None

    @property
    def df(self) -> int:
        """Design degrees of freedom, as R's ``degf(design)``.

        Linearization: number of first-stage units minus number of strata among rows with non-zero
        weight (SRS: n - 1). Replicate designs: rank of the replicate weight matrix minus 1.
        """
        if self.replicates is not None:
            return self.replicates.df
        s = self.stages[0]
        inset = (self.weights != 0).astype(np.float64)
        units = int(np.count_nonzero(np.bincount(s.unit, weights=inset)))
        strata = int(np.count_nonzero(np.bincount(s.stratum, weights=inset)))
        return units - strata

    def __repr__(self) -> str:
        kind = f"replicate ({self.replicates.type})" if self.replicates is not None else "linearization"
        return f"SurveyDesign({kind}, n={self.n}, df={self.df}, {self.description})"


def degf(design: SurveyDesign) -> int:
    """Design degrees of freedom (R: ``degf(design)``); see :attr:`SurveyDesign.df`."""
    return design.df


def domain_df(design: SurveyDesign, domain: IntArray, n_domains: int) -> IntArray:
    """Degrees of freedom of each domain's subset, as R's ``degf(design[domain, ])``.

    R's ``svyciprop`` and ``svyquantile`` called within ``svyby`` (or on a design subset to the rows with a
    value) take their df from the subset, not from the whole design: first-stage units minus strata among
    the subset's rows with non-zero weight, or for replicate designs the rank of the subset's replicate
    weights minus 1 (R recomputes ``degf`` when it subsets a replicate design).

    Parameters
    ----------
    design : SurveyDesign
    domain : ndarray of int, shape (n,)
        Domain of each row, ``0..n_domains-1``, or ``-1`` for rows in no domain.
    n_domains : int

    Returns
    -------
    ndarray of int64, shape (n_domains,)
    """
    out = np.zeros(n_domains, dtype=np.int64)
    if design.replicates is not None:
        rw = design.replicates.weights
        order = np.argsort(domain, kind="stable")
        bounds = np.searchsorted(domain[order], np.arange(n_domains + 1))
        for d in range(n_domains):
            rows = order[bounds[d] : bounds[d + 1]]
            out[d] = replicate_rank(rw[rows]) - 1 if rows.size else -1
        return out
    s = design.stages[0]
    sel = (domain >= 0) & (design.weights != 0)
    dom = domain[sel]
    n_unit = int(s.unit.max()) + 1
    units = np.unique(dom * n_unit + s.unit[sel]) // n_unit
    strata = np.unique(dom * (s.n_strata + 1) + s.stratum[sel]) // (s.n_strata + 1)
    out += np.bincount(units, minlength=n_domains).astype(np.int64)
    out -= np.bincount(strata, minlength=n_domains).astype(np.int64)
    return out


# ----------------------------------------------------------------------------------------- helpers


def _as_list(cols: str | Sequence[str] | None) -> list[str]:
    if cols is None:
        return []
    if isinstance(cols, str):
        return [cols]
    return list(cols)


def _check_columns(data: pd.DataFrame, cols: Sequence[str], role: str) -> None:
    for c in cols:
        if c not in data.columns:
            shown = ", ".join(map(str, data.columns[:20]))
            raise ValueError(f"{role} column {c!r} not found in the data (columns: {shown})")


def _codes(data: pd.DataFrame, cols: Sequence[str], role: str) -> IntArray:
    """Integer codes of the combinations of ``cols`` (first appearance order); NA is an error."""
    for c in cols:
        if data[c].isna().any():
            raise ValueError(f"{role} column {c!r} has missing values; every row needs a {role}")
    if len(cols) == 1:
        return np.asarray(pd.factorize(data[cols[0]], sort=True)[0], dtype=np.int64)
    return np.asarray(data.groupby(list(cols), sort=True, dropna=False).ngroup().to_numpy(), dtype=np.int64)


def _r_text(value: object) -> str:
    """A value as R's ``as.character`` writes it (``1`` for the float 1.0), for R's text orderings."""
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, float | np.floating):
        return f"{float(value):.15g}"
    return str(value)


def _strata_labels(data: pd.DataFrame, cols: Sequence[str], codes: IntArray) -> tuple[str, ...]:
    if not cols:
        return ("1",)
    k = int(codes.max()) + 1
    first = np.full(k, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(codes.size - 1, -1, -1)
    rows = data[list(cols)].iloc[first]
    return tuple(".".join(_r_text(v) for v in r) for r in rows.itertuples(index=False, name=None))


def _numeric(data: pd.DataFrame, col: str, role: str) -> FloatArray:
    s = data[col]
    if not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
        raise ValueError(f"{role} column {col!r} must be numeric, found dtype {s.dtype}")
    a = s.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isnan(a).any():
        raise ValueError(f"{role} column {col!r} has missing values")
    return a


def _combine(parent: IntArray, child: IntArray) -> IntArray:
    """Codes of (parent, child) pairs, dense ``0..k-1``."""
    key = parent * (int(child.max()) + 1 if child.size else 1) + child
    codes, _ = pd.factorize(key, sort=True)
    return np.asarray(codes, dtype=np.int64)


def _first_per_code(codes: IntArray, values: npt.NDArray[np.generic], k: int) -> npt.NDArray[np.generic]:
    out = np.empty(k, dtype=values.dtype)
    out[codes[::-1]] = values[::-1]  # later assignments win, so reversing keeps the first row
    return out


def _count_units(stratum: IntArray, unit: IntArray, n_strata: int) -> IntArray:
    """Distinct units per stratum (units are nested in strata)."""
    n_unit = int(unit.max()) + 1
    unit_stratum = np.full(n_unit, -1, dtype=np.int64)
    unit_stratum[unit] = stratum
    return np.bincount(unit_stratum, minlength=n_strata).astype(np.int64)


# ------------------------------------------------------------------------------------ constructors


def svydesign(
    data: pd.DataFrame,
    *,
    ids: str | Sequence[str] | None = None,
    strata: str | None = None,
    weights: str | None = None,
    fpc: str | Sequence[str] | None = None,
    nest: bool = False,
    lonely_psu: LonelyPSU = "fail",
) -> SurveyDesign:
    """Build a linearization survey design (R: ``svydesign``).

    Parameters
    ----------
    data : DataFrame
        One row per respondent. It is kept by reference in the design (pandas copy-on-write
        protects it from later changes by the caller).
    ids : str or sequence of str, optional
        Cluster identifiers per stage (``id=~dnum+snum``); ``None`` means each row is its own PSU
        (``id=~1``).
    strata : str, optional
        First-stage strata.
    weights : str, optional
        Sampling weights (inverse inclusion probabilities). Without weights they are implied by
        ``fpc`` (product over stages of ``n/N``), or all equal to 1 when there is no fpc either.
    fpc : str or sequence of str, optional
        Finite population correction per stage, as R: if every value is ``<= 1`` it is the sampling
        fraction ``n/N``, otherwise the population number of units in the stratum (or, at later
        stages, in the sampled unit of the previous stage). Must be constant within strata. With
        several cluster stages and an fpc for each, the variance is R's full multistage formula;
        without any fpc only the first stage counts (ultimate cluster, with replacement). An fpc for
        some stages only, or an fpc of 1 in every row, is refused, as R refuses it.
    nest : bool
        Cluster ids are only unique within strata (R's ``nest=TRUE``). With ``nest=False`` an id that
        occurs in two strata is an error, as in R.
    lonely_psu : {"fail", "remove", "certainty", "adjust", "average"}
        R's ``options(survey.lonely.psu=)`` for strata with a single sampled PSU: ``fail`` raises
        here (unless the stratum is self-representing, fpc = n), ``remove``/``certainty`` give it no
        variance, ``adjust`` centres its PSU total at the grand mean (zero) instead of the stratum
        mean, ``average`` replaces it by the average variance of the other strata.

    Returns
    -------
    SurveyDesign

    Raises
    ------
    ValueError
        Unknown column, missing values in a design column, negative weights, fpc mixing fractions
        and population sizes, fpc not constant within a stratum, fpc implying more than 100 %
        sampling, clusters not nested in strata (without ``nest=True``), or a lonely PSU under
        ``lonely_psu="fail"``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"h": ["a", "a", "a", "b", "b"], "y": [1.0, 2.0, 4.0, 3.0, 5.0],
    ...                    "w": [10.0, 10.0, 10.0, 5.0, 5.0], "N": [30, 30, 30, 10, 10]})
    >>> # R: svydesign(id=~1, strata=~h, weights=~w, fpc=~N, data=df)
    >>> d = svydesign(df, strata="h", weights="w", fpc="N")
    >>> d.df
    3
    """
    if lonely_psu not in LONELY_PSU_OPTIONS:
        raise ValueError(f"lonely_psu must be one of {', '.join(LONELY_PSU_OPTIONS)}, not {lonely_psu!r}")
    if not isinstance(data, pd.DataFrame):
        raise ValueError("data must be a pandas DataFrame")
    if len(data) == 0:
        raise ValueError("data has no rows")
    id_cols = _as_list(ids)
    fpc_cols = _as_list(fpc)
    strata_cols = _as_list(strata)
    _check_columns(data, id_cols, "cluster")
    _check_columns(data, strata_cols, "strata")
    _check_columns(data, fpc_cols, "fpc")
    if weights is not None:
        _check_columns(data, [weights], "weight")
    n = len(data)
    n_stages = max(1, len(id_cols))
    if len(fpc_cols) > n_stages:
        raise ValueError(f"{len(fpc_cols)} fpc columns given for {n_stages} sampling stage(s)")
    if 0 < len(fpc_cols) < n_stages:
        # R's svydesign stops here too (as.fpc: "non-conformable arrays"): the stage-1 fpc alone would
        # build weights from stage 1 only and understate every total.
        raise ValueError(
            f"fpc given for {len(fpc_cols)} of the {n_stages} sampling stages ({', '.join(fpc_cols)}): "
            "give an fpc column for every stage (full multistage variance), or none (with-replacement "
            "ultimate clusters with explicit weights); R's svydesign refuses a partial fpc as well"
        )

    stratum = _codes(data, strata_cols, "strata") if strata_cols else np.zeros(n, dtype=np.int64)
    # Units per stage, each nested in the previous stage's unit.
    units: list[IntArray] = []
    for s in range(n_stages):
        raw = _codes(data, [id_cols[s]], "cluster") if id_cols else np.arange(n, dtype=np.int64)
        if s == 0:
            if id_cols and not nest:
                n_raw = int(raw.max()) + 1
                first = np.full(n_raw, -1, dtype=np.int64)
                first[raw] = stratum
                if np.any(first[raw] != stratum):
                    raise ValueError(
                        f"clusters {id_cols[0]!r} are not nested in strata {strata_cols[0]!r}: the same id "
                        "occurs in several strata; pass nest=True if ids are only unique within strata"
                    )
            units.append(_combine(stratum, raw))
        else:
            units.append(_combine(units[-1], raw))

    stage_strata: list[IntArray] = [stratum] + [units[s - 1] for s in range(1, n_stages)]
    n_units_list: list[IntArray] = []
    for s in range(n_stages):
        k = int(stage_strata[s].max()) + 1
        n_units_list.append(_count_units(stage_strata[s], units[s], k))

    # fpc: R's rule, fractions if all <= 1, population sizes otherwise.
    pop_sizes: list[FloatArray] = []
    if fpc_cols:
        raw_fpc = [_numeric(data, c, "fpc") for c in fpc_cols]
        allv = np.concatenate(raw_fpc)
        if np.any(allv <= 0):
            raise ValueError(f"fpc column(s) {', '.join(fpc_cols)} must be positive")
        if np.all(allv == 1):
            # Fractions of 1 (a census) or populations of 1? R's as.fpc refuses the ambiguity ("Must
            # have all fpc>=1 or all fpc<=1"), and so do we.
            raise ValueError(
                f"fpc column(s) {', '.join(fpc_cols)} are 1 in every row: that is neither a sampling "
                "fraction below 1 nor a population size above 1, and R's svydesign refuses it; for a "
                "census use population sizes equal to the sample sizes"
            )
        is_popsize = bool(np.any(allv > 1))
        if is_popsize and np.any(allv < 1):
            raise ValueError(
                f"fpc column(s) {', '.join(fpc_cols)} mix sampling fractions (<1) and population sizes (>1); "
                "use all fractions <= 1 or all population sizes >= 1"
            )
        for s, (col, vals) in enumerate(zip(fpc_cols, raw_fpc, strict=True)):
            st = stage_strata[s]
            k = n_units_list[s].shape[0]
            per = _first_per_code(st, vals, k).astype(np.float64)
            if np.any(per[st] != vals):
                raise ValueError(f"fpc column {col!r} is not constant within strata (stage {s + 1})")
            nh = n_units_list[s].astype(np.float64)
            pop = per if is_popsize else nh / per
            if np.any(pop < nh - 1e-9 * nh):
                bad = int(np.argmax(pop < nh - 1e-9 * nh))
                raise ValueError(
                    f"fpc column {col!r} implies more than 100% sampling at stage {s + 1}: population "
                    f"{pop[bad]:g} is smaller than the {int(nh[bad])} sampled units"
                )
            pop_sizes.append(np.asarray(pop, dtype=np.float64))
    # Stages without fpc are sampled with replacement (ultimate cluster: only stage 1 counts).
    full_multistage = len(fpc_cols) == n_stages and n_stages > 1
    used_stages = n_stages if full_multistage else 1
    for s in range(len(pop_sizes), n_stages):
        pop_sizes.append(np.full(n_units_list[s].shape[0], np.inf))

    if weights is not None:
        w = _numeric(data, weights, "weight")
        if np.any(w < 0):
            raise ValueError(f"weight column {weights!r} has negative values")
        if not np.isfinite(w).all():
            raise ValueError(f"weight column {weights!r} has infinite values")
    elif fpc_cols:
        prob = np.ones(n)
        for s in range(len(fpc_cols)):
            st = stage_strata[s]
            prob = prob * (n_units_list[s][st] / pop_sizes[s][st])
        w = 1.0 / prob
    else:
        w = np.ones(n)

    stages: list[Stage] = []
    mult_row = np.ones(n)
    for s in range(used_stages):
        st = stage_strata[s]
        k = n_units_list[s].shape[0]
        multiplier = _first_per_code(st, mult_row, k).astype(np.float64)
        stages.append(
            Stage(
                stratum=_frozen(st),  # type: ignore[arg-type]
                unit=_frozen(units[s]),  # type: ignore[arg-type]
                n_units=_frozen(n_units_list[s]),  # type: ignore[arg-type]
                pop_size=_frozen(pop_sizes[s]),  # type: ignore[arg-type]
                multiplier=_frozen(multiplier),  # type: ignore[arg-type]
                unit_is_row=not id_cols,
            )
        )
        frac = n_units_list[s][st] / pop_sizes[s][st]
        mult_row = mult_row * frac

    if lonely_psu == "fail":
        for s, stg in enumerate(stages):
            lonely = (stg.n_units == 1) & (stg.fpc_factor >= 1e-7)
            if lonely.any():
                h = int(np.argmax(lonely))
                where = ""
                if s == 0 and strata_cols:
                    label = data[strata_cols[0]].to_numpy()[int(np.argmax(stg.stratum == h))]
                    where = f" (strata column {strata_cols[0]!r} = {label})"
                raise ValueError(
                    f"a stratum{where} has only one PSU at stage {s + 1}; its variance cannot be estimated. "
                    "Choose lonely_psu='remove', 'certainty', 'adjust' or 'average'"
                )

    desc = ", ".join(
        p
        for p in (
            f"ids={'+'.join(id_cols) or '1'}",
            f"strata={strata_cols[0]}" if strata_cols else "",
            f"weights={weights}" if weights else "",
            f"fpc={'+'.join(fpc_cols)}" if fpc_cols else "",
        )
        if p
    )
    return SurveyDesign(
        data=data,
        weights=_frozen(np.asarray(w, dtype=np.float64)),  # type: ignore[arg-type]
        stages=tuple(stages),
        lonely_psu=lonely_psu,
        description=desc,
        strata_labels=_strata_labels(data, strata_cols, stratum),
    )


def replicate_rank(weights: FloatArray, tol: float = 1e-5) -> int:
    """Numerical rank of a replicate weight matrix (R: ``qr(weights, tol=1e-5)$rank``).

    Uses the singular values of the column-scaled Gram matrix, so the cost is O(n R^2) and memory
    O(R^2), not a full QR of an n x R matrix.
    """
    if weights.shape[1] == 0:
        return 0
    norms = np.sqrt(np.einsum("ij,ij->j", weights, weights))
    norms[norms == 0] = 1.0
    scaled = weights / norms
    gram = scaled.T @ scaled
    ev = np.linalg.eigvalsh(gram)
    smax = float(ev.max())
    if smax <= 0:
        return 0
    return int(np.sum(ev > (tol**2) * smax))


def default_scale(type_: str, n_replicates: int, fay_rho: float = 0.0) -> float:
    """R's ``svrepdesign`` default ``scale`` for a replicate type."""
    r = n_replicates
    if type_ == "BRR":
        return 1.0 / r
    if type_ == "Fay":
        return 1.0 / (r * (1.0 - fay_rho) ** 2)
    if type_ == "JK1":
        return (r - 1) / r
    if type_ in ("bootstrap", "subbootstrap"):
        return 1.0 / (r - 1)
    return 1.0


def svrepdesign(
    data: pd.DataFrame,
    *,
    repweights: str | Sequence[str],
    weights: str | None = None,
    type: ReplicateType = "other",
    scale: float | None = None,
    rscales: Sequence[float] | float | None = None,
    mse: bool = False,
    combined_weights: bool = True,
    fay_rho: float = 0.0,
    df: int | None = None,
) -> SurveyDesign:
    """Build a design from supplied replicate weight columns (R: ``svrepdesign``).

    Parameters
    ----------
    data : DataFrame
    repweights : str or sequence of str
        The replicate weight columns; a single string is a prefix (``"rep"`` selects ``rep1``,
        ``rep2``, ... in column order), like R's ``repweights="rep[0-9]+"``.
    weights : str, optional
        Full-sample sampling weights (1 if omitted).
    type : {"JK1", "JKn", "bootstrap", "subbootstrap", "BRR", "Fay", "other"}
        Only used for the default ``scale``.
    scale, rscales : float, optional
        ``var = scale * sum_r rscales[r] * (theta_r - center)^2``. Defaults as R: BRR ``1/R``, Fay
        ``1/(R (1-rho)^2)``, JK1 ``(R-1)/R``, bootstrap ``1/(R-1)``, otherwise 1; ``rscales`` 1.
        JKn needs ``rscales``.
    mse : bool
        Centre on the full-sample estimate instead of the replicate mean.
    combined_weights : bool
        Replicate columns already include the sampling weights (R's default); otherwise they are
        multiplied by ``weights``.
    fay_rho : float
        Fay's rho, for the default scale of ``type="Fay"``.
    df : int, optional
        Degrees of freedom; default rank of the replicate weights minus 1, as R's ``degf``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 3.0, 2.0, 6.0], "r1": [2, 0, 2, 0], "r2": [0, 2, 0, 2],
    ...                    "r3": [2, 0, 0, 2], "r4": [0, 2, 2, 0]})
    >>> # R: svrepdesign(data=df, type="BRR", repweights="r[1-4]")
    >>> d = svrepdesign(df, repweights=["r1", "r2", "r3", "r4"], type="BRR")
    >>> d.replicates.scale, d.df
    (0.25, 2)
    """
    if type not in REPLICATE_TYPES:
        raise ValueError(f"type must be one of {', '.join(REPLICATE_TYPES)}, not {type!r}")
    if isinstance(repweights, str):
        prefix = repweights
        cols = [str(c) for c in data.columns if str(c).startswith(prefix) and str(c)[len(prefix) :].isdigit()]
        if not cols:
            raise ValueError(f"no replicate weight columns named {prefix!r} followed by a number")
    else:
        cols = list(repweights)
        _check_columns(data, cols, "replicate weight")
    if not cols:
        raise ValueError("at least one replicate weight column is needed")
    if weights is not None:
        _check_columns(data, [weights], "weight")
        w = _numeric(data, weights, "weight")
        if np.any(w < 0):
            raise ValueError(f"weight column {weights!r} has negative values")
    else:
        w = np.ones(len(data))
    rw = np.column_stack([_numeric(data, c, "replicate weight") for c in cols])
    if np.any(rw < 0):
        raise ValueError("replicate weight columns have negative values")
    if not combined_weights:
        rw = rw * w[:, None]
    r = rw.shape[1]
    sc = default_scale(type, r, fay_rho) if scale is None else float(scale)
    if type == "JKn" and rscales is None:
        raise ValueError("type='JKn' needs rscales (one per replicate: (n_h-1)/n_h times the fpc)")
    rs = (
        np.ones(r) if rscales is None else np.broadcast_to(np.asarray(rscales, dtype=np.float64), (r,)).copy()
    )
    dfv = replicate_rank(rw) - 1 if df is None else int(df)
    rep = ReplicateWeights(
        weights=_frozen(rw.astype(np.float64)),  # type: ignore[arg-type]
        type=type,
        scale=sc,
        rscales=_frozen(rs),  # type: ignore[arg-type]
        mse=mse,
        df=dfv,
    )
    n = len(data)
    trivial = Stage(
        stratum=_frozen(np.zeros(n, dtype=np.int64)),  # type: ignore[arg-type]
        unit=_frozen(np.arange(n, dtype=np.int64)),  # type: ignore[arg-type]
        n_units=_frozen(np.array([n], dtype=np.int64)),  # type: ignore[arg-type]
        pop_size=_frozen(np.array([np.inf])),  # type: ignore[arg-type]
        multiplier=_frozen(np.ones(1)),  # type: ignore[arg-type]
        unit_is_row=True,
    )
    return SurveyDesign(
        data=data,
        weights=_frozen(w),  # type: ignore[arg-type]
        stages=(trivial,),
        lonely_psu="fail",
        replicates=rep,
        description=f"{len(cols)} replicate weights, scale={sc:g}, mse={mse}",
    )
