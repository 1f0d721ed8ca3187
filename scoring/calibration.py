"""Nonresponse adjustment and calibration to known margins (R: ``postStratify``, ``rake``, ``calibrate``).

Each function takes a linearization :class:`~scoring.design.SurveyDesign` and returns a new one whose
``weights`` are the adjusted weights and whose ``calibration`` ends with the adjustment, so that
:func:`~scoring.estimators.svymean`, :func:`~scoring.estimators.svytotal` and the other estimators
linearize as R's ``svyrecvar`` does for ``design$postStrata``: the influence values are replaced by
their residuals from the adjustment before the between-PSU variance is taken.

Post-stratification (R: ``postStratify(design, ~cell, population)``)
    ``w_i* = w_i N_g / sum_{j in g} w_j`` for the post-stratum ``g`` of row ``i``. Residuals:
    ``e_i = z_i - w_i* (sum_{j in g} z_j w_j / w_j*) / sum_{j in g} w_j``.
Nonresponse adjustment within cells (:func:`adjust_nonresponse`)
    post-stratification of the respondents to each cell's population (the frame's count ``N_c``, or
    the sum of the base weights of every sampled person, respondent or not: :func:`nonresponse_totals`),
    so respondents are weighted up to the cell; the variance is that of ``postStratify``.
Raking (R: ``rake(design, list(~a, ~b), list(pop_a, pop_b))``)
    iterated post-stratification to each margin in turn, stopping as R does (at most ``maxit=10``
    passes, until the weighted cross table of all margin variables moves by less than ``epsilon=1``).
    Residuals: ten sweeps of ``z <- z - w_m ave_m(z / w_m)`` over the margins ``m``, with ``w_m`` the
    weights after margin ``m`` in the last pass and ``ave_m`` the plain mean within its levels.
Linear (GREG) calibration (R: ``calibrate(design, ~x, population, calfun="linear")``)
    ``g_i = 1 + x_i' T^{-1} (t_x - sum_j w_j x_j)``, ``T = sum_j w_j x_j x_j'``, ``w_i* = g_i w_i``.
    Residuals: ``e_i = g_i w_i (u_i - x_i' B)``, ``u_i = z_i / (g_i w_i)``, ``B`` the regression of ``u``
    on ``x`` weighted by ``w`` (R: ``qr.resid(qr(x sqrt(w)), z / (g sqrt(w))) g sqrt(w)``).

Margins are a DataFrame (or a CSV file, :func:`read_margins`) with the columns ``variable, level,
total``: one row per level of each categorical auxiliary variable with its population count, and, for
linear calibration, one row per numeric variable with an empty ``level`` and its population total
(``(Intercept)`` with an empty level gives the population size where no categorical margin implies it).
Levels are matched to the data as text (``str`` of each value). Missing values in an auxiliary column
are an error (R: ``na.fail``). Only linearization designs are supported: a replicate design raises.
"""

from __future__ import annotations

import csv
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from scoring.design import Adjustment, FloatArray, IntArray, SurveyDesign, _frozen

__all__ = [
    "CALIBRATION_METHODS",
    "GregCalibration",
    "PostStratification",
    "Raking",
    "adjust_nonresponse",
    "calibrate",
    "calibrate_linear",
    "check_margins",
    "nonresponse_totals",
    "poststratify",
    "rake",
    "read_margins",
]

CalibrationMethod = Literal["poststratify", "rake", "linear"]
CALIBRATION_METHODS: tuple[str, ...] = ("poststratify", "rake", "linear")
INTERCEPT = "(Intercept)"


# ------------------------------------------------------------------------------------ adjustments


def _indicator(codes: IntArray, k: int) -> sp.csr_matrix:
    n = codes.shape[0]
    return sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(k, n))


@dataclass(frozen=True, eq=False)
class PostStratification:
    """One post-stratification step: the row's cell and the weights before and after it."""

    cell: IntArray
    old_weights: FloatArray
    new_weights: FloatArray

    def residuals(self, z: FloatArray) -> FloatArray:
        """R's ``svyrecvar`` post-stratum branch: ``z - w* mean_g(z w / w*)`` (mean weighted by w)."""
        psw = self.new_weights.copy()
        oldw = self.old_weights
        psw[(psw == 0) & (oldw == 0)] = 1.0
        k = int(self.cell.max()) + 1
        ind = _indicator(self.cell, k)
        num = np.asarray(ind @ (z * (oldw / psw)[:, None]))
        den = np.bincount(self.cell, weights=oldw, minlength=k)
        means = np.divide(num, den[:, None], out=np.zeros_like(num), where=den[:, None] != 0)
        return np.asarray(z - means[self.cell] * psw[:, None], dtype=np.float64)

    def operators(self) -> list[tuple[Any, Any]]:
        """``S[i, g_i] = w*_i``, ``L[g_i, i] = (w_i / w*_i) / sum_g w``."""
        psw = self.new_weights.copy()
        oldw = self.old_weights
        psw[(psw == 0) & (oldw == 0)] = 1.0
        k = int(self.cell.max()) + 1
        n = self.cell.shape[0]
        den = np.bincount(self.cell, weights=oldw, minlength=k)
        inv = np.divide(1.0, den, out=np.zeros_like(den), where=den != 0)
        rows = np.arange(n)
        basis = sp.csr_matrix((psw, (rows, self.cell)), shape=(n, k))
        proj = sp.csr_matrix((oldw / psw * inv[self.cell], (self.cell, rows)), shape=(k, n))
        return [(basis, proj)]


@dataclass(frozen=True, eq=False)
class Raking:
    """A raking step: per margin, the row's level and the weights after that margin in the last pass."""

    margins: tuple[tuple[IntArray, FloatArray], ...]

    def residuals(self, z: FloatArray) -> FloatArray:
        """R's ``svyrecvar`` raking branch: ten sweeps of ``z - w_m ave_m(z / w_m)``."""
        prepared = []
        for codes, psw in self.margins:
            k = int(codes.max()) + 1
            counts = np.bincount(codes, minlength=k).astype(np.float64)
            safe = np.where(psw == 0, 1.0, psw)
            prepared.append((codes, _indicator(codes, k), counts, psw, safe))
        for _ in range(10):
            for codes, ind, counts, psw, safe in prepared:
                means = np.asarray(ind @ (z / safe[:, None])) / counts[:, None]
                z = z - psw[:, None] * means[codes]
        return np.asarray(z, dtype=np.float64)

    def operators(self) -> list[tuple[Any, Any]]:
        """Per margin ``S[i, m_i] = w_m,i``, ``L[m_i, i] = 1 / (w_m,i n_m)``; ten sweeps."""
        once = []
        for codes, psw in self.margins:
            k = int(codes.max()) + 1
            n = codes.shape[0]
            counts = np.bincount(codes, minlength=k).astype(np.float64)
            safe = np.where(psw == 0, 1.0, psw)
            rows = np.arange(n)
            basis = sp.csr_matrix((psw, (rows, codes)), shape=(n, k))
            proj = sp.csr_matrix((1.0 / safe / counts[codes], (codes, rows)), shape=(k, n))
            once.append((basis, proj))
        return once * 10


@dataclass(frozen=True, eq=False)
class GregCalibration:
    """A linear calibration step: an orthonormal basis of ``x sqrt(w)`` and ``g sqrt(w)``."""

    basis: FloatArray  # (n, p) Q of the QR decomposition of x * sqrt(w)
    scale: FloatArray  # (n,) g * sqrt(w)

    def residuals(self, z: FloatArray) -> FloatArray:
        """R's ``qr.resid(qr, z / (g sqrt(w))) * g sqrt(w)``."""
        s = self.scale[:, None]
        r = np.divide(z, s, out=np.zeros_like(z), where=s != 0)
        r = r - self.basis @ (self.basis.T @ r)
        return np.asarray(r * s, dtype=np.float64)

    def operators(self) -> list[tuple[Any, Any]]:
        """``S = diag(g sqrt(w)) Q``, ``L = Q' diag(1 / (g sqrt(w)))``."""
        inv = np.divide(1.0, self.scale, out=np.zeros_like(self.scale), where=self.scale != 0)
        return [(self.basis * self.scale[:, None], (self.basis * inv[:, None]).T)]


def _adjusted(design: SurveyDesign, weights: FloatArray, step: Adjustment, label: str) -> SurveyDesign:
    return replace(
        design,
        weights=_frozen(np.asarray(weights, dtype=np.float64)),  # type: ignore[arg-type]
        calibration=(*design.calibration, step),
        description=f"{design.description}, {label}" if design.description else label,
    )


def _linearization(design: SurveyDesign, what: str) -> None:
    if design.replicates is not None:
        raise ValueError(
            f"{what} is implemented for linearization designs only (R re-calibrates every replicate; "
            "this package does not yet): build the design with svydesign"
        )


# ------------------------------------------------------------------------------------------ cells


def _labels(design: SurveyDesign, col: str, role: str) -> pd.Series:
    if col not in design.data.columns:
        shown = ", ".join(map(str, design.data.columns[:20]))
        raise ValueError(f"{role} column {col!r} not found in the data (columns: {shown})")
    s = design.data[col]
    if s.isna().any():
        row = int(np.argmax(s.isna().to_numpy()))
        raise ValueError(
            f"{role} column {col!r} has missing values (first at data row {row + 1}); every row needs a "
            "value to be calibrated"
        )
    return s.map(_level_text)


def _level_text(v: object) -> str:
    # Whole-number floats (a column read with a missing value elsewhere) match the integer level text.
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _cell_keys(design: SurveyDesign, cols: Sequence[str], role: str) -> pd.Series:
    parts = [_labels(design, c, role) for c in cols]
    key = parts[0]
    for p in parts[1:]:
        key = key + "\x1f" + p
    return key


def _population_map(population: pd.DataFrame | Mapping[Any, float], cols: Sequence[str]) -> dict[str, float]:
    if isinstance(population, Mapping):
        if len(cols) != 1:
            raise ValueError("a mapping of population totals is for one column; pass a DataFrame")
        items = [(_level_text(k), float(v)) for k, v in population.items()]
    else:
        total_col = "total" if "total" in population.columns else "Freq"
        missing = [c for c in [*cols, total_col] if c not in population.columns]
        if missing:
            raise ValueError(
                f"population table lacks the column(s) {', '.join(missing)} (it needs {', '.join(cols)} "
                "and total)"
            )
        keys = population[cols[0]].map(_level_text)
        for c in cols[1:]:
            keys = keys + "\x1f" + population[c].map(_level_text)
        items = list(zip(keys.tolist(), pd.to_numeric(population[total_col]).astype(float), strict=True))
    out: dict[str, float] = {}
    for key, total in items:
        shown = key.replace("\x1f", " × ")
        if key in out:
            raise ValueError(f"population cell {shown!r} is given twice")
        if not np.isfinite(total) or total < 0:
            raise ValueError(f"population total of cell {shown!r} must be a non-negative number, not {total}")
        out[key] = total
    return out


def _poststratify_weights(
    weights: FloatArray, keys: pd.Series, pop: Mapping[str, float], partial: bool, what: str
) -> tuple[IntArray, FloatArray]:
    codes_raw, uniq = pd.factorize(keys, sort=True)
    codes = np.asarray(codes_raw, dtype=np.int64)
    sample = np.bincount(codes, weights=weights, minlength=len(uniq))
    factor = np.ones(len(uniq))
    for i, key in enumerate(uniq.tolist()):
        shown = str(key).replace("\x1f", " × ")
        if key not in pop:
            if sample[i] > 0:
                raise ValueError(f"{what}: cell {shown!r} occurs in the data but has no population total")
            continue
        if sample[i] == 0:
            if pop[key] > 0 and not partial:
                raise ValueError(f"{what}: cell {shown!r} has a population total but no weight in the sample")
            continue
        if pop[key] == 0:
            raise ValueError(f"{what}: cell {shown!r} occurs in the data but its population total is 0")
        factor[i] = pop[key] / sample[i]
    absent = [k for k in pop if k not in set(uniq.tolist()) and pop[k] > 0]
    if absent and not partial:
        shown = ", ".join(repr(k.replace("\x1f", " × ")) for k in absent[:5])
        raise ValueError(
            f"{what}: population cell(s) {shown} have no rows in the data (R: 'Some strata absent from "
            "sample'); pass partial=True to ignore them"
        )
    return codes, weights * factor[codes]


# ------------------------------------------------------------------------------ post-stratification


def poststratify(
    design: SurveyDesign,
    strata: str | Sequence[str],
    population: pd.DataFrame | Mapping[Any, float],
    *,
    partial: bool = False,
) -> SurveyDesign:
    """Post-stratify a design to known cell counts (R: ``postStratify(design, ~strata, population)``).

    Parameters
    ----------
    design : SurveyDesign
        A linearization design.
    strata : str or sequence of str
        The post-stratification column(s); several columns are crossed.
    population : DataFrame or mapping
        Population count per cell: a DataFrame with the ``strata`` columns and ``total`` (or R's
        ``Freq``), or, for one column, a mapping ``level -> count``.
    partial : bool
        Ignore population cells absent from the sample (R's ``partial=TRUE``) instead of raising.

    Returns
    -------
    SurveyDesign
        Weights ``w N_g / sum_g w``; variances from the post-stratification residuals.

    Raises
    ------
    ValueError
        A cell in the data without a population total (or with total 0), a population cell absent from
        the sample (unless ``partial``), a missing value in a ``strata`` column, a replicate design.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.design import svydesign
    >>> from scoring.estimators import svymean
    >>> df = pd.DataFrame({"sex": ["F", "F", "M", "M", "M"], "y": [1.0, 3.0, 2.0, 4.0, 6.0]})
    >>> # R: postStratify(svydesign(id=~1, data=df), ~sex, data.frame(sex=c("F","M"), Freq=c(60, 40)))
    >>> ps = poststratify(svydesign(df), "sex", {"F": 60, "M": 40})
    >>> ps.weights.tolist()
    [30.0, 30.0, 13.333333333333334, 13.333333333333334, 13.333333333333334]
    >>> svymean(ps, "y")[["estimate", "se"]].round(4)
       estimate      se
    0       2.8  0.6346
    """
    _linearization(design, "post-stratification")
    cols = [strata] if isinstance(strata, str) else list(strata)
    if not cols:
        raise ValueError("no post-stratification column given")
    keys = _cell_keys(design, cols, "post-stratification")
    pop = _population_map(population, cols)
    codes, neww = _poststratify_weights(design.weights, keys, pop, partial, "post-stratification")
    step = PostStratification(
        cell=_frozen(codes),  # type: ignore[arg-type]
        old_weights=design.weights,
        new_weights=_frozen(neww),  # type: ignore[arg-type]
    )
    return _adjusted(design, neww, step, f"post-stratified on {'*'.join(cols)}")


def nonresponse_totals(
    sample: pd.DataFrame, cells: str | Sequence[str], weight: str | None = None
) -> pd.DataFrame:
    """Sum of the base weights of every sampled person per cell, respondent or not.

    These are the totals to which :func:`adjust_nonresponse` weights the respondents up when the
    cell's population count is not known separately (with base weights ``N_h/n_h`` and cells equal
    to strata they are ``N_h``).

    Returns
    -------
    DataFrame
        ``[*cells, total]``, one row per cell present in ``sample``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"unit": ["a", "a", "a", "b"], "w": [10.0, 10.0, 10.0, 4.0]})
    >>> nonresponse_totals(s, "unit", "w")
      unit  total
    0    a   30.0
    1    b    4.0
    """
    cols = [cells] if isinstance(cells, str) else list(cells)
    missing = [c for c in [*cols, *([weight] if weight else [])] if c not in sample.columns]
    if missing:
        raise ValueError(f"column(s) {', '.join(missing)} not found in the sample")
    for c in cols:
        if sample[c].isna().any():
            raise ValueError(f"cell column {c!r} has missing values")
    w = sample[weight].astype(float) if weight else pd.Series(1.0, index=sample.index)
    if w.isna().any() or (w < 0).any():
        raise ValueError(f"weight column {weight!r} must be non-negative with no missing values")
    return w.groupby([sample[c] for c in cols], sort=True).sum().rename("total").reset_index()


def adjust_nonresponse(
    design: SurveyDesign,
    cells: str | Sequence[str],
    totals: pd.DataFrame | Mapping[Any, float],
) -> SurveyDesign:
    """Weight respondents up to each cell's population (weighting-class nonresponse adjustment).

    ``design`` is the design of the respondents with their base weights; ``totals`` the population
    of each cell (the frame's count, or :func:`nonresponse_totals` of the whole sample). Respondents
    of cell ``c`` get ``w_i N_c / sum_{resp in c} w``. This is post-stratification of the respondents
    to the cells, and its variance is R's: ``postStratify(design, ~cells, totals)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.design import svydesign
    >>> from scoring.estimators import svymean
    >>> resp = pd.DataFrame({"unit": ["a", "a", "b"], "w": [10.0, 10.0, 4.0], "y": [1.0, 0.0, 1.0]})
    >>> d = adjust_nonresponse(svydesign(resp, weights="w"), "unit", {"a": 30, "b": 4})
    >>> d.weights.tolist()
    [15.0, 15.0, 4.0]
    >>> # R: svymean(~y, postStratify(svydesign(id=~1, weights=~w, data=resp), ~unit, pop))
    >>> svymean(d, "y")[["estimate", "se"]].round(4)
       estimate      se
    0    0.5588  0.3821
    """
    cols = [cells] if isinstance(cells, str) else list(cells)
    adjusted = poststratify(design, cols, totals)
    return replace(
        adjusted, description=f"{design.description}, nonresponse-adjusted within {'*'.join(cols)}"
    )


# ------------------------------------------------------------------------------------------ margins


def check_margins(margins: pd.DataFrame, source: str = "margins") -> pd.DataFrame:
    """Validate a ``variable, level, total`` table; returns it cleaned (level text, float total).

    Every problem is reported at once, by row (counting the header as row 1, as a spreadsheet does).
    """
    need = ["variable", "level", "total"]
    cols = {str(c).strip().lower(): c for c in margins.columns}
    missing = [c for c in need if c not in cols]
    if missing:
        raise ValueError(
            f"{source}: missing column(s) {', '.join(missing)}; expected the columns variable,level,total"
        )
    m = pd.DataFrame({c: margins[cols[c]] for c in need})
    problems: list[str] = []
    var: list[str] = ["" if pd.isna(v) else str(v).strip() for v in m["variable"].tolist()]
    lev: list[str] = ["" if pd.isna(v) else _level_text(v).strip() for v in m["level"].tolist()]
    tot: list[float] = [float(t) for t in pd.to_numeric(m["total"], errors="coerce").tolist()]
    raw_total = m["total"].tolist()
    seen: dict[tuple[str, str], int] = {}
    for i in range(len(m)):
        row = i + 2
        if not var[i]:
            problems.append(f"row {row}, column variable: empty")
        t = tot[i]
        if not np.isfinite(t):
            problems.append(f"row {row}, column total: {raw_total[i]!r} is not a number")
        key = (var[i], lev[i])
        if key in seen:
            problems.append(f"row {row}: {key[0]}={key[1]!r} repeats row {seen[key]}")
        else:
            seen[key] = row
        if lev[i] and t < 0:
            problems.append(f"row {row}, column total: a count cannot be negative ({t:g})")
    kinds: dict[str, set[bool]] = {}
    for v, level in zip(var, lev, strict=True):
        kinds.setdefault(v, set()).add(level == "")
    for v, k in kinds.items():
        if len(k) > 1 and v != INTERCEPT:
            problems.append(
                f"variable {v!r} has rows with and without a level: it is either categorical or numeric"
            )
    if len(m) == 0:
        problems.append("no margins")
    if problems:
        raise ValueError(f"{source}: " + "; ".join(problems))
    return pd.DataFrame({"variable": var, "level": lev, "total": np.asarray(tot, dtype=np.float64)})


def read_margins(path: str | Path) -> pd.DataFrame:
    """Read and validate a margins CSV file (``variable,level,total``); see :func:`check_margins`."""
    p = Path(path)
    try:
        raw = pd.read_csv(
            p, dtype=str, keep_default_na=False, encoding="utf-8-sig", sep=None, engine="python"
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"cannot read {str(p)!r} as CSV: {exc}") from exc
    raw = raw.replace({"": np.nan})
    return check_margins(raw, str(p))


def _rows(margins: pd.DataFrame) -> list[tuple[str, str, float]]:
    return list(
        zip(
            margins["variable"].astype(str).tolist(),
            margins["level"].astype(str).tolist(),
            margins["total"].astype(float).tolist(),
            strict=True,
        )
    )


def _categorical(margins: pd.DataFrame) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for variable, level, total in _rows(margins):
        if level != "" and variable != INTERCEPT:
            out.setdefault(variable, {})[level] = total
    return out


def _numeric_margins(margins: pd.DataFrame) -> dict[str, float]:
    return {v: t for v, level, t in _rows(margins) if level == "" and v != INTERCEPT}


# ------------------------------------------------------------------------------------------- raking


def rake(
    design: SurveyDesign,
    margins: pd.DataFrame,
    *,
    maxit: int = 10,
    epsilon: float = 1.0,
) -> SurveyDesign:
    """Rake a design to the margins of several categorical variables (R: ``rake``).

    Parameters
    ----------
    design : SurveyDesign
    margins : DataFrame
        ``variable, level, total``: the population count of each level of each variable.
    maxit, epsilon : int, float
        R's ``control=list(maxit=10, epsilon=1)``: stop when the weighted cross table of all the
        margin variables changes by less than ``epsilon`` (if ``epsilon < 1``: that fraction of the
        weight total) between passes, or after ``maxit`` passes (with a ``RuntimeWarning``, as R).

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.design import svydesign
    >>> from scoring.estimators import svytotal
    >>> df = pd.DataFrame({"a": ["x", "x", "y", "y", "y"], "b": ["p", "q", "p", "q", "q"],
    ...                    "y": [1.0, 2.0, 3.0, 4.0, 5.0]})
    >>> m = pd.DataFrame({"variable": ["a", "a", "b", "b"], "level": ["x", "y", "p", "q"],
    ...                   "total": [40.0, 60.0, 50.0, 50.0]})
    >>> # R: rake(svydesign(id=~1, data=df), list(~a, ~b), list(data.frame(a=c("x","y"), Freq=c(40,60)),
    >>> #                                                    data.frame(b=c("p","q"), Freq=c(50,50))))
    >>> r = rake(svydesign(df), m)
    >>> r.weights.round(4).tolist()
    [24.1379, 15.9091, 25.8621, 17.0455, 17.0455]
    >>> svytotal(r, "y")[["estimate", "se"]].round(3)
       estimate      se
    0   286.951  14.807
    """
    _linearization(design, "raking")
    margins = check_margins(margins)
    cats = _categorical(margins)
    if _numeric_margins(margins):
        raise ValueError(
            "raking uses categorical margins only (a level per row); numeric totals need 'linear'"
        )
    if not cats:
        raise ValueError("no margins to rake to")
    names = list(cats)
    keys = [_cell_keys(design, [v], "raking") for v in names]
    combo = np.asarray(
        pd.factorize(pd.MultiIndex.from_arrays([k.to_numpy() for k in keys]))[0], dtype=np.int64
    )
    k_combo = int(combo.max()) + 1
    w = design.weights.astype(np.float64)
    eps = epsilon * float(w.sum()) if epsilon < 1 else epsilon
    old_table = np.bincount(combo, weights=w, minlength=k_combo)
    steps: list[tuple[IntArray, FloatArray]] = []
    converged = False
    for _ in range(maxit):
        steps = []
        for v, key in zip(names, keys, strict=True):
            codes, w = _poststratify_weights(w, key, cats[v], False, f"raking on {v!r}")
            steps.append((codes, w.copy()))
        new_table = np.bincount(combo, weights=w, minlength=k_combo)
        delta = float(np.max(np.abs(old_table - new_table)))
        if delta < eps:
            converged = True
            break
        old_table = new_table
    if not converged:
        warnings.warn(f"raking did not converge after {maxit} iterations", RuntimeWarning, stacklevel=2)
    step = Raking(margins=tuple((_frozen(c), _frozen(p)) for c, p in steps))  # type: ignore[misc]
    return _adjusted(design, w, step, f"raked on {'+'.join(names)}")


# ------------------------------------------------------------------------------- linear calibration


def _model_matrix(design: SurveyDesign, margins: pd.DataFrame) -> tuple[FloatArray, FloatArray, list[str]]:
    cats = _categorical(margins)
    nums = _numeric_margins(margins)
    explicit_n = margins.loc[margins["variable"] == INTERCEPT, "total"]
    sizes = {v: sum(levels.values()) for v, levels in cats.items()}
    n_pop: float | None = float(explicit_n.iloc[0]) if len(explicit_n) else None
    for v, size in sizes.items():
        if n_pop is None:
            n_pop = size
        elif abs(size - n_pop) > 1e-9 * max(1.0, abs(n_pop)):
            raise ValueError(
                f"the levels of {v!r} add up to {size:g}, but the population size is {n_pop:g} (from the "
                "other margins): every categorical margin must add up to the same population size"
            )
    columns: list[FloatArray] = []
    totals: list[float] = []
    names: list[str] = []
    if n_pop is not None:
        columns.append(np.ones(design.n))
        totals.append(n_pop)
        names.append(INTERCEPT)
    for v, levels in cats.items():
        labels = _labels(design, v, "calibration").to_numpy()
        unknown = sorted(set(labels.tolist()) - set(levels))
        if unknown:
            raise ValueError(
                f"calibration: level(s) {', '.join(map(repr, unknown[:5]))} of {v!r} have no population total"
            )
        # Treatment coding, as R's model.matrix: the first level is absorbed by the intercept.
        for lev in sorted(levels)[1:]:
            columns.append((labels == lev).astype(np.float64))
            totals.append(levels[lev])
            names.append(f"{v}{lev}")
    for v, total in nums.items():
        if v not in design.data.columns:
            raise ValueError(f"calibration column {v!r} not found in the data")
        s = design.data[v]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            raise ValueError(
                f"calibration column {v!r} has an empty level, so it must be numeric; found {s.dtype}"
            )
        a = s.to_numpy(dtype=np.float64, na_value=np.nan)
        if np.isnan(a).any():
            row = int(np.argmax(np.isnan(a)))
            raise ValueError(f"calibration column {v!r} has missing values (first at data row {row + 1})")
        columns.append(a)
        totals.append(total)
        names.append(v)
    if not columns:
        raise ValueError("no calibration margins")
    return np.column_stack(columns), np.asarray(totals), names


def calibrate_linear(design: SurveyDesign, margins: pd.DataFrame) -> SurveyDesign:
    """Linear (GREG) calibration to population totals (R: ``calibrate(design, ~x, pop, calfun="linear")``).

    Categorical margins enter as R's ``model.matrix`` does (an intercept, whose total is the
    population size implied by the margins, and one indicator per level but the first); numeric
    margins (empty ``level``) as the column itself.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.design import svydesign
    >>> from scoring.estimators import svytotal
    >>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [2.0, 4.1, 5.9, 8.2]})
    >>> m = pd.DataFrame({"variable": ["(Intercept)", "x"], "level": ["", ""], "total": [40.0, 120.0]})
    >>> # R: calibrate(svydesign(id=~1, data=df), ~x, c(`(Intercept)`=40, x=120), calfun="linear")
    >>> cal = calibrate_linear(svydesign(df), m)
    >>> svytotal(cal, ["x", "y"])[["variable", "estimate", "se"]].round(4)
      variable  estimate      se
    0        x     120.0  0.0000
    1        y     242.8  2.9553
    """
    _linearization(design, "linear calibration")
    margins = check_margins(margins)
    x, totals, names = _model_matrix(design, margins)
    w = design.weights.astype(np.float64)
    sample_totals = x.T @ w
    tmat = x.T @ (x * w[:, None])
    try:
        lam = np.linalg.solve(tmat, totals - sample_totals)
    except np.linalg.LinAlgError:
        lam = None
    if lam is None or np.linalg.cond(tmat) > 1e12:
        empty = [names[j] for j in range(len(names)) if sample_totals[j] == 0]
        why = f" (no weight in the sample for {', '.join(empty)})" if empty else ""
        raise ValueError(f"calibration variables are collinear{why}: the totals cannot be matched")
    g = 1.0 + x @ lam
    whalf = np.sqrt(w)
    q, _ = np.linalg.qr(x * whalf[:, None])
    step = GregCalibration(
        basis=_frozen(np.asarray(q, dtype=np.float64)),  # type: ignore[arg-type]
        scale=_frozen(g * whalf),  # type: ignore[arg-type]
    )
    return _adjusted(design, w * g, step, f"calibrated (linear) on {'+'.join(names)}")


def calibrate(design: SurveyDesign, margins: pd.DataFrame, method: CalibrationMethod) -> SurveyDesign:
    """Calibrate with the margins table by ``method`` (``poststratify``, ``rake`` or ``linear``).

    Post-stratification takes the margins of a single categorical variable.
    """
    margins = check_margins(margins)
    if method == "linear":
        return calibrate_linear(design, margins)
    if method == "rake":
        return rake(design, margins)
    if method == "poststratify":
        variables = margins["variable"].unique().tolist()
        if len(variables) != 1 or (margins["level"] == "").any():
            raise ValueError(
                "post-stratification uses the levels of one variable; for several margins use rake or "
                f"linear, or cross them into one column (got {', '.join(map(str, variables))})"
            )
        cats = _categorical(margins)
        return poststratify(design, str(variables[0]), cats[str(variables[0])])
    raise ValueError(f"calibration method must be one of {', '.join(CALIBRATION_METHODS)}, not {method!r}")
