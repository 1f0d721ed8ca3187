"""How an index reads against the profile's cut-offs: its category, and the chance of reaching a target."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from questionnaires.profile import Category, ScoringProfile
from scoring.design import FloatArray

__all__ = ["add_categories", "category_ids", "probability_at_least"]


def category_ids(categories: Sequence[Category], values: FloatArray) -> npt.NDArray[np.object_]:
    """The id of the band holding each value: :meth:`ScoringProfile.category_of` for a whole array.

    Parameters
    ----------
    categories : sequence of Category
        The profile's bands, lowest first (``ScoringProfile.categories``); each is ``[lower, upper)``, the
        last closed above.
    values : ndarray
        Index values on the 0–100 scale, any shape.

    Returns
    -------
    ndarray of object
        Shaped like ``values``: a category id, or ``None`` outside every band and for NaN.
    """
    out = np.full(values.shape, None, dtype=object)
    for i, cat in enumerate(categories):
        last = i == len(categories) - 1
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
    cat, c_lo, c_hi = category_ids(profile.categories, np.stack([est, lo, hi]))
    out["category"] = pd.array(cat, dtype="string")
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
