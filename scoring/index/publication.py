"""Publication rules: minimum respondents per group and small-cell suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ESTIMATE_COLUMNS", "publication_rules"]

ESTIMATE_COLUMNS = ("estimate", "se", "ci_low", "ci_high", "df")


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
