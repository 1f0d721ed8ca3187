"""The SPI-style composite index: group estimates, composite, correction, category, suppression.

The pipeline (see ``docs/scoring-method.md`` for the method in words):

1. :func:`score_responses`: match each response to its questionnaire version, recode answers to 0–100
   (:mod:`scoring.recode`) and compute respondent scores (:mod:`scoring.respondent`).
2. :func:`estimate_groups`: design-based means of the respondent score and of every dimension score per
   domain ``by × group`` (weights and strata from the export; open-access responses unweighted), with
   linearization standard errors from :func:`scoring.estimators.svymean`, or a seeded Rao–Wu bootstrap.
3. :func:`publication_rules`: minimum respondents per group and small-cell suppression.
4. :func:`combine_groups`: composite ``sum_g w_g x_g`` with the profile's group weights renormalised over the
   groups present, ``SE = sqrt(sum_g w_g^2 se_g^2)`` (groups are independent samples) and Welch–Satterthwaite
   degrees of freedom ``df = (sum_g v_g)^2 / sum_g (v_g^2 / df_g)`` with ``v_g = w_g^2 se_g^2``.
5. :func:`apply_corrections`, :func:`add_categories`, :func:`probability_at_least`.

:func:`compute_index` runs all of it and returns an :class:`IndexResult`. :func:`campaign_difference` compares
two runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from questionnaires.model import Group, Questionnaire
from questionnaires.profile import ScoringProfile
from scoring.design import LonelyPSU, svydesign
from scoring.estimators import domains, svymean
from scoring.intervals import t_interval
from scoring.recode import RecodedItems, dont_know_share, recode_items
from scoring.respondent import RespondentScores, respondent_scores

__all__ = [
    "DEFAULT_SEED",
    "GroupEstimates",
    "IndexResult",
    "ScoredResponses",
    "add_categories",
    "apply_corrections",
    "campaign_difference",
    "combine_groups",
    "compute_index",
    "correction_points",
    "estimate_groups",
    "index_from_scores",
    "probability_at_least",
    "publication_rules",
    "score_responses",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Method = Literal["linearization", "bootstrap"]

DEFAULT_SEED = 20240601
#: The respondent score's name in the ``variable`` column of group and dimension tables.
SCORE = "score"
ESTIMATE_COLUMNS = ("estimate", "se", "ci_low", "ci_high", "df")
_TRUE_STRINGS = frozenset({"1", "true", "t", "yes", "y"})
_FALSE_STRINGS = frozenset({"0", "false", "f", "no", "n", ""})
#: Bootstrap weight matrices are built this many cells (replicates x rows) at a time to bound memory.
_BOOTSTRAP_CHUNK_CELLS = 20_000_000


# ----------------------------------------------------------------------------------------- scoring


@dataclass(frozen=True, eq=False)
class ScoredResponses:
    """Respondent scores of a responses export, with the design columns beside them.

    Attributes
    ----------
    data : DataFrame
        The export's non-item columns (``institution`` added from ``campaign`` when absent), then ``score``
        and one column per dimension id (respondent dimension scores, ``NaN`` where the respondent's
        questionnaire lacks the dimension or too few items were answered), then ``dont_know_share``.
    dimensions : tuple of str
        Dimension ids present, in profile order.
    item_counts : DataFrame
        Per questionnaire version and item: answered / blank / dont_know / not_applicable / unscored counts.
    recoded, respondent : dict
        Per questionnaire key (``"<id> <version>"``): the :class:`~scoring.recode.RecodedItems` and
        :class:`~scoring.respondent.RespondentScores` of its rows (indexed like ``data``).
    """

    data: pd.DataFrame
    dimensions: tuple[str, ...]
    item_counts: pd.DataFrame
    recoded: Mapping[str, RecodedItems] = field(default_factory=dict)
    respondent: Mapping[str, RespondentScores] = field(default_factory=dict)
    questionnaires: Mapping[str, Questionnaire] = field(default_factory=dict)


def _qkey(q: Questionnaire) -> str:
    return f"{q.id} {q.version}"


def _match_questionnaires(
    responses: pd.DataFrame, questionnaires: Sequence[Questionnaire]
) -> tuple[npt.NDArray[np.int64], dict[str, Questionnaire]]:
    """Position in ``questionnaires`` per row: by ``questionnaire_hash`` where it matches, else by group."""
    if not questionnaires:
        raise ValueError("no questionnaire given")
    if "group" not in responses.columns:
        raise ValueError("responses have no 'group' column (internal, external or expert per response)")
    groups = responses["group"].astype("string").str.strip()
    bad = ~groups.isin([g.value for g in Group]).fillna(False).to_numpy(dtype=bool)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"response row {first + 1}: group {groups.iloc[first]!r} is not one of "
            f"{', '.join(g.value for g in Group)}"
        )
    which = np.full(len(responses), -1, dtype=np.int64)
    hashes: dict[str, int] = {}
    for i, q in enumerate(questionnaires):
        hashes[q.content_hash] = i
        hashes[q.content_hash.removeprefix("sha256:")] = i
    if "questionnaire_hash" in responses.columns:
        codes, uniques = pd.factorize(responses["questionnaire_hash"].astype("string").str.strip())
        lut = np.array([hashes.get(str(u), -1) for u in uniques] + [-1], dtype=np.int64)
        which = lut[codes]
    by_group: dict[str, list[int]] = {}
    for i, q in enumerate(questionnaires):
        by_group.setdefault(q.group.value, []).append(i)
    g_codes, g_uniques = pd.factorize(groups)
    for j, g in enumerate(g_uniques):
        rows = (g_codes == j) & (which < 0)
        if not rows.any():
            continue
        candidates = by_group.get(str(g), [])
        if len(candidates) != 1:
            first = int(np.flatnonzero(rows)[0])
            what = (
                "no questionnaire was given for that group"
                if not candidates
                else f"{len(candidates)} questionnaires were given for it and its questionnaire_hash "
                "matches none of them"
            )
            raise ValueError(
                f"responses do not match the questionnaires: {int(rows.sum())} response(s) of group {g!r} "
                f"(first: row {first + 1}) cannot be matched, {what}"
            )
        which[rows] = candidates[0]
    q_groups = pd.array([q.group.value for q in questionnaires], dtype="string")
    row_groups = pd.array(groups.to_numpy(dtype=object), dtype="string")
    mismatch = np.asarray(pd.Series(q_groups.take(which)) != pd.Series(row_groups), dtype=bool)
    if len(which) and mismatch.any():
        first = int(np.flatnonzero(mismatch)[0])
        q = questionnaires[int(which[first])]
        raise ValueError(
            f"response row {first + 1} is in group {groups.iloc[first]!r} but its questionnaire_hash belongs "
            f"to {q.id} version {q.version} (group {q.group.value})"
        )
    return which, {_qkey(q): q for q in questionnaires}


def score_responses(
    responses: pd.DataFrame,
    questionnaires: Sequence[Questionnaire],
    profile: ScoringProfile,
    *,
    min_share_answered: float | None = None,
) -> ScoredResponses:
    """Recode and score every response with the questionnaire version it answered.

    Parameters
    ----------
    responses : DataFrame
        The wide export (``response_id, campaign, group, unit, stratum, weight, open_access,
        questionnaire_hash, ...``, then one column per item id). Only ``group`` is required here.
    questionnaires : sequence of Questionnaire
        The versions answered. A response is matched by its ``questionnaire_hash`` (the questionnaire's
        ``content_hash``, with or without the ``sha256:`` prefix); a response whose hash matches none is
        matched by its ``group`` when exactly one questionnaire of that group was given.
    profile : ScoringProfile
    min_share_answered : float, optional
        Overrides the profile's rule (see :mod:`scoring.respondent`).

    Returns
    -------
    ScoredResponses

    Raises
    ------
    ValueError
        Unknown group, responses that match no questionnaire, a hash of another group's questionnaire, or
        any recoding/scoring error (unknown answer code, unknown dimension, ...).

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.examples import tiny_profile, tiny_questionnaire
    >>> df = pd.DataFrame({"group": ["internal", "external"], "unit": ["u1", "u1"],
    ...                    "t1": ["5", "1"], "t2": ["5", "1"], "b1": ["n", "y"], "b2": ["n", "y"]})
    >>> qs = [tiny_questionnaire("internal"), tiny_questionnaire("external")]
    >>> s = score_responses(df, qs, tiny_profile())
    >>> s.data[["group", "score", "transparansi"]]
          group  score  transparansi
    0  internal  100.0         100.0
    1  external    0.0           0.0
    """
    which, by_key = _match_questionnaires(responses, questionnaires)
    n = len(responses)
    dim_order = [d.id for d in profile.dimensions]
    score = np.full(n, np.nan)
    dk = np.full(n, np.nan)
    dims: dict[str, FloatArray] = {}
    recoded: dict[str, RecodedItems] = {}
    scored: dict[str, RespondentScores] = {}
    counts: list[pd.DataFrame] = []
    for i, q in enumerate(questionnaires):
        rows = np.flatnonzero(which == i)
        if rows.size == 0:
            continue
        # Only the scored items' columns: taking the rows of the whole wide frame copied every column.
        needed = [i.id for i in q.scored_items if i.id in responses.columns]
        sub = responses[needed].iloc[rows]
        rec = recode_items(sub, q)
        rs = respondent_scores(rec.scores, q, profile, min_share_answered=min_share_answered)
        score[rows] = rs.score.to_numpy()
        dk[rows] = dont_know_share(rec).to_numpy()
        for dim in rs.dimensions.columns:
            dims.setdefault(str(dim), np.full(n, np.nan))[rows] = rs.dimensions[dim].to_numpy()
        key = _qkey(q)
        recoded[key], scored[key] = rec, rs
        c = rec.counts.copy()
        c.insert(0, "item", c.index)
        c.insert(0, "version", q.version)
        c.insert(0, "questionnaire", q.id)
        counts.append(c.reset_index(drop=True))
    item_ids = {i.id for q in questionnaires for i in q.items}
    keep = [c for c in responses.columns if c not in item_ids]
    data = responses[keep].copy()
    if "institution" not in data.columns:
        data["institution"] = data["campaign"] if "campaign" in data.columns else "all"
    data["group"] = data["group"].astype("string").str.strip()
    present = [d for d in dim_order if d in dims]
    extra = {SCORE: score, **{d: dims[d] for d in present}, "dont_know_share": dk}
    clash = [c for c in extra if c in data.columns]
    if clash:
        raise ValueError(f"responses already have column(s) {', '.join(clash)}, which scoring adds")
    data = pd.concat([data, pd.DataFrame(extra, index=data.index)], axis=1)
    return ScoredResponses(
        data=data,
        dimensions=tuple(present),
        item_counts=pd.concat(counts, ignore_index=True) if counts else pd.DataFrame(),
        recoded=recoded,
        respondent=scored,
        questionnaires=by_key,
    )


# -------------------------------------------------------------------------------- group estimates


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
) -> tuple[pd.DataFrame, list[str]]:
    """Design columns resolved: ``_w`` (weights), ``_h`` (variance strata), ``_N`` (population size)."""
    for col in [*values, *by, group, *strata]:
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
    frame = pd.DataFrame({c: data[c] for c in dict.fromkeys([*by, group])}, index=data.index)
    names = []
    for j, v in enumerate(values):
        name = f"_v{j}"
        frame[name] = pd.to_numeric(data[v], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        names.append(name)
    frame["_w"] = w
    frame["_h"] = np.asarray(h, dtype=np.int64)
    if fpc is not None and fpc in data.columns:
        f = pd.to_numeric(data[fpc], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        f = np.where(is_open | ~np.isfinite(f) | (f <= 0), np.inf, f)
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
    strata_present = [c for c in strata if c in data.columns]
    frame, names = _analysis_frame(data, values, by, group, weight, strata_present, fpc, open_access)
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

    res = svymean(design, names if len(names) > 1 else names[0], by=dom_cols, level=level)
    if len(names) == 1:
        res.insert(len(dom_cols), "variable", names[0])
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
            res["se"] = _replicate_sd(reps)
    keep = res["n"].to_numpy() > 0
    res = res.loc[keep].drop(columns="_d").reset_index(drop=True)
    if reps is not None:
        reps = reps[keep]
    lo, hi = t_interval(res["estimate"].to_numpy(), res["se"].to_numpy(), res["df"].to_numpy(), level)
    res["ci_low"], res["ci_high"] = lo, hi
    return GroupEstimates(table=res, by=tuple(by), replicates=reps, method=method)


def _replicate_sd(reps: FloatArray) -> FloatArray:
    """Bootstrap SE: SD of the finite replicates (``scale = 1/(R-1)``, centred at their mean, as R)."""
    ok = np.isfinite(reps)
    cnt = ok.sum(axis=1)
    filled = np.where(ok, reps, 0.0)
    mean = filled.sum(axis=1) / np.maximum(cnt, 1)
    ss = (np.where(ok, reps - mean[:, None], 0.0) ** 2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 1, np.sqrt(ss / (cnt - 1)), np.nan)


# ---------------------------------------------------------------------------- publication rules


def publication_rules(
    table: pd.DataFrame, *, min_cell: int, min_respondents: int | None = None
) -> pd.DataFrame:
    """Withhold small results: ``suppressed`` (``n < min_cell``) and ``published`` (``n >= min_respondents``).

    Where a row is suppressed or not published, ``estimate, se, ci_low, ci_high`` (and any ``*_display``
    columns) become ``NaN`` and ``note`` says why. ``n`` stays visible: it is what tells a reader why.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"estimate": [70.0, 71.0, 72.0], "se": [1.0, 2.0, 3.0], "n": [40, 12, 3]})
    >>> publication_rules(t, min_cell=5, min_respondents=30)[["estimate", "published", "suppressed"]]
       estimate  published  suppressed
    0      70.0       True       False
    1       NaN      False       False
    2       NaN      False        True
    """
    out = table.copy()
    n = out["n"].to_numpy()
    suppressed = n < min_cell
    published = ~suppressed if min_respondents is None else (n >= min_respondents) & ~suppressed
    note = np.where(
        suppressed,
        np.char.add(f"suppressed: fewer than {min_cell} respondents (n=", np.char.add(n.astype(str), ")")),
        "",
    )
    if min_respondents is not None:
        low = ~suppressed & ~published
        note = np.where(
            low,
            np.char.add(
                f"not published: fewer than {min_respondents} respondents (n=",
                np.char.add(n.astype(str), ")"),
            ),
            note,
        )
    hide = ~published
    for col in out.columns:
        if col in ESTIMATE_COLUMNS[:4] or col.endswith("_display") or col == "prob_at_least_target":
            out.loc[hide, col] = np.nan
    out["published"] = published
    out["suppressed"] = suppressed
    out["note"] = pd.array(note, dtype="string") if len(note) else pd.array([], dtype="string")
    return out


# ------------------------------------------------------------------------------------- composite


def combine_groups(
    groups: pd.DataFrame,
    group_weights: Mapping[str, float],
    by: Sequence[str] = (),
    *,
    group: str = "group",
    level: float = 0.95,
    replicates: FloatArray | None = None,
) -> pd.DataFrame:
    """Composite of independent group estimates with renormalised weights and Welch–Satterthwaite df.

    Within each ``by`` cell, the groups used are those with a finite ``estimate`` and ``se`` (unpublished and
    suppressed groups have ``NaN``) and a weight in ``group_weights``. With ``w_g`` renormalised to sum to 1
    over them:

    * ``estimate = sum_g w_g x_g``,
    * ``se = sqrt(sum_g w_g^2 se_g^2)`` (groups are independent samples, so there is no covariance; R:
      ``svycontrast(svyby(...), w)`` gives the same on a stratified design),
    * ``df = (sum_g v_g)^2 / sum_g (v_g^2 / df_g)`` with ``v_g = w_g^2 se_g^2`` (Welch–Satterthwaite),
    * CI ``estimate -/+ qt(1 - alpha/2, df) * se``.

    With ``replicates`` (one row of bootstrap replicate estimates per row of ``groups``) the composite is
    formed replicate by replicate and ``se`` is their SD; ``df`` stays Welch–Satterthwaite with the
    bootstrap group variances.

    Returns
    -------
    DataFrame
        ``[*by, estimate, se, ci_low, ci_high, df, n, groups_used, missing_groups, complete]``;
        ``groups_used`` lists the groups used, ``missing_groups`` those in ``group_weights`` without a
        result (their weight was redistributed), ``complete`` is false when any is missing. Cells with no
        usable group get ``NaN``.

    Examples
    --------
    The apistrat case of the reference data (school types as groups, weights 0.5/0.3/0.2; R:
    ``svycontrast(svyby(~score, ~stype, dstrat, svymean), c(E=.5, H=.3, M=.2))``):

    >>> import pandas as pd
    >>> g = pd.DataFrame({"group": ["E", "H", "M"], "estimate": [59.30375, 53.2275, 54.575],
    ...                   "se": [1.54780997423841, 1.86714114817414, 2.02683841352307],
    ...                   "df": [99.0, 49.0, 49.0], "n": [100, 50, 50]})
    >>> c = combine_groups(g, {"E": 0.5, "H": 0.3, "M": 0.2})
    >>> c[["estimate", "se", "df"]].round(6)
        estimate        se          df
    0  56.535125  1.037792  187.587398
    >>> combine_groups(g.iloc[:2], {"E": 0.5, "H": 0.3, "M": 0.2})[["estimate", "missing_groups"]]
        estimate missing_groups
    0  57.025156              M
    """
    by = list(by)
    t = groups.reset_index(drop=True)
    if t.empty:
        cols = [
            *by,
            "estimate",
            "se",
            "ci_low",
            "ci_high",
            "df",
            "n",
            "groups_used",
            "missing_groups",
            "complete",
        ]
        return pd.DataFrame(columns=cols)
    wmap = {str(k): float(v) for k, v in group_weights.items()}
    gname = t[group].astype("string")
    w = gname.map(wmap).astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    est = t["estimate"].to_numpy(dtype=np.float64, na_value=np.nan)
    se = t["se"].to_numpy(dtype=np.float64, na_value=np.nan)
    dfg = t["df"].to_numpy(dtype=np.float64, na_value=np.nan)
    use = np.isfinite(w) & (w > 0) & np.isfinite(est) & np.isfinite(se)
    cell: IntArray
    if by:
        codes, cells = pd.MultiIndex.from_frame(t[by]).factorize() if len(by) > 1 else pd.factorize(t[by[0]])
        cell = np.asarray(codes, dtype=np.int64)
    else:
        cell, cells = np.zeros(len(t), dtype=np.int64), pd.Index([0])
    k = len(cells)
    wu = np.where(use, w, 0.0)
    wsum = np.bincount(cell, weights=wu, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        wn = wu / wsum[cell]
        wn = np.where(use, wn, 0.0)
        estimate: FloatArray = np.bincount(cell, weights=np.where(use, wn * est, 0.0), minlength=k).astype(
            np.float64
        )
        v = np.where(use, wn**2 * se**2, 0.0)
        var: FloatArray = np.bincount(cell, weights=v, minlength=k).astype(np.float64)
        ws_den = np.bincount(cell, weights=np.where(use & (v > 0), v**2 / dfg, 0.0), minlength=k)
        df: FloatArray = np.where(
            ws_den > 0, var**2 / ws_den, np.bincount(cell, weights=np.where(use, dfg, 0.0), minlength=k)
        )
    n_used = np.bincount(cell, weights=np.where(use, t["n"].to_numpy(dtype=np.float64), 0.0), minlength=k)
    if replicates is not None:
        used_rows = np.flatnonzero(use)
        weights_mat = sp.csr_matrix((wn[use], (cell[use], used_rows)), shape=(k, len(t)))
        member_mat = sp.csr_matrix((np.ones(used_rows.size), (cell[use], used_rows)), shape=(k, len(t)))
        finite = np.isfinite(replicates)
        reps = np.asarray(weights_mat @ np.where(finite, replicates, 0.0))
        # A replicate in which a used group has no estimate gives no composite for that replicate.
        broken = np.asarray(member_mat @ (~finite).astype(np.float64)) > 0
        var = _replicate_sd(np.where(broken, np.nan, reps)) ** 2
    any_used = wsum > 0
    estimate = np.asarray(np.where(any_used, estimate, np.nan), dtype=np.float64)
    se_out = np.where(any_used, np.sqrt(var), np.nan)
    df = np.where(any_used, df, np.nan)
    lo, hi = t_interval(estimate, se_out, df, level)
    if not by:
        out = pd.DataFrame(index=range(1))
    elif len(by) > 1:
        out = pd.DataFrame(list(cells), columns=by)
    else:
        out = pd.DataFrame({by[0]: cells})
    out["estimate"], out["se"], out["ci_low"], out["ci_high"], out["df"] = estimate, se_out, lo, hi, df
    out["n"] = n_used.astype(np.int64)
    expected = sorted(g for g, wt in wmap.items() if wt > 0)
    used_str = np.full(k, "", dtype=object)
    missing_str = np.full(k, "", dtype=object)
    for g in sorted(set(expected) | set(gname.dropna().unique().tolist())):
        has = (
            np.bincount(cell, weights=(use & (gname == g).fillna(False).to_numpy(dtype=bool)), minlength=k)
            > 0
        )
        used_str = np.where(has, np.where(used_str == "", g, used_str + "," + g), used_str)
        if g in expected:
            missing_str = np.where(has, missing_str, np.where(missing_str == "", g, missing_str + "," + g))
    out["groups_used"] = pd.array(used_str.astype(str), dtype="string")
    out["missing_groups"] = pd.array(missing_str.astype(str), dtype="string")
    out["complete"] = missing_str == ""
    return out


# ------------------------------------------------------------------ corrections, categories, targets


def correction_points(cases: pd.DataFrame, profile: ScoringProfile) -> pd.DataFrame:
    """Index points deducted per institution from the profile's correction rules.

    Per rule: ``min(points_per_case * cases, max_points)``; per institution: the sum over rules, capped at
    ``profile.max_correction``. Points are on the 0–100 scale.

    Parameters
    ----------
    cases : DataFrame
        Long format ``institution, rule, cases`` (one row per institution and rule; repeated rows add up).
    profile : ScoringProfile

    Returns
    -------
    DataFrame
        ``institution, correction`` plus one ``correction_<rule>`` column per rule.

    Raises
    ------
    ValueError
        Missing columns, an unknown rule id, or a negative or non-numeric case count.

    Examples
    --------
    ``complaints``: 0.5 points per case, at most 3; ``cases``: 2 points per case; at most 4 in all.

    >>> import pandas as pd
    >>> from scoring.examples import tiny_profile
    >>> cases = pd.DataFrame({"institution": ["A", "A", "B"], "rule": ["complaints", "cases", "complaints"],
    ...                       "cases": [10, 1, 3]})
    >>> correction_points(cases, tiny_profile())
      institution  correction  correction_complaints  correction_cases
    0           A         4.0                    3.0               2.0
    1           B         1.5                    1.5               0.0
    """
    for col in ("institution", "rule", "cases"):
        if col not in cases.columns:
            raise ValueError(f"correction cases need columns institution, rule, cases; {col!r} is missing")
    rules = {r.id: r for r in profile.corrections}
    unknown = sorted(set(cases["rule"].astype(str)) - set(rules))
    if unknown:
        raise ValueError(
            f"correction rule(s) {', '.join(unknown)} not in profile {profile.id} "
            f"(it has: {', '.join(rules) or 'none'})"
        )
    counts = pd.to_numeric(cases["cases"], errors="coerce")
    if counts.isna().any() or (counts < 0).any():
        bad = int(np.flatnonzero((counts.isna() | (counts < 0)).to_numpy())[0])
        raise ValueError(f"correction cases, row {bad + 1}: {cases['cases'].iloc[bad]!r} is not a count >= 0")
    long = pd.DataFrame(
        {
            "institution": cases["institution"],
            "rule": cases["rule"].astype(str),
            "cases": counts.astype(float),
        }
    )
    wide = long.groupby(["institution", "rule"], sort=True)["cases"].sum().unstack("rule")
    wide = wide.reindex(columns=list(rules)).astype(np.float64).fillna(0.0)
    out = pd.DataFrame({"institution": wide.index})
    total = np.zeros(len(wide))
    for rid, rule in rules.items():
        pts = wide[rid].to_numpy(dtype=np.float64) * rule.points_per_case
        if rule.max_points is not None:
            pts = np.minimum(pts, rule.max_points)
        out[f"correction_{rid}"] = pts
        total += pts
    if profile.max_correction is not None:
        total = np.minimum(total, profile.max_correction)
    out.insert(1, "correction", total)
    return out


def apply_corrections(
    index: pd.DataFrame, corrections: pd.DataFrame, *, on: str = "institution"
) -> pd.DataFrame:
    """Subtract correction points from ``estimate`` and its CI (floored at 0); keep ``uncorrected``.

    The correction is a fixed deduction (it has no sampling error), so the SE and df do not change.
    Institutions without cases get 0.

    Examples
    --------
    >>> import pandas as pd
    >>> idx = pd.DataFrame({"institution": ["A", "B"], "estimate": [75.0, 1.0], "ci_low": [72.0, 0.5],
    ...                     "ci_high": [78.0, 2.0]})
    >>> apply_corrections(idx, pd.DataFrame({"institution": ["A", "B"], "correction": [4.0, 2.0]}))
      institution  estimate  ci_low  ci_high  uncorrected  correction
    0           A      71.0    68.0     74.0         75.0         4.0
    1           B       0.0     0.0      0.0          1.0         2.0
    """
    if on not in index.columns:
        raise ValueError(f"corrections apply per {on!r}, which the index table does not have")
    pts = index[on].map(corrections.set_index(on)["correction"]).astype("Float64").fillna(0.0)
    pts_arr = pts.to_numpy(dtype=np.float64)
    out = index.copy()
    out["uncorrected"] = out["estimate"]
    out["correction"] = pts_arr
    for col in ("estimate", "ci_low", "ci_high"):
        out[col] = np.clip(out[col].to_numpy(dtype=np.float64) - pts_arr, 0.0, None)
    return out


def _category_ids(profile: ScoringProfile, values: FloatArray) -> npt.NDArray[np.object_]:
    """Vectorised :meth:`ScoringProfile.category_of` (``None`` outside every band or for NaN)."""
    out = np.full(values.shape, None, dtype=object)
    cats = profile.categories
    for i, cat in enumerate(cats):
        last = i == len(cats) - 1
        inside = (values >= cat.lower) & ((values < cat.upper) | (last & (values == cat.upper)))
        out[inside] = cat.id
    return out


def add_categories(index: pd.DataFrame, profile: ScoringProfile) -> pd.DataFrame:
    """Add ``category`` (the profile band holding ``estimate``) and ``category_uncertain``.

    A category is uncertain when the CI reaches into another band (``ci_low`` and ``ci_high``, clipped to
    0–100, fall in different categories). Profiles without categories (rank-based grading) give ``None``.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.examples import tiny_profile
    >>> idx = pd.DataFrame({"estimate": [79.0, 74.0], "ci_low": [78.5, 71.0], "ci_high": [80.0, 76.0]})
    >>> add_categories(idx, tiny_profile())[["category", "category_uncertain"]]
      category  category_uncertain
    0  terjaga               False
    1  waspada                True
    """
    out = index.copy()
    est = out["estimate"].to_numpy(dtype=np.float64)
    lo = np.clip(out["ci_low"].to_numpy(dtype=np.float64), 0.0, 100.0)
    hi = np.clip(out["ci_high"].to_numpy(dtype=np.float64), 0.0, 100.0)
    cat = _category_ids(profile, est)
    out["category"] = pd.array(cat, dtype="string")
    c_lo, c_hi = _category_ids(profile, lo), _category_ids(profile, hi)
    known = np.isfinite(lo) & np.isfinite(hi) & (cat != None)  # noqa: E711 - elementwise on an object array
    out["category_uncertain"] = known & (c_lo != c_hi)
    return out


def probability_at_least(
    estimate: npt.ArrayLike, se: npt.ArrayLike, df: npt.ArrayLike, target: float
) -> FloatArray:
    """P(true index >= target) = ``1 - F_t((target - estimate) / se; df)`` (R: ``pt((est - target)/se, df)``).

    The sampling distribution of the estimate, centred at the estimate, read as the uncertainty about the
    true value; ``se = 0`` gives 0 or 1.

    Examples
    --------
    >>> probability_at_least([74.0, 76.0, 70.0], [1.0, 1.0, 0.0], [30, 30, 30], 74.0).round(4)
    array([0.5   , 0.9727, 0.    ])
    """
    est = np.asarray(estimate, dtype=np.float64)
    s = np.asarray(se, dtype=np.float64)
    d = np.asarray(df, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (est - target) / s
        p = stats.t.cdf(z, np.where(d > 0, d, np.nan))
    p = np.where(s == 0, (est >= target).astype(np.float64), p)
    return np.asarray(np.where(np.isfinite(est), p, np.nan), dtype=np.float64)


def campaign_difference(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    by: Sequence[str] = ("institution",),
    *,
    level: float = 0.95,
) -> pd.DataFrame:
    """Difference ``current - previous`` of two index tables, as independent samples.

    ``se = sqrt(se_1^2 + se_2^2)``, Welch–Satterthwaite ``df = (v_1 + v_2)^2 / (v_1^2/df_1 + v_2^2/df_2)``,
    t CI, and the two-sided p-value of "no change". Rows present in only one table are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"institution": ["A"], "estimate": [74.0], "se": [1.2], "df": [60.0], "n": [200]})
    >>> b = pd.DataFrame({"institution": ["A"], "estimate": [71.0], "se": [1.6], "df": [40.0], "n": [150]})
    >>> campaign_difference(a, b)[["institution", "estimate", "se", "df"]].round(3)
      institution  estimate   se      df
    0           A       3.0  2.0  80.645
    """
    by = list(by)
    cols = ["estimate", "se", "df", "n"]
    for name, t in (("current", current), ("previous", previous)):
        missing = [c for c in [*by, *cols] if c not in t.columns]
        if missing:
            raise ValueError(f"{name} table has no column(s) {', '.join(missing)}")
    m = current[[*by, *cols]].merge(previous[[*by, *cols]], on=by, suffixes=("_current", "_previous"))
    v1 = m["se_current"].to_numpy(dtype=np.float64) ** 2
    v2 = m["se_previous"].to_numpy(dtype=np.float64) ** 2
    d1 = m["df_current"].to_numpy(dtype=np.float64)
    d2 = m["df_previous"].to_numpy(dtype=np.float64)
    est = m["estimate_current"].to_numpy(dtype=np.float64) - m["estimate_previous"].to_numpy(dtype=np.float64)
    se = np.sqrt(v1 + v2)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = (v1 + v2) ** 2 / (v1**2 / d1 + v2**2 / d2)
        p = 2 * stats.t.sf(np.abs(est / se), df)
    lo, hi = t_interval(est, se, df, level)
    out = m[by].copy()
    out["estimate"], out["se"], out["ci_low"], out["ci_high"], out["df"] = est, se, lo, hi, df
    out["p_value"] = p
    out["n_current"], out["n_previous"] = m["n_current"], m["n_previous"]
    return out


# ------------------------------------------------------------------------------------ the pipeline


@dataclass(frozen=True, eq=False)
class IndexResult:
    """Everything :func:`compute_index` produces.

    Attributes
    ----------
    index : DataFrame
        One row per ``by`` cell: ``estimate, se, ci_low, ci_high, df, n`` of the composite (after correction),
        ``groups_used, missing_groups, complete``, ``uncorrected, correction`` (when corrections were given),
        ``category, category_uncertain``, ``prob_at_least_target`` (when a target was given),
        ``*_display`` columns (when the profile's display scale is not 100), ``published, suppressed, note``.
    groups : DataFrame
        Group sub-indices:
        ``[*by, group, estimate, se, ci_low, ci_high, df, n, published, suppressed, note]``.
    dimensions : DataFrame
        Dimension scores ``[*by, group, dimension, estimate, ...]`` per group, and with ``group == "all"`` the
        dimension combined over groups with the profile's group weights (same method as the composite).
    item_counts : DataFrame
        Answered / don't know / not applicable / blank counts per questionnaire item.
    settings : dict
        What the run used (profile and questionnaire hashes, method, replicates, seed, level, by), so the
        numbers can be reproduced.
    """

    index: pd.DataFrame
    groups: pd.DataFrame
    dimensions: pd.DataFrame
    item_counts: pd.DataFrame
    settings: Mapping[str, object]
    scored: ScoredResponses | None = None


def _display(table: pd.DataFrame, scale: float) -> pd.DataFrame:
    if scale == 100.0:
        return table
    out = table.copy()
    for col in ("estimate", "ci_low", "ci_high"):
        out[f"{col}_display"] = out[col] * (scale / 100.0)
    return out


def index_from_scores(
    data: pd.DataFrame,
    profile: ScoringProfile,
    dimensions: Sequence[str] = (),
    by: Sequence[str] = ("institution",),
    *,
    method: Method = "linearization",
    replicates: int = 500,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
    target: float | None = None,
    corrections: pd.DataFrame | None = None,
    lonely_psu: LonelyPSU = "adjust",
    design_columns: Mapping[str, str | None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Index, group and dimension tables from respondent scores (:func:`compute_index` after scoring).

    ``data`` needs ``group``, ``score``, the ``dimensions`` columns, the ``by`` columns and, if present, the
    design columns (``weight``, ``stratum``, ``fpc``, ``open_access``; rename them with ``design_columns``,
    e.g. ``{"weight": "pw"}``). See :func:`compute_index` for the rest.
    """
    by = list(by)
    cols: dict[str, str | None] = {
        "group": "group",
        "weight": "weight",
        "fpc": "fpc",
        "open_access": "open_access",
        "stratum": "stratum",
    }
    cols.update(design_columns or {})
    group_col = cols["group"] or "group"
    strata = [c for c in ("institution", cols["stratum"]) if c]
    ge = estimate_groups(
        data,
        [SCORE, *dimensions],
        by,
        group=group_col,
        weight=cols["weight"],
        strata=strata,
        fpc=cols["fpc"],
        open_access=cols["open_access"],
        method=method,
        replicates=replicates,
        seed=seed,
        level=level,
        lonely_psu=lonely_psu,
    )
    weights = {g.value: w for g, w in profile.group_weights.items()}
    t = publication_rules(
        ge.table, min_cell=profile.min_cell, min_respondents=profile.min_respondents_per_group
    )
    t = t.rename(columns={group_col: "group"})
    is_score = (t["variable"] == SCORE).to_numpy(dtype=bool)
    reps = ge.replicates

    groups = t.loc[is_score].drop(columns="variable").reset_index(drop=True)
    index = combine_groups(
        groups, weights, by, level=level, replicates=None if reps is None else reps[is_score]
    )
    index = publication_rules(index, min_cell=profile.min_cell)
    none_left = ~np.isfinite(index["estimate"].to_numpy(dtype=np.float64)) & ~index["suppressed"].to_numpy()
    index.loc[none_left, "published"] = False
    index.loc[none_left, "note"] = "not published: no group has enough respondents"
    if corrections is not None:
        if by != ["institution"]:
            raise ValueError("corrections apply to institutions: use by=['institution'] (--by institution)")
        index = apply_corrections(index, correction_points(corrections, profile))
    index = add_categories(index, profile)
    if target is not None:
        index["prob_at_least_target"] = probability_at_least(
            index["estimate"], index["se"], index["df"], target
        )
    index = _display(index, profile.display_scale)

    dims = t.loc[~is_score].rename(columns={"variable": "dimension"}).reset_index(drop=True)
    combined = combine_groups(
        dims, weights, [*by, "dimension"], level=level, replicates=None if reps is None else reps[~is_score]
    )
    combined = publication_rules(combined, min_cell=profile.min_cell)
    combined.insert(len(by), "group", "all")
    dim_table = pd.concat(
        [dims, combined.drop(columns=["groups_used", "missing_groups", "complete"])], ignore_index=True
    )
    order = {d.id: i for i, d in enumerate(profile.dimensions)}
    dim_table["_o"] = dim_table["dimension"].map(order)
    dim_table = (
        dim_table.sort_values([*by, "_o", "group"], kind="stable").drop(columns="_o").reset_index(drop=True)
    )
    return (
        _display(index, profile.display_scale),
        _display(groups, profile.display_scale),
        _display(dim_table, profile.display_scale),
    )


def compute_index(
    responses: pd.DataFrame,
    questionnaires: Sequence[Questionnaire],
    profile: ScoringProfile,
    *,
    by: Sequence[str] = ("institution",),
    method: Method = "linearization",
    replicates: int = 500,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
    target: float | None = None,
    corrections: pd.DataFrame | None = None,
    min_share_answered: float | None = None,
    lonely_psu: LonelyPSU = "adjust",
) -> IndexResult:
    """The SPI-style index from a responses export, per ``by`` cell (institution, or institution × unit).

    Parameters
    ----------
    responses : DataFrame
        The wide export (see :func:`score_responses`); design columns ``weight``, ``stratum``, ``fpc``,
        ``open_access`` are used when present; without ``institution`` the campaign is one institution.
    questionnaires : sequence of Questionnaire
        The versions answered (matched by ``questionnaire_hash``, else by group).
    profile : ScoringProfile
        Group and dimension weights, categories, corrections, minimum n, small-cell threshold.
    by : sequence of str
        Reporting cells; ``group`` is always added for the sub-indices.
    method : {"linearization", "bootstrap"}
        Linearization with Welch–Satterthwaite df, or the full-pipeline Rao–Wu bootstrap (seeded).
    replicates, seed : int
    level : float
    target : float, optional
        Adds ``prob_at_least_target``: P(true index >= target).
    corrections : DataFrame, optional
        ``institution, rule, cases`` (see :func:`correction_points`); needs ``by=["institution"]``.
    min_share_answered : float, optional
        Overrides the profile's missing-data rule.
    lonely_psu : str
        Linearization rule for a stratum with one respondent (default ``adjust``, as R's option).

    Returns
    -------
    IndexResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from scoring.examples import tiny_profile, tiny_questionnaire
    >>> rng = np.random.default_rng(1)
    >>> n = 60
    >>> df = pd.DataFrame({"institution": "Kota A", "unit": rng.choice(["u1", "u2"], n),
    ...                    "group": np.repeat(["internal", "external"], n // 2), "weight": 2.0,
    ...                    "t1": rng.choice(list("2345"), n), "t2": rng.choice(list("345"), n),
    ...                    "b1": rng.choice(["n", "n", "n", "y"], n), "b2": rng.choice(["n", "dk"], n)})
    >>> qs = [tiny_questionnaire("internal"), tiny_questionnaire("external")]
    >>> r = compute_index(df, qs, tiny_profile(), target=74)
    >>> r.index[["institution", "estimate", "ci_low", "ci_high", "n", "missing_groups", "category"]].round(2)
      institution  estimate  ci_low  ci_high   n missing_groups category
    0      Kota A     81.91    76.6    87.21  60         expert  terjaga
    >>> bool(r.index["category_uncertain"].iloc[0]), round(float(r.index["prob_at_least_target"].iloc[0]), 3)
    (True, 0.998)
    """
    scored = score_responses(responses, questionnaires, profile, min_share_answered=min_share_answered)
    by = list(by)
    index, groups, dims = index_from_scores(
        scored.data,
        profile,
        scored.dimensions,
        by,
        method=method,
        replicates=replicates,
        seed=seed,
        level=level,
        target=target,
        corrections=corrections,
        lonely_psu=lonely_psu,
    )
    settings: dict[str, object] = {
        "profile": f"{profile.id} {profile.version}",
        "profile_hash": profile.content_hash,
        "questionnaires": {k: q.content_hash for k, q in scored.questionnaires.items()},
        "method": method,
        "replicates": replicates if method == "bootstrap" else None,
        "seed": seed if method == "bootstrap" else None,
        "level": level,
        "by": by,
        "target": target,
        "lonely_psu": lonely_psu,
    }
    return IndexResult(
        index=index,
        groups=groups,
        dimensions=dims,
        item_counts=scored.item_counts,
        settings=settings,
        scored=scored,
    )
