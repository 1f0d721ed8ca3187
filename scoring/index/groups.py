"""Design-based estimates per domain ``by × group``, by linearization or the index's Rao–Wu bootstrap.

The group sub-indices and dimension scores are means of respondent scores on one stratified design over the
whole export (weights and strata from the export; open-access responses unweighted), with linearization
standard errors from :func:`scoring.estimators.svymean`, or a seeded Rao–Wu rescaled bootstrap whose
replicate estimates the composite (:mod:`scoring.index.composite`) carries through replicate by replicate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from scoring.calibration import INTERCEPT, CalibrationMethod, calibrate
from scoring.design import FloatArray, IntArray, LonelyPSU, SurveyDesign, svydesign
from scoring.estimators import domains, svymean
from scoring.index.scored import SCORE
from scoring.intervals import t_interval

__all__ = [
    "DEFAULT_SEED",
    "GroupEstimates",
    "Method",
    "calibrated_weights",
    "estimate_groups",
    "replicate_sd",
]

Method = Literal["linearization", "bootstrap"]

DEFAULT_SEED = 20240601
_TRUE_STRINGS = frozenset({"1", "true", "t", "yes", "y"})
_FALSE_STRINGS = frozenset({"0", "false", "f", "no", "n", ""})
#: Bootstrap weight matrices are built this many cells (replicates x rows) at a time to bound memory.
_BOOTSTRAP_CHUNK_CELLS = 20_000_000


@dataclass(frozen=True, eq=False)
class GroupEstimates:
    """Estimates per domain ``by × group`` and variable (``score`` or a dimension id).

    Attributes
    ----------
    table : DataFrame
        ``[*by, group, variable, estimate, se, ci_low, ci_high, df, n]``; ``df`` is the group's own degrees
        of freedom (respondents with a value minus variance strata among them), which Welch–Satterthwaite
        needs; the CI uses it too.
    by : tuple of str
    replicates : ndarray, optional
        Bootstrap replicate estimates, one row per table row (``method="bootstrap"``).
    method : str
    """

    table: pd.DataFrame
    by: tuple[str, ...]
    replicates: FloatArray | None = None
    method: str = "linearization"


def _as_bool(series: pd.Series, column: str) -> npt.NDArray[np.bool_]:
    if pd.api.types.is_bool_dtype(series):
        return np.asarray(series.fillna(False).to_numpy(dtype=bool), dtype=np.bool_)
    if pd.api.types.is_numeric_dtype(series):
        return np.asarray(series.fillna(0).to_numpy(dtype=np.float64) != 0, dtype=np.bool_)
    text = series.astype("string").str.strip().str.lower().fillna("")
    bad = ~text.isin(_TRUE_STRINGS | _FALSE_STRINGS).to_numpy(dtype=bool)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"column {column!r}, row {first + 1}: {series.iloc[first]!r} is not a yes/no value "
            "(true/false, 1/0)"
        )
    return text.isin(_TRUE_STRINGS).to_numpy(dtype=bool)


def _factorize_rows(keys: Sequence[npt.ArrayLike]) -> IntArray:
    """Codes of the distinct rows of ``keys`` (parallel arrays) in order of first appearance.

    The same codes as ``pd.MultiIndex.from_arrays(keys).factorize()[0]``, which builds a tuple per row; here
    each array is factorised on its own and the codes are combined pairwise into one integer, which is
    injective, so the first appearances (and with them the codes) are those of the rows.
    """
    combined = np.asarray(pd.factorize(np.asarray(keys[0]))[0], dtype=np.int64)
    for key in keys[1:]:
        codes = np.asarray(pd.factorize(np.asarray(key))[0], dtype=np.int64)
        width = int(codes.max()) + 1 if codes.size else 1
        combined = np.asarray(pd.factorize(combined * width + codes)[0], dtype=np.int64)
    return combined


def _analysis_frame(
    data: pd.DataFrame,
    values: Sequence[str],
    by: Sequence[str],
    group: str,
    weight: str | None,
    strata: Sequence[str],
    fpc: str | None,
    open_access: str | None,
    extra: Sequence[str] = (),
) -> tuple[pd.DataFrame, list[str]]:
    """Design columns resolved: ``_w`` (weights), ``_h`` (variance strata), ``_N`` (population size);
    ``extra`` columns (calibration variables) copied as they are."""
    for col in [*values, *by, group, *strata, *extra]:
        if col not in data.columns:
            raise ValueError(f"column {col!r} not found (columns: {', '.join(map(str, data.columns[:20]))})")
    n = len(data)
    is_open = (
        _as_bool(data[open_access], open_access)
        if open_access is not None and open_access in data.columns
        else np.zeros(n, dtype=bool)
    )
    if weight is not None and weight in data.columns:
        w = pd.to_numeric(data[weight], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~is_open & ~(np.isfinite(w) & (w > 0))
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"weight column {weight!r}, row {first + 1}: {data[weight].iloc[first]!r} is not a positive "
                "number (every invited response needs its sampling weight)"
            )
        # Open-access responses were not sampled: each counts for itself (weight 1), in its own stratum.
        w = np.where(is_open, 1.0, w)
    else:
        w = np.ones(n)
    keys = [data[group].astype("string").fillna("").to_numpy(dtype=object), is_open]
    keys += [data[c].astype("string").fillna("").to_numpy(dtype=object) for c in strata]
    h = _factorize_rows(keys) if len(keys) > 1 else np.zeros(n, dtype=np.int64)
    frame = pd.DataFrame({c: data[c] for c in dict.fromkeys([*by, group, *extra])}, index=data.index)
    names = []
    for j, v in enumerate(values):
        name = f"_v{j}"
        frame[name] = pd.to_numeric(data[v], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        names.append(name)
    frame["_w"] = w
    frame["_h"] = np.asarray(h, dtype=np.int64)
    if fpc is not None and fpc in data.columns:
        f = pd.to_numeric(data[fpc], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        text = ~is_open & data[fpc].notna().to_numpy() & np.isnan(f)
        if text.any():
            first = int(np.flatnonzero(text)[0])
            raise ValueError(
                f"fpc column {fpc!r}, row {first + 1}: {data[fpc].iloc[first]!r} is not a number (a "
                "population size, or a sampling fraction if every value is at most 1; leave it blank for no "
                "correction)"
            )
        f = np.where(is_open | ~np.isfinite(f) | (f <= 0), np.inf, f)
        codes = np.asarray(h, dtype=np.int64)
        first_of = np.full(int(codes.max()) + 1 if codes.size else 0, -1, dtype=np.int64)
        first_of[codes[::-1]] = np.arange(codes.size - 1, -1, -1)
        differs = f != f[first_of[codes]]
        if differs.any():
            row = int(np.flatnonzero(differs)[0])
            other = int(first_of[codes[row]])
            raise ValueError(
                f"fpc column {fpc!r} differs within a stratum: row {other + 1} has "
                f"{data[fpc].iloc[other]!r}, row {row + 1} has {data[fpc].iloc[row]!r} (same group and "
                "stratum); the population size belongs to the stratum"
            )
        finite = np.isfinite(f)
        if finite.any() and np.all(f[finite] <= 1):
            # Sampling fractions: convert to population sizes N_h = n_h / f_h so that open-access strata
            # (no fpc, N = inf) can sit in the same design.
            n_h = np.bincount(frame["_h"].to_numpy(), minlength=int(frame["_h"].max()) + 1)
            f = np.where(finite, n_h[frame["_h"].to_numpy()] / np.where(finite, f, 1.0), np.inf)
        frame["_N"] = f
    return frame, names


def _group_df(
    dom: IntArray, stratum: IntArray, ok: npt.NDArray[np.bool_], n_domains: int
) -> npt.NDArray[np.float64]:
    """Per domain: contributing rows minus variance strata among them (with replacement, no clusters)."""
    sel = ok & (dom >= 0)
    d, h = dom[sel], stratum[sel]
    rows = np.bincount(d, minlength=n_domains)
    n_h = int(stratum.max()) + 1 if stratum.size else 1
    pairs = np.unique(d * n_h + h)
    strata = np.bincount(pairs // n_h, minlength=n_domains)
    return (rows - strata).astype(np.float64)


def _rao_wu_replicates(
    stratum: IntArray,
    pop_size: FloatArray,
    weights: FloatArray,
    values: list[tuple[FloatArray, npt.NDArray[np.bool_]]],
    dom: IntArray,
    n_domains: int,
    replicates: int,
    seed: int,
) -> FloatArray:
    """Replicate domain means (variables × domains × replicates) under the Rao–Wu rescaled bootstrap.

    In each stratum ``h`` with ``n_h >= 2`` respondents, ``m_h = n_h - 1`` draws with replacement give counts
    ``c_i``; the replicate weight is ``w_i (1 - l_h + l_h (n_h / m_h) c_i)`` with ``l_h = sqrt(1 - f_h)``
    (Rao, Wu & Yue 1992; ``f_h = n_h / N_h``, 0 without fpc), so ``l_h = 1`` gives R's ``subbootweights``.
    Strata with one respondent keep their weight. The multinomial counts of a block of replicates are one
    ``bincount`` of uniform draws, so there is no Python loop over respondents or domains.

    Notes
    -----
    This is not :func:`scoring.replicates.as_replicate_design` with ``"subbootstrap"``, though both are
    Rao–Wu: that one is R's ``subbootweights`` (it ignores the fpc, refuses a stratum with one respondent,
    holds the ``n × R`` weight matrix and draws stratum by stratum), and routing the index through it would
    change every bootstrap SE the index has published for a given seed, since the draws come out of the
    generator in another order.
    """
    rng = np.random.default_rng(seed)
    n = stratum.shape[0]
    n_strata = int(stratum.max()) + 1
    order = np.argsort(stratum, kind="stable")
    sizes = np.bincount(stratum, minlength=n_strata)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    m = np.where(sizes > 1, sizes - 1, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(np.isfinite(pop_size), sizes / pop_size, 0.0)
        lam = np.where(sizes > 1, np.sqrt(np.clip(1.0 - frac, 0.0, None)), 0.0)
        rescale = np.where(m > 0, sizes / np.maximum(m, 1), 0.0)
    draw_stratum = np.repeat(np.arange(n_strata), m)
    draw_start = starts[draw_stratum]
    draw_size = sizes[draw_stratum]
    lam_row, rescale_row = lam[stratum], rescale[stratum]
    sums: list[tuple[sp.csr_matrix, sp.csr_matrix]] = []
    for y, ok in values:
        sel = ok & (dom >= 0)
        rows = np.flatnonzero(sel)
        num = sp.csr_matrix((weights[sel] * y[sel], (dom[sel], rows)), shape=(n_domains, n))
        den = sp.csr_matrix((weights[sel], (dom[sel], rows)), shape=(n_domains, n))
        sums.append((num, den))
    out = np.empty((len(values), n_domains, replicates))
    block = max(1, min(replicates, _BOOTSTRAP_CHUNK_CELLS // max(n, 1)))
    for start in range(0, replicates, block):
        b = min(block, replicates - start)
        u = rng.random((b, draw_stratum.shape[0]))
        picked = order[draw_start + (u * draw_size).astype(np.int64)]
        flat = (np.arange(b, dtype=np.int64)[:, None] * n + picked).ravel()
        counts = np.bincount(flat, minlength=b * n).reshape(b, n)
        factor = (1.0 - lam_row) + lam_row * rescale_row * counts  # (b, n)
        for j, (num, den) in enumerate(sums):
            with np.errstate(divide="ignore", invalid="ignore"):
                out[j, :, start : start + b] = (num @ factor.T) / (den @ factor.T)
    return out


def estimate_groups(
    data: pd.DataFrame,
    values: Sequence[str] = (SCORE,),
    by: Sequence[str] = ("institution",),
    *,
    group: str = "group",
    weight: str | None = "weight",
    strata: Sequence[str] = ("institution", "stratum"),
    fpc: str | None = "fpc",
    open_access: str | None = "open_access",
    method: Method = "linearization",
    replicates: int = 500,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
    lonely_psu: LonelyPSU = "adjust",
    calibration: Mapping[str, tuple[CalibrationMethod, pd.DataFrame]] | None = None,
) -> GroupEstimates:
    """Design-based means of respondent scores per ``by × group`` domain.

    The design is stratified with every respondent its own PSU: variance strata are the combinations of
    ``group``, open access and the ``strata`` columns present (groups are separate samples; each
    institution samples separately). Invited responses carry their ``weight``; open-access responses are
    unweighted (weight 1) and form their own strata without fpc. ``fpc`` holds population sizes (or sampling
    fractions if all ``<= 1``) per stratum. Domains are estimated on the full design (R: ``svyby``), with
    linearization SEs from :func:`scoring.estimators.svymean` or with a seeded Rao–Wu rescaled bootstrap.

    Parameters
    ----------
    data : DataFrame
        One row per respondent (e.g. :attr:`ScoredResponses.data`).
    values : sequence of str
        Numeric columns to estimate (respondent score, dimension scores); ``NaN`` values drop out of that
        estimate only (R's ``na.rm=TRUE`` domain estimate).
    by : sequence of str
        Domain columns besides ``group`` (``[]``: the whole data).
    group, weight, strata, fpc, open_access : str
        Column names; ``weight``, ``fpc``, ``open_access`` and ``strata`` entries that are absent from
        ``data`` are ignored (weight 1, no fpc, all invited).
    method : {"linearization", "bootstrap"}
    replicates, seed : int
        Bootstrap replicates and seed (NumPy PCG64).
    level : float
        Confidence level of the group CIs (t with the group's own ``df``).
    lonely_psu : str
        Rule for a stratum with one respondent (linearization), as R's ``survey.lonely.psu``.
    calibration : mapping, optional
        Per group, a calibration method (``poststratify``, ``rake``, ``linear``) and its margins
        (``variable, level, total``; the variables are columns of ``data``). That group's sample (a design of
        its own rows: its strata, weights and fpc) is calibrated with :func:`scoring.calibration.calibrate`
        and its domains estimated on the calibrated design, so estimates and SEs are R's
        ``svyby(~score, ~unit, calibrate(subset_design, ...), svymean)``. Groups are separate samples, so
        the other groups' estimates are as without it. Linearization only.

    Returns
    -------
    GroupEstimates

    Examples
    --------
    R: ``svyby(~score, ~group, svydesign(id=~1, strata=~group, weights=~weight, data=df), svymean)``.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"group": ["internal"] * 3 + ["external"] * 3,
    ...                    "score": [60.0, 70.0, 80.0, 40.0, 50.0, 90.0],
    ...                    "weight": [1.0, 1.0, 2.0, 1.0, 1.0, 1.0]})
    >>> g = estimate_groups(df, ["score"], by=[])
    >>> g.table[["group", "estimate", "se", "df", "n"]].round(4)
          group  estimate       se   df  n
    0  external      60.0  15.2753  2.0  3
    1  internal      72.5   6.0273  2.0  3
    """
    if method not in ("linearization", "bootstrap"):
        raise ValueError(f"method must be 'linearization' or 'bootstrap', not {method!r}")
    if method == "bootstrap" and replicates < 2:
        raise ValueError("the bootstrap needs at least 2 replicates")
    by = list(by)
    if group in by:
        raise ValueError(f"{group!r} is the group column; do not list it in by")
    calibration = dict(calibration or {})
    if calibration and method != "linearization":
        raise ValueError(
            "calibrated groups are estimated by linearization (as R's calibrate); the bootstrap would "
            "have to re-calibrate every replicate"
        )
    aux = _auxiliaries(calibration)
    strata_present = [c for c in strata if c in data.columns]
    frame, names = _analysis_frame(
        data, values, by, group, weight, strata_present, fpc, open_access, extra=aux
    )
    if len(frame) == 0:
        raise ValueError("no responses to estimate from")
    has_fpc = "_N" in frame.columns
    design = svydesign(frame, strata="_h", weights="_w", fpc="_N" if has_fpc else None, lonely_psu=lonely_psu)
    dom_cols = [*by, group]
    dom, labels = domains(design, dom_cols)
    n_dom = len(labels)
    stratum = frame["_h"].to_numpy()
    arrays = [frame[nm].to_numpy(dtype=np.float64) for nm in names]
    oks = [~np.isnan(a) for a in arrays]
    dfs = np.stack([_group_df(dom, stratum, ok, n_dom) for ok in oks])  # (k, D)

    # A value nobody has (a dimension no one answered) gives no rows, as a domain without values does;
    # svymean refuses such a column, so it is left out of the call.
    present = [nm for nm, ok in zip(names, oks, strict=True) if ok.any()]
    if not present:
        raise ValueError(
            f"no response has a value in {', '.join(map(repr, values))}: every answer is blank "
            "(or not scored), so there is nothing to estimate"
        )
    res = svymean(design, present if len(present) > 1 else present[0], by=dom_cols, level=level)
    if len(present) == 1:
        res.insert(len(dom_cols), "variable", present[0])
    for name, (how, margins) in sorted(calibration.items()):
        res = _calibrated(
            res, frame, name, how, margins, present, dom_cols, group, has_fpc, lonely_psu, level
        )
    name_of = dict(zip(names, values, strict=True))
    # Align our per-(domain, variable) arrays with svymean's rows through the domain labels.
    key_frame = labels.copy()
    key_frame["_d"] = np.arange(n_dom)
    res = res.merge(key_frame, on=dom_cols, how="left", validate="many_to_one")
    var_idx = res["variable"].map({nm: j for j, nm in enumerate(names)}).to_numpy(dtype=np.int64)
    d_idx = res["_d"].to_numpy(dtype=np.int64)
    res["variable"] = res["variable"].map(name_of)
    res["df"] = dfs[var_idx, d_idx]
    reps: FloatArray | None = None
    if method == "bootstrap":
        pop = (
            np.asarray(design.stages[0].pop_size, dtype=np.float64)
            if has_fpc
            else np.full(int(stratum.max()) + 1, np.inf)
        )
        all_reps = _rao_wu_replicates(
            stratum, pop, design.weights, list(zip(arrays, oks, strict=True)), dom, n_dom, replicates, seed
        )
        reps = all_reps[var_idx, d_idx, :]
        with np.errstate(invalid="ignore"):
            res["se"] = replicate_sd(reps)
    keep = res["n"].to_numpy() > 0
    res = res.loc[keep].drop(columns="_d").reset_index(drop=True)
    if reps is not None:
        reps = reps[keep]
    lo, hi = t_interval(res["estimate"].to_numpy(), res["se"].to_numpy(), res["df"].to_numpy(), level)
    res["ci_low"], res["ci_high"] = lo, hi
    return GroupEstimates(table=res, by=tuple(by), replicates=reps, method=method)


def _calibrated(
    res: pd.DataFrame,
    frame: pd.DataFrame,
    name: str,
    how: CalibrationMethod,
    margins: pd.DataFrame,
    present: list[str],
    dom_cols: list[str],
    group: str,
    has_fpc: bool,
    lonely_psu: LonelyPSU,
    level: float,
) -> pd.DataFrame:
    """``res`` with the estimates and SEs of group ``name`` from its own calibrated design."""
    rows = frame[group].astype("string").fillna("").to_numpy(dtype=object) == name
    if not rows.any():
        return res
    sub = frame.loc[rows]
    part = _calibrated_design(sub, name, how, margins, has_fpc, lonely_psu)
    own = [v for v in present if sub[v].notna().any()]
    if not own:
        return res
    est = svymean(part, own if len(own) > 1 else own[0], by=dom_cols, level=level)
    if len(own) == 1:
        est.insert(len(dom_cols), "variable", own[0])
    keys = [*dom_cols, "variable"]
    merged = res.merge(
        est[[*keys, "estimate", "se"]], on=keys, how="left", suffixes=("", "_cal"), validate="one_to_one"
    )
    hit = merged["estimate_cal"].notna().to_numpy()
    merged.loc[hit, "estimate"] = merged.loc[hit, "estimate_cal"]
    merged.loc[hit, "se"] = merged.loc[hit, "se_cal"]
    return merged.drop(columns=["estimate_cal", "se_cal"])


def _calibrated_design(
    sub: pd.DataFrame,
    name: str,
    how: CalibrationMethod,
    margins: pd.DataFrame,
    has_fpc: bool,
    lonely_psu: LonelyPSU,
) -> SurveyDesign:
    """The design of one group's rows of an analysis frame, calibrated to its margins."""
    part = svydesign(sub, strata="_h", weights="_w", fpc="_N" if has_fpc else None, lonely_psu=lonely_psu)
    try:
        return calibrate(part, margins, how)
    except ValueError as error:
        raise ValueError(f"group {name!r}: {error}") from error


def _auxiliaries(calibration: Mapping[str, tuple[str, pd.DataFrame]]) -> list[str]:
    """The auxiliary columns the margins of every calibrated group name (the intercept aside)."""
    return sorted(
        {
            str(v)
            for _, margins in calibration.values()
            for v in margins["variable"].astype(str)
            if v != INTERCEPT
        }
    )


def calibrated_weights(
    data: pd.DataFrame,
    calibration: Mapping[str, tuple[CalibrationMethod, pd.DataFrame]] | None,
    *,
    group: str = "group",
    weight: str | None = "weight",
    strata: Sequence[str] = ("institution", "stratum"),
    fpc: str | None = "fpc",
    open_access: str | None = "open_access",
    lonely_psu: LonelyPSU = "adjust",
) -> pd.Series:
    """Each respondent's weight as :func:`estimate_groups` estimates with it (same arguments).

    The sampling weight of an invited response, 1 for an open-access one, and in a group of
    ``calibration`` the calibrated weight (R: ``weights(calibrate(subset_design, ...))``). A domain mean is
    then ``sum(w y) / sum(w)`` over the domain's respondents with a value, so these weights are the shares
    with which cells count in a larger cell's estimate (disclosure control needs them).

    Parameters
    ----------
    data : DataFrame
        One row per respondent, as for :func:`estimate_groups`.
    calibration : mapping or None
        Per group, ``(method, margins)`` as for :func:`estimate_groups`; ``None``: no group is calibrated.
    group, weight, strata, fpc, open_access, lonely_psu
        As for :func:`estimate_groups`.

    Returns
    -------
    Series
        The weights, on ``data``'s index.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"group": ["internal"] * 4, "sex": ["F", "F", "F", "M"],
    ...                    "weight": [2.0, 2.0, 2.0, 2.0]})
    >>> margins = pd.DataFrame({"variable": "sex", "level": ["F", "M"], "total": [4.0, 4.0]})
    >>> calibrated_weights(df, {"internal": ("poststratify", margins)}).round(4).tolist()
    [1.3333, 1.3333, 1.3333, 4.0]
    """
    calibration = dict(calibration or {})
    aux = _auxiliaries(calibration)
    strata_present = [c for c in strata if c in data.columns]
    frame, _ = _analysis_frame(data, [], [], group, weight, strata_present, fpc, open_access, extra=aux)
    out = pd.Series(frame["_w"].to_numpy(dtype=np.float64), index=data.index, name="weight")
    if len(frame) == 0:
        return out
    has_fpc = "_N" in frame.columns
    groups = frame[group].astype("string").fillna("").to_numpy(dtype=object)
    for name, (how, margins) in sorted(calibration.items()):
        rows = groups == name
        if rows.any():
            part = _calibrated_design(frame.loc[rows], name, how, margins, has_fpc, lonely_psu)
            out.iloc[np.flatnonzero(rows)] = part.weights
    return out


def replicate_sd(reps: FloatArray) -> FloatArray:
    """Bootstrap SE: SD of the finite replicates (``scale = 1/(R-1)``, centred at their mean, as R).

    Unlike :func:`scoring.variance.replicate_variance`, which keeps ``1/(R-1)`` over all replicates, ``R``
    here counts only the finite ones: a replicate that leaves a domain empty must not shrink its SE.
    """
    ok = np.isfinite(reps)
    cnt = ok.sum(axis=1)
    filled = np.where(ok, reps, 0.0)
    mean = filled.sum(axis=1) / np.maximum(cnt, 1)
    ss = (np.where(ok, reps - mean[:, None], 0.0) ** 2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 1, np.sqrt(ss / (cnt - 1)), np.nan)
