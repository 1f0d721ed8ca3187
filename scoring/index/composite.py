"""The composite index: group estimates combined with the profile's group weights.

``sum_g w_g x_g`` with the weights renormalised over the groups present, ``SE = sqrt(sum_g w_g^2 se_g^2)``
(groups are independent samples) and Welch–Satterthwaite degrees of freedom
``df = (sum_g v_g)^2 / sum_g (v_g^2 / df_g)`` with ``v_g = w_g^2 se_g^2``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from scoring.design import FloatArray, IntArray
from scoring.index.groups import replicate_sd
from scoring.intervals import t_interval

__all__ = ["combine_groups"]


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
        var = replicate_sd(np.where(broken, np.nan, reps)) ** 2
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
