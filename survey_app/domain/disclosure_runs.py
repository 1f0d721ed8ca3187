"""The change gate between runs of one campaign, applied to every run that is viewed or downloaded.

Analysts and admins compute runs and read them before they are published, so two unpublished runs one
response apart give that person's score by difference, as two published ones would
(:func:`survey_app.domain.disclosure.publication_blockers` guards only publishing). So a cell of a run is
shown only if, against every earlier run of the campaign that could show it, its ``n`` is the same or has
grown by at least ``min_cell``; otherwise it is withheld (:data:`CHANGED`), with the earlier run named.

"Could show it" is taken broadly, and so conservatively: an earlier run's cell counts as shown when the
engine published it with at least ``min_cell`` respondents, whether or not complementary suppression or
this gate withheld it there (working those out for every earlier run would cost seconds per run).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from survey_app.domain.disclosure import KEYS, value_columns

#: Why a cell is withheld, in the ``suppression`` column: it changed too little since an earlier run.
CHANGED = "changed"
NOTE = "withheld: changed by fewer than {k} respondents since run #{run}"


def _counts(frame: pd.DataFrame, name: str, min_cell: int) -> dict[tuple[str, ...], int]:
    """``n`` of every cell of ``frame`` (a stored table) that could be shown, by its keys."""
    keys = [k for k in KEYS[name] if k in frame.columns]
    n = pd.to_numeric(frame["n"], errors="coerce").fillna(0)
    shown = (n >= min_cell) & pd.to_numeric(frame["estimate"], errors="coerce").notna()
    if "suppressed" in frame.columns:
        shown &= ~frame["suppressed"].fillna(False).astype(bool)
    labels = frame.loc[shown, keys].astype(str).itertuples(index=False, name=None)
    return dict(zip(labels, n.loc[shown].astype(int), strict=True))


def withhold_changed(
    shown: Mapping[str, pd.DataFrame],
    raw: Mapping[str, pd.DataFrame],
    earlier: Sequence[tuple[int, Mapping[str, pd.DataFrame]]],
    min_cell: int,
) -> dict[str, pd.DataFrame]:
    """``shown`` (a run's published tables) with every cell withheld whose ``n`` (from ``raw``, the run's
    stored tables, same rows) changed by fewer than ``min_cell`` since one of the ``earlier`` runs
    (``(run id, stored tables)``, oldest first) that could show it. The withheld cell's ``n`` is removed and
    ``changed_since`` names the earlier run."""
    out = dict(shown)
    for name, frame in shown.items():
        if name not in KEYS or name not in raw or frame.empty:
            continue
        keys = [k for k in KEYS[name] if k in frame.columns]
        n_now = pd.to_numeric(raw[name]["n"], errors="coerce").fillna(0).astype(int).to_numpy()
        labels = list(raw[name][keys].astype(str).itertuples(index=False, name=None))
        since: dict[int, int] = {}
        for run_id, tables in earlier:
            if name not in tables:
                continue
            before = _counts(tables[name], name, min_cell)
            for row, label in enumerate(labels):
                n_before = before.get(label)
                if n_before is not None and n_now[row] != n_before and n_now[row] - n_before < min_cell:
                    since.setdefault(row, run_id)
        rows = [r for r in since if r < len(frame) and not bool(frame["suppressed"].iloc[r])]
        if not rows:
            continue
        table = frame.copy()
        index = table.index[rows]
        table.loc[index, value_columns(table)] = float("nan")
        if "category" in table.columns:
            table.loc[index, "category"] = None
            table.loc[index, "category_uncertain"] = False
        table.loc[index, "suppressed"] = True
        table.loc[index, "suppression"] = CHANGED
        table["changed_since"] = pd.Series(pd.NA, index=table.index, dtype="Int64")
        table.loc[index, "changed_since"] = [since[r] for r in rows]
        table["n"] = pd.to_numeric(table["n"], errors="coerce").astype("Int64")
        table.loc[index, "n"] = pd.NA
        if "note" in table.columns:
            table.loc[index, "note"] = [NOTE.format(k=min_cell, run=since[r]) for r in rows]
        out[name] = table
    return out
