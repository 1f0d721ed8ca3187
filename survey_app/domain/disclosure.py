"""Disclosure control: the minimum cell size that applies to a campaign's results and every rule that
withholds a cell, used alike by the console, every download and the API.

The scoring engine marks cells ``suppressed`` when they have fewer than the profile's ``min_cell``
respondents (:func:`scoring.index.publication_rules`); a campaign may be stricter than its profile, and may
have become stricter after a run was computed. :func:`effective_min_cell` is the one answer to "which minimum
applied"; :func:`suppress` withholds the values of every cell under it (*primary* suppression), and
:func:`check_suppressed` is the writers' last line of defence.

Withholding the small cells is not enough: the institution row is computed from every respondent, so the
institution's score times its ``n`` minus the published units' gives a withheld unit's score. The rule here
(:func:`protect_tables`, *complementary* suppression) is:

    In every set of cells that adds up to a published total, the withheld cells that count in the total must
    be none, or at least two that together hold at least ``min_cell`` respondents. While they are not, the
    smallest published cell of the set is withheld too; when none is left, the total is. Where the total
    weights its cells by population (:mod:`scoring.index.weights`), the other withheld cells must also
    carry at least half the weight of each withheld cell under ``min_cell``, so that the subtraction still
    leaves that cell's score a range of at least half the 0-100 scale (a unit of 300 people with one
    respondent beside a unit of 80 would otherwise be known to within 27 points).

The sets are (a) per respondent group, the units' group cells and the institution's group cell
(``groups`` / ``overall_groups``); (b) the units' index cells and the institution's index (``index`` /
``overall``, a unit counting with all its respondents); (c) per unit, its group cells used in its index and
the index; (d) per unit and dimension, and for the institution per dimension, the groups' cells used in the
combined (``all``) cell and that cell; (e) per group (and ``all``) and dimension, the units' dimension cells
and the institution's (``dimensions`` / ``overall_dimensions``); (f) per group, question and answer, the
units' shares and the institution's (``questions`` / ``overall_questions``: all answers of a question have
the same ``n``, so the same cells are withheld for each).
A subtraction in any set then gives at best the combined score of two or more withheld cells with at least
``min_cell`` respondents between them. The rule is applied until no set changes, because withholding a cell
in one set can leave another set with a single withheld cell.
Solving the sets one at a time leaves attacks across sets (a unit's withheld group cell through its
published dimension cells, then a small unit through the institution's row). After the sets, the audit of
:mod:`survey_app.domain.disclosure_audit` writes every identity of the scoring down as linear (in)equalities
(with the rounding as ±0.05) and withholds more until the LP leaves every primary cell a range of at least
:data:`~survey_app.domain.disclosure_audit.PROTECTION_WIDTH` (half the 0–100 scale); the sets and the audit
then run again.

:func:`published_tables` is the one function every output reads: primary and complementary suppression, the
``n`` of a withheld cell replaced by ``n_below`` (``< min_cell``) or nothing, and every published figure
rounded to one decimal (:func:`round_figures`), which is all a 95% interval of a 0–100 score supports. The
stored run keeps the raw values. :func:`publication_blockers` is the rule for publishing a new run: every
cell that changed since a published run must have gained at least ``min_cell`` respondents, otherwise the
difference of the two runs is the score of the few who were added. See ``docs/anonymity.md``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey_app.domain.disclosure_answers import answer_exposures, question_identities
from survey_app.domain.disclosure_audit import View, Weights, exposures, score_identities
from survey_app.models import Campaign, ScoreRun

#: The numbers a suppressed cell must not show (with every ``*_display`` column: the same figures on the
#: profile's display scale). ``uncorrected``: the index before the correction cases are deducted. The
#: chance of reaching the target is one of them: with the interval it gives the estimate back.
VALUE_COLUMNS = ("estimate", "se", "ci_low", "ci_high", "df", "uncorrected", "prob_at_least_target")
#: The figures rounded for publication, and to how many decimals: a 95% interval of a 0–100 score is a few
#: points wide, so a second decimal is noise (and helps a subtraction).
ROUNDED_COLUMNS = ("estimate", "se", "ci_low", "ci_high", "df")
DECIMALS = 1
#: Probabilities (0–1) are shown as whole percentages.
PROBABILITY_COLUMNS = ("prob_at_least_target",)
PROBABILITY_DECIMALS = 2
#: Why a cell is withheld, in the ``suppression`` column of a published table.
PRIMARY = "primary"
COMPLEMENTARY = "complementary"
#: The tables disclosure control covers, and the columns that name a cell in each.
KEYS: dict[str, tuple[str, ...]] = {
    "overall": ("institution",),
    "overall_groups": ("institution", "group"),
    "overall_dimensions": ("institution", "group", "dimension"),
    "index": ("unit",),
    "groups": ("unit", "group"),
    "dimensions": ("unit", "group", "dimension"),
    "questions": ("unit", "group", "item", "answer"),
    "overall_questions": ("institution", "group", "item", "answer"),
}
#: The note of a withheld cell; the engine's own note gives the exact n, which is not to be published.
NOTES = {
    PRIMARY: "suppressed: fewer than {k} respondents",
    COMPLEMENTARY: "suppressed: withheld so that a smaller cell cannot be recomputed",
}


def value_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of ``frame`` that a withheld cell must not show (:data:`VALUE_COLUMNS`, ``*_display``)."""
    return [c for c in frame.columns if c in VALUE_COLUMNS or str(c).endswith("_display")]


def effective_min_cell(campaign: Campaign, run: ScoreRun | None = None) -> int:
    """The minimum cell size that applies to ``campaign`` (and to ``run``, one of its runs): the strictest of
    the campaign's scoring profile's, the campaign's own (as it is now, perhaps stricter than when the run was
    computed) and the one the run was computed with."""
    profile_min = int(json.loads(campaign.profile_json).get("min_cell", 5))
    run_min = run.parameters.get("metadata", {}).get("min_cell") if run is not None else None
    return max(profile_min, int(campaign.min_cell), int(run_min or 0))


def profile_weights(campaign: Campaign) -> Weights:
    """The group and dimension weights of ``campaign``'s scoring profile, with which the audit across sets
    (:mod:`survey_app.domain.disclosure_audit`) writes the composites down as an insider would."""
    profile = json.loads(campaign.profile_json)
    dimensions = {str(d["id"]): float(d.get("weight", 1.0)) for d in profile.get("dimensions", [])}
    return Weights({str(g): float(w) for g, w in profile.get("group_weights", {}).items()}, dimensions)


def suppress(frame: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """``frame`` with the values of suppressed or small cells removed, checked as the exports check.

    A cell is withheld where the scoring engine marked it ``suppressed`` or where its ``n`` is below
    ``min_cell``; its estimate, standard error, interval, degrees of freedom and category are removed and its
    ``suppressed`` flag set, so every output that shows the frame shows the same cells.

    >>> t = pd.DataFrame({"estimate": [80.0, 70.0], "n": [12, 7], "suppressed": [False, False]})
    >>> suppress(t, 10)
       estimate   n  suppressed
    0      80.0  12       False
    1       NaN   7        True
    """
    out = frame.copy()
    present = value_columns(out)
    for column in present:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
    hidden = out["suppressed"].astype(bool) | (pd.to_numeric(out["n"], errors="coerce") < min_cell)
    out.loc[hidden, present] = float("nan")
    if "category" in out.columns:
        out["category"] = out["category"].astype(object).where(~hidden, None)
        out["category_uncertain"] = out["category_uncertain"].astype(bool) & ~hidden
    out["suppressed"] = hidden
    check_suppressed(out, min_cell)
    return out


def check_suppressed(results: pd.DataFrame, min_cell: int | None, n_column: str = "n") -> None:
    """Refuse to export a row with fewer than ``min_cell`` respondents, or flagged ``suppressed``, that
    still shows numbers.

    Suppression is :func:`published_tables`' job; this is the last line of defence. Checked columns are the
    floating-point ones, except ``n`` and ``n_*`` counts.

    >>> check_suppressed(pd.DataFrame({"estimate": [70.0], "n": [3]}), 5)
    Traceback (most recent call last):
    ValueError: results: 1 row(s) with n < 5 still show values (0); suppress them before exporting
    """
    if min_cell is None or n_column not in results.columns:
        return
    small = pd.to_numeric(results[n_column], errors="coerce") < min_cell
    if "suppressed" in results.columns:
        small |= results["suppressed"].fillna(False).astype(bool)
    values = [
        c
        for c in results.columns
        if pd.api.types.is_float_dtype(results[c]) and not (c == n_column or str(c).startswith("n_"))
    ]
    leaking = small & results[values].notna().any(axis=1) if values else small & False
    if leaking.any():
        rows = ", ".join(str(i) for i in results.index[leaking][:10])
        raise ValueError(
            f"results: {int(leaking.sum())} row(s) with {n_column} < {min_cell} still show values ({rows}); "
            "suppress them before exporting"
        )


@dataclass(frozen=True)
class CellSet:
    """Cells that add up to a published ``total``: each cell is ``(table, row position)``, and ``counts``
    are the respondents each member brings to the total."""

    members: tuple[tuple[str, int], ...]
    counts: tuple[int, ...]
    total: tuple[str, int]
    #: How much each member weighs in the total (its weights' sum), where that is not its count.
    shares: tuple[float, ...] | None = None

    def covered(self, hidden: list[bool], min_cell: int) -> bool:
        """Whether the withheld members (``hidden``, by member) resist a subtraction from the total."""
        withheld = [i for i, (h, k) in enumerate(zip(hidden, self.counts, strict=True)) if h and k > 0]
        if not withheld:
            return True
        if len(withheld) < 2 or sum(self.counts[i] for i in withheld) < min_cell:
            return False
        if self.shares is None:
            return True
        weight = sum(self.shares[i] for i in withheld)
        return all(
            weight - self.shares[i] >= self.shares[i] / 2 for i in withheld if self.counts[i] < min_cell
        )


def _count(value: object) -> int:
    # Cell by cell over tens of thousands of question cells: no Series per value.
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0
    return 0 if math.isnan(number) else int(number)


def _positions(frame: pd.DataFrame, keys: list[str]) -> dict[tuple[str, ...], list[int]]:
    """Row positions of ``frame`` by the values of ``keys`` (as text)."""
    out: dict[tuple[str, ...], list[int]] = {}
    for position, values in enumerate(frame[keys].astype(str).itertuples(index=False, name=None)):
        out.setdefault(tuple(values), []).append(position)
    return out


def _members(
    name: str, frame: pd.DataFrame, rows: list[int]
) -> tuple[tuple[tuple[str, int], ...], tuple[int, ...]]:
    return tuple((name, r) for r in rows), tuple(_count(frame["n"].iloc[r]) for r in rows)


def _weight_of(weights: pd.DataFrame | None) -> dict[tuple[str, str], float]:
    if weights is None or weights.empty:
        return {}
    return {
        (str(u), str(g)): float(w)
        for u, g, w in weights[["unit", "group", "weight"]].itertuples(index=False, name=None)
    }


def cell_sets(tables: Mapping[str, pd.DataFrame], weights: pd.DataFrame | None = None) -> list[CellSet]:
    """The sets of cells with a total in a run's tables (the module docstring lists them); cells are named
    by row position.

    A member is a cell that counts in the total: every unit in the institution's rows, but in a unit's
    index only the groups it used, and in a combined dimension cell only the groups the engine published.
    ``weights`` (``unit, group, weight``: the sum of the design weights of each unit × group's scored
    respondents, the run's ``cell_weights``) gives the shares with which units count in the institution's
    rows; in the institution's index a unit's share is the sum over groups of its share of each group.
    """
    sets: list[CellSet] = []
    groups = tables.get("groups")
    index = tables.get("index")
    weight_of = _weight_of(weights)
    if groups is not None and "overall_groups" in tables:
        by_group = _positions(groups, ["group"])
        for row, group in enumerate(tables["overall_groups"]["group"].astype(str)):
            rows = by_group.get((group,), [])
            members, counts = _members("groups", groups, rows)
            shares = (
                tuple(weight_of.get((str(groups["unit"].iloc[r]), group), 0.0) for r in rows)
                if weight_of
                else None
            )
            sets.append(CellSet(members, counts, ("overall_groups", row), shares))
    if index is not None and "overall" in tables and len(tables["overall"]) == 1:
        # A unit brings all its respondents to the institution's index, also those of groups it left out
        # of its own (whose index n says 0).
        respondents = (
            pd.to_numeric(groups["n"], errors="coerce").groupby(groups["unit"].astype(str)).sum()
            if groups is not None
            else pd.Series(dtype="float64")
        )
        members = tuple(("index", r) for r in range(len(index)))
        counts = tuple(
            _count(respondents.get(str(unit), index["n"].iloc[r])) for r, unit in enumerate(index["unit"])
        )
        shares = None
        if weight_of:
            per_group: dict[str, float] = {}
            for (_, g), w in weight_of.items():
                per_group[g] = per_group.get(g, 0.0) + w
            shares = tuple(
                sum(
                    w / per_group[g] for (u, g), w in weight_of.items() if u == str(unit) and per_group[g] > 0
                )
                for unit in index["unit"]
            )
        sets.append(CellSet(members, counts, ("overall", 0), shares))
    if index is not None and groups is not None and "groups_used" in index.columns:
        by_unit_group = _positions(groups, ["unit", "group"])
        for row, (unit, used) in enumerate(zip(index["unit"].astype(str), index["groups_used"], strict=True)):
            names = [g for g in str(used).split(",") if g] if isinstance(used, str) else []
            rows = [r for g in names for r in by_unit_group.get((unit, g), [])]
            members, counts = _members("groups", groups, rows)
            sets.append(CellSet(members, counts, ("index", row)))
    for name, where in (("dimensions", "unit"), ("overall_dimensions", "institution")):
        dims = tables.get(name)
        if dims is not None and not dims.empty:
            published = dims["published"].fillna(False).astype(bool).to_numpy()
            combined = (dims["group"] == "all").to_numpy()
            parts = _positions(dims, [where, "dimension"])
            for rows in parts.values():
                totals = [r for r in rows if combined[r]]
                used = [r for r in rows if not combined[r] and published[r]]
                for total in totals:
                    members, counts = _members(name, dims, used)
                    sets.append(CellSet(members, counts, (name, total)))
    # The institution's cell of a dimension (per group, and combined) or of a question's answer is made of
    # the units' cells of the same dimension or answer.
    for part, whole, keys in (
        ("dimensions", "overall_dimensions", ["group", "dimension"]),
        ("questions", "overall_questions", ["group", "item", "answer"]),
    ):
        if part in tables and whole in tables and not tables[whole].empty:
            by_key = _positions(tables[part], keys)
            for row, key in enumerate(tables[whole][keys].astype(str).itertuples(index=False, name=None)):
                members, counts = _members(part, tables[part], by_key.get(tuple(key), []))
                sets.append(CellSet(members, counts, (whole, row)))
    return sets


def _withhold(frame: pd.DataFrame, rows: list[int], reason: str, min_cell: int) -> None:
    index = frame.index[rows]
    present = value_columns(frame)
    frame.loc[index, present] = float("nan")
    if "category" in frame.columns:
        frame.loc[index, "category"] = None
        frame.loc[index, "category_uncertain"] = False
    frame.loc[index, "suppressed"] = True
    frame.loc[index, "suppression"] = reason
    if "note" in frame.columns:
        frame.loc[index, "note"] = NOTES[reason].format(k=min_cell)


def _solve_sets(hidden: set[tuple[str, int]], sets: list[CellSet], min_cell: int) -> list[tuple[str, int]]:
    """The rule of the module docstring applied to every set until none changes: the cells it withholds
    (added to ``hidden``)."""
    added = []
    changed = True
    while changed:  # withholding a cell of one set may leave another set exposed
        changed = False
        for cells in sets:
            while cells.total not in hidden:
                # A withheld cell without respondents adds nothing to the total and needs no cover.
                if cells.covered([c in hidden for c in cells.members], min_cell):
                    break
                # The smallest published cell (the first of equals, so the choice is reproducible).
                shown = [
                    (k, i, c)
                    for i, (c, k) in enumerate(zip(cells.members, cells.counts, strict=True))
                    if c not in hidden
                ]
                pick = min(shown)[2] if shown else cells.total
                hidden.add(pick)
                added.append(pick)
                changed = True
    return added


def _answer_blocks(tables: Mapping[str, pd.DataFrame]) -> dict[tuple[str, int], list[tuple[str, int]]]:
    """Every cell of the question tables → the cells of all answers of its question in its place."""
    out: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for name in ("questions", "overall_questions"):
        if name not in tables:
            continue
        keys = [k for k in KEYS[name] if k != "answer"]
        for rows in _positions(tables[name], keys).values():
            block = [(name, r) for r in rows]
            for cell in block:
                out[cell] = block
    return out


def protect_tables(
    tables: Mapping[str, pd.DataFrame],
    min_cell: int,
    weights: pd.DataFrame | None = None,
    profile: Weights | None = None,
) -> dict[str, pd.DataFrame]:
    """Primary and complementary suppression of a run's tables (``table_of`` frames by name).

    Every table of :data:`KEYS` is passed through :func:`suppress`, then the rule of the module docstring is
    applied to every :func:`cell_sets` set until none changes. A ``suppression`` column says why a cell is
    withheld (:data:`PRIMARY`, :data:`COMPLEMENTARY`) or is empty; the note of a withheld cell no longer
    gives its exact ``n``. Other tables are returned as they are.

    Two units in one group, one of them too small: subtracting the published unit from the institution
    would give the small one, so the other is withheld too and only the institution is shown.

    >>> groups = pd.DataFrame({"unit": ["A", "B"], "group": "internal", "estimate": [70.0, 60.0],
    ...                        "n": [3, 12], "published": [False, True], "suppressed": [True, False]})
    >>> overall_groups = pd.DataFrame({"institution": ["K"], "group": ["internal"], "estimate": [62.0],
    ...                                "n": [15], "published": [True], "suppressed": [False]})
    >>> out = protect_tables({"groups": groups, "overall_groups": overall_groups}, 5)
    >>> out["groups"][["unit", "estimate", "suppressed", "suppression"]]
      unit  estimate  suppressed    suppression
    0    A       NaN        True        primary
    1    B       NaN        True  complementary
    >>> out["overall_groups"][["estimate", "suppression"]]
       estimate suppression
    0      62.0         NaN
    """
    out: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        if name not in KEYS:
            out[name] = frame
            continue
        table = suppress(frame.reset_index(drop=True), min_cell)
        table["suppression"] = pd.Series(None, index=table.index, dtype=object)
        # The engine's own "not published" cells show no number either, and are as exposed to a subtraction.
        hidden = table["suppressed"].copy()
        if "estimate" in table.columns:
            hidden |= table["estimate"].isna()
        table.loc[table["suppressed"], "suppression"] = PRIMARY
        if "note" in table.columns:
            table.loc[table["suppressed"], "note"] = NOTES[PRIMARY].format(k=min_cell)
        table["_hidden"] = hidden
        out[name] = table
    sets = cell_sets({n: t for n, t in out.items() if n in KEYS}, weights)
    withheld = {
        (name, int(r))
        for name, frame in out.items()
        if name in KEYS
        for r in np.flatnonzero(frame["_hidden"].to_numpy(dtype=bool))
    }
    added = _solve_sets(withheld, sets, min_cell)
    raw = {name: frame.reset_index(drop=True) for name, frame in tables.items() if name in KEYS}
    parts = [score_identities(raw, weights, profile), *question_identities(raw, weights)]
    protected = [
        (name, int(r))
        for name, frame in out.items()
        if name in KEYS
        for r in np.flatnonzero(
            (frame["suppression"] == PRIMARY).to_numpy(dtype=bool)
            & (pd.to_numeric(frame["n"], errors="coerce").fillna(0).to_numpy() > 0)
        )
    ]
    view = View({name: out[name] for name in KEYS if name in out}, withheld)
    memo: dict[frozenset[tuple[str, int]], bool] = {}
    protected_set = set(protected)
    # Each part's cells, and only parts with a primary cell: a part none of whose withheld cells changed
    # since it passed still passes.
    audited = [
        (ids, cells, answer_exposures if number else exposures)  # the question parts have a closed form
        for number, ids in enumerate(parts)
        for cells in [frozenset(c for i in ids for c in i.cells)]
        if cells & protected_set
    ]
    passed: set[tuple[int, frozenset[tuple[str, int]]]] = set()
    siblings = _answer_blocks(out)
    while True:  # the audit across sets: withhold more until no primary cell is pinned
        picks = set()
        for number, (ids, cells, audit) in enumerate(audited):
            key = (number, frozenset(cells & withheld))
            if key in passed:
                continue
            found = [e.withhold for e in audit(view, ids, protected_set, memo=memo) if e.withhold is not None]
            if found:
                picks.update(found)
            else:
                passed.add(key)
        if not picks:
            break
        for pick in sorted(picks):
            # A question's answers are withheld together: its shown shares and 100 would give one back.
            for cell in siblings.get(pick, [pick]):
                if cell not in withheld:
                    withheld.add(cell)
                    added.append(cell)
        added += _solve_sets(withheld, sets, min_cell)
        view = View({name: out[name] for name in KEYS if name in out}, withheld)
    for name in KEYS:
        if name in out:
            rows = sorted({r for table, r in added if table == name})
            if rows:
                _withhold(out[name], rows, COMPLEMENTARY, min_cell)
            out[name] = out[name].drop(columns="_hidden")
            check_suppressed(out[name], min_cell)
    return out


def round_figures(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its published figures rounded to :data:`DECIMALS` decimals (the stored run keeps
    them raw).

    >>> round_figures(pd.DataFrame({"estimate": [62.4567], "ci_low": [58.04], "n": [12]}))
       estimate  ci_low   n
    0      62.5    58.0  12
    """
    out = frame.copy()
    for column in out.columns:
        if column in ROUNDED_COLUMNS or str(column).endswith("_display"):
            out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64").round(DECIMALS)
        elif column in PROBABILITY_COLUMNS:
            out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
            out[column] = out[column].round(PROBABILITY_DECIMALS)
    return out


def mask_counts(frame: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """``frame`` with the ``n`` of withheld cells removed: a primary cell says only ``n_below`` (its ``n``
    is below that), a complementary one nothing (its ``n`` and the total's would give the smaller cell's).

    >>> t = pd.DataFrame({"n": [3, 12, 40], "suppression": ["primary", "complementary", None]})
    >>> mask_counts(t, 5)
          n    suppression  n_below
    0  <NA>        primary        5
    1  <NA>  complementary     <NA>
    2    40            NaN     <NA>
    """
    out = frame.copy()
    reason = out["suppression"] if "suppression" in out.columns else pd.Series(None, index=out.index)
    out["n"] = pd.to_numeric(out["n"], errors="coerce").astype("Int64").mask(reason.notna())
    out["n_below"] = pd.Series(min_cell, index=out.index, dtype="Int64").where(reason == PRIMARY)
    return out


def published_tables(
    tables: Mapping[str, pd.DataFrame],
    min_cell: int,
    weights: pd.DataFrame | None = None,
    profile: Weights | None = None,
) -> dict[str, pd.DataFrame]:
    """What every output shows of a run's tables: :func:`protect_tables` (with the run's ``cell_weights``),
    then :func:`mask_counts` and :func:`round_figures` on every table :data:`KEYS` names (others are
    returned as they are)."""
    protected = protect_tables(tables, min_cell, weights, profile)
    return {
        name: round_figures(mask_counts(frame, min_cell)) if name in KEYS else frame
        for name, frame in protected.items()
    }


@dataclass(frozen=True)
class Blocker:
    """A cell that changed between a published run and a new one without gaining ``min_cell``
    respondents."""

    table: str
    cell: tuple[str, ...]
    n_before: int
    n_now: int

    def describe(self) -> str:
        return f"{self.table} {' / '.join(self.cell)}: n {self.n_before} → {self.n_now}"


def _shown_cells(
    tables: Mapping[str, pd.DataFrame],
    min_cell: int,
    weights: pd.DataFrame | None = None,
    profile: Weights | None = None,
) -> dict[tuple[str, tuple[str, ...]], int]:
    """The ``n`` of every cell that ``tables`` show (not withheld), by table and cell."""
    protected = protect_tables({n: t for n, t in tables.items() if n in KEYS}, min_cell, weights, profile)
    cells: dict[tuple[str, tuple[str, ...]], int] = {}
    for name, frame in protected.items():
        keys = [k for k in KEYS[name] if k in frame.columns]
        shown = ~frame["suppressed"]
        if "answer" in frame.columns:
            # A question cell that is not published shows no share, so nothing of its answers can be
            # taken from the difference of two runs.
            shown &= frame["estimate"].notna()
        for record in frame.loc[shown].to_dict(orient="records"):
            label = tuple(str(record[k]) for k in keys)
            cells[(name, label)] = _count(record.get("n"))
    return cells


def publication_blockers(
    new: Mapping[str, pd.DataFrame],
    published: Mapping[str, pd.DataFrame],
    min_cell: int,
    weights: tuple[pd.DataFrame | None, pd.DataFrame | None] = (None, None),
    profile: Weights | None = None,
) -> list[Blocker]:
    """The cells that keep run ``new`` from being published beside run ``published`` (tables by name).

    A cell shown by both runs whose respondents changed (its ``n`` differs: responses are stored whole and
    never edited) must have gained at least ``min_cell`` of them; otherwise the difference of the two runs is
    the score of the few added (one response apart, the difference of the institution rows is that
    respondent's score). A cell whose ``n`` is the same may still move a little, through the steps the engine
    computes over the whole campaign; that movement is no one respondent's answer, and is not a change here.
    ``weights`` are the two runs' ``cell_weights`` (new, published), as :func:`protect_tables` takes them.

    >>> def run(estimate, n):
    ...     return {"overall": pd.DataFrame({"institution": ["K"], "estimate": [estimate], "n": [n],
    ...                                      "published": [True], "suppressed": [False]})}
    >>> [b.describe() for b in publication_blockers(run(65.1, 46), run(64.8, 45), 5)]
    ['overall K: n 45 → 46']
    >>> publication_blockers(run(66.0, 50), run(64.8, 45), 5)
    []
    """
    before = _shown_cells(published, min_cell, weights[1], profile)
    blockers = []
    for key, n_now in _shown_cells(new, min_cell, weights[0], profile).items():
        if key not in before:
            continue
        n_before = before[key]
        if n_now != n_before and n_now - n_before < min_cell:
            blockers.append(Blocker(key[0], key[1], n_before, n_now))
    return blockers
