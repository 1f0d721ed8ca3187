"""Instrument quality: Cronbach's alpha with its Feldt interval and corrected item–rest correlations.

Everything is computed from the item covariance matrix ``C`` (``k`` items):

* ``alpha = k / (k - 1) * (1 - trace(C) / sum(C))`` (R: ``psych::alpha(x)$total$raw_alpha``; Python:
  ``pingouin.cronbach_alpha``);
* Feldt's interval (Feldt, Woodruff & Salih 1987, as pingouin): ``1 - (1 - alpha) * F_{1-c/2}`` to
  ``1 - (1 - alpha) * F_{c/2}`` with ``F`` the quantiles of an F distribution on ``n - 1`` and
  ``(n - 1)(k - 1)`` degrees of freedom;
* the corrected item–rest correlation of item ``i`` (R: ``psych::alpha(x)$item.stats$r.drop``):
  ``sum_{j != i} C_ij / sqrt(C_ii * sum_{j,l != i} C_jl)``, the correlation of the item with the sum of the
  other items, and alpha if the item is dropped (``alpha.drop$raw_alpha``).

Missing data: ``nan_policy="listwise"`` (default, as pingouin) keeps the respondents who answered every
item; ``"pairwise"`` uses pairwise-complete covariances (R ``psych``'s default) with ``n`` the number of
respondents who answered at least one item. The reference values in the tests are R ``psych`` 2.2.9 on
R's ``attitude`` data.

Hand-written rather than imported: pingouin is not a runtime dependency of this project, and the item–rest
statistics need the same covariance matrix anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from questionnaires.model import Questionnaire

__all__ = ["Alpha", "cronbach_alpha", "dimension_reliability", "item_rest"]

NanPolicy = Literal["listwise", "pairwise"]


@dataclass(frozen=True)
class Alpha:
    """Cronbach's alpha with its Feldt confidence interval, ``n`` respondents and ``k`` items."""

    alpha: float
    ci_low: float
    ci_high: float
    n: int
    k: int


def _prepared(data: pd.DataFrame, nan_policy: NanPolicy) -> tuple[npt.NDArray[np.float64], int]:
    if nan_policy not in ("listwise", "pairwise"):
        raise ValueError(f"nan_policy must be 'listwise' or 'pairwise', not {nan_policy!r}")
    if data.shape[1] < 2:
        raise ValueError(f"reliability needs at least 2 items, got {data.shape[1]}")
    x = data.apply(pd.to_numeric, errors="coerce")
    if nan_policy == "listwise":
        x = x.dropna(axis=0, how="any")
        n = len(x)
        cov = (
            np.cov(x.to_numpy(dtype=np.float64), rowvar=False)
            if n > 1
            else np.full((x.shape[1],) * 2, np.nan)
        )
    else:
        x = x.dropna(axis=0, how="all")
        n = len(x)
        cov = x.cov().to_numpy(dtype=np.float64)  # pandas: pairwise-complete observations
    return np.asarray(cov, dtype=np.float64), n


def _alpha_from_cov(cov: npt.NDArray[np.float64]) -> float:
    k = cov.shape[0]
    total = cov.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(k / (k - 1) * (1.0 - np.trace(cov) / total))


def cronbach_alpha(data: pd.DataFrame, *, nan_policy: NanPolicy = "listwise", ci: float = 0.95) -> Alpha:
    """Cronbach's alpha of the columns of ``data`` (one column per item), with Feldt's CI.

    Parameters
    ----------
    data : DataFrame
        Respondents × items, numeric.
    nan_policy : {"listwise", "pairwise"}
    ci : float
        Confidence level.

    Returns
    -------
    Alpha

    Examples
    --------
    R's ``attitude`` data (30 × 7); R: ``psych::alpha(attitude)$total$raw_alpha`` = 0.8431428.

    >>> import pandas as pd
    >>> from pathlib import Path
    >>> here = Path(__file__).resolve().parents[1] / "tests" / "scoring" / "fixtures" / "index"
    >>> a = cronbach_alpha(pd.read_csv(here / "attitude.csv"))
    >>> round(a.alpha, 6), round(a.ci_low, 6), round(a.ci_high, 6), a.n, a.k
    (0.843143, 0.739376, 0.915773, 30, 7)
    """
    if not 0 < ci < 1:
        raise ValueError(f"ci must be between 0 and 1, not {ci}")
    cov, n = _prepared(data, nan_policy)
    k = cov.shape[0]
    alpha = _alpha_from_cov(cov)
    if n < 2 or not np.isfinite(alpha):
        return Alpha(alpha, float("nan"), float("nan"), n, k)
    dfn, dfd = n - 1, (n - 1) * (k - 1)
    lo = 1.0 - (1.0 - alpha) * float(stats.f.ppf(1 - (1 - ci) / 2, dfn, dfd))
    hi = 1.0 - (1.0 - alpha) * float(stats.f.ppf((1 - ci) / 2, dfn, dfd))
    return Alpha(alpha, lo, hi, n, k)


def item_rest(data: pd.DataFrame, *, nan_policy: NanPolicy = "listwise") -> pd.DataFrame:
    """Corrected item–rest correlation and alpha-if-dropped per item.

    Returns
    -------
    DataFrame
        Indexed by item: ``r_rest`` (R ``psych``: ``r.drop``), ``alpha_if_dropped`` (``alpha.drop$raw_alpha``)
        and ``n``.

    Examples
    --------
    >>> import pandas as pd
    >>> from pathlib import Path
    >>> here = Path(__file__).resolve().parents[1] / "tests" / "scoring" / "fixtures" / "index"
    >>> t = item_rest(pd.read_csv(here / "attitude.csv"))
    >>> t.loc["rating", ["r_rest", "alpha_if_dropped"]].round(6).tolist()
    [0.671262, 0.80976]
    >>> t.loc["critical", ["r_rest", "alpha_if_dropped"]].round(6).tolist()
    [0.265034, 0.863872]
    """
    cov, n = _prepared(data, nan_policy)
    k = cov.shape[0]
    row = cov.sum(axis=1)
    total = cov.sum()
    diag = np.diag(cov)
    rest_var = total - 2 * row + diag  # variance of the sum of the other items
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (row - diag) / np.sqrt(diag * rest_var)
        rest_trace = np.trace(cov) - diag
        drop = (k - 1) / (k - 2) * (1.0 - rest_trace / rest_var) if k > 2 else np.full(k, np.nan)
    return pd.DataFrame(
        {"r_rest": r, "alpha_if_dropped": drop, "n": n}, index=pd.Index(data.columns, name="item")
    )


def dimension_reliability(
    item_scores: pd.DataFrame,
    questionnaire: Questionnaire,
    *,
    nan_policy: NanPolicy = "listwise",
    ci: float = 0.95,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Alpha per dimension and item–rest statistics per item, on 0–100 item scores.

    Parameters
    ----------
    item_scores : DataFrame
        :attr:`scoring.recode.RecodedItems.scores` of one questionnaire version.
    questionnaire : Questionnaire
    nan_policy, ci
        As :func:`cronbach_alpha`. "Don't know" and unanswered items are missing, so listwise deletion keeps
        only the respondents who scored every item of the dimension.

    Returns
    -------
    (DataFrame, DataFrame)
        ``dimension, k, n, alpha, ci_low, ci_high`` (dimensions with fewer than two items are left out), and
        ``dimension, item, r_rest, alpha_if_dropped, n``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from scoring.examples import tiny_questionnaire
    >>> from scoring.recode import recode_items
    >>> rng = np.random.default_rng(0)
    >>> base = rng.integers(1, 6, 50)
    >>> near = np.clip(base + rng.integers(-1, 2, 50), 1, 5)
    >>> df = pd.DataFrame({"t1": base.astype(str), "t2": near.astype(str),
    ...                    "b1": rng.choice(["y", "n"], 50), "b2": rng.choice(["y", "n"], 50)})
    >>> q = tiny_questionnaire()
    >>> dims, items = dimension_reliability(recode_items(df, q).scores, q)
    >>> dims[["dimension", "k", "n"]]
                          dimension  k   n
    0                  transparansi  2  50
    1  integritas_pelaksanaan_tugas  2  50
    """
    members: dict[str, list[str]] = {}
    for item in questionnaire.scored_items:
        assert item.scoring is not None
        members.setdefault(item.scoring.dimension, []).append(item.id)
    dim_rows: list[dict[str, object]] = []
    item_frames: list[pd.DataFrame] = []
    for dim, ids in members.items():
        if len(ids) < 2:
            continue
        sub = item_scores[ids]
        a = cronbach_alpha(sub, nan_policy=nan_policy, ci=ci)
        dim_rows.append(
            {"dimension": dim, "k": a.k, "n": a.n, "alpha": a.alpha, "ci_low": a.ci_low, "ci_high": a.ci_high}
        )
        ir = item_rest(sub, nan_policy=nan_policy).reset_index()
        ir.insert(0, "dimension", dim)
        item_frames.append(ir)
    dims = pd.DataFrame(dim_rows, columns=["dimension", "k", "n", "alpha", "ci_low", "ci_high"])
    items = (
        pd.concat(item_frames, ignore_index=True)
        if item_frames
        else pd.DataFrame(columns=["dimension", "item", "r_rest", "alpha_if_dropped", "n"])
    )
    return dims, items
