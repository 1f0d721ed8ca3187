"""Change between campaigns: the difference of two index tables as independent samples."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from scoring.intervals import t_interval

__all__ = ["campaign_difference"]


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
