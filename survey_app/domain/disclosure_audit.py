"""The audit of complementary suppression across sets: every identity between a run's published figures as
linear (in)equalities, and for every primary cell the range of values it can still take, by linear
programming.

:func:`survey_app.domain.disclosure.protect_tables` solves the sets (a)–(f) one at a time. A complementary
cell withheld in one set can still be recovered through another: a unit's withheld group cell through its
published dimension cells, then the small unit beside it through the institution's row. So after the sets,
every identity that holds in the scoring (:mod:`scoring.index`) is written down as an insider would (one
who knows every cell's exact ``n`` and every population weight, which is conservative), each published
figure is known only to ±0.05 (it is rounded to one decimal: :data:`ROUNDING`), every score and share lies
in 0–100, and for each primary cell the LP ``min x`` and ``max x`` (:func:`scipy.optimize.linprog`) give
what the published figures leave of it. Where that range is narrower than :data:`PROTECTION_WIDTH`, one
more cell is withheld: in the identity that binds the cell most (the largest duals of the two LPs), its
published cell with the fewest respondents, a unit's before the institution's (the headline figures) and
a member before the total; then the sets and the audit run again.

The identities (``W`` are the run's ``cell_weights``, the sum of a unit × group's design weights; ``w`` the
profile's group weights, renormalised over the groups a composite used; ``a`` its dimension weights):

* the institution's group cell is ``sum_u W_ug x_ug / sum_u W_ug`` over the units' group cells (exact: one
  weighted mean over the same respondents);
* a unit's index (and the institution's) is ``sum_g w_g x_g`` over the groups it used (exact: the composite;
  the institution's minus its correction points, which are public);
* a combined (``all``) dimension cell is ``sum_g w_g x_gd`` over the groups the engine published (exact);
* the institution's dimension cell of a group is ``sum_u W_ug (n_ugd / n_ug) x_ugd / ...`` (exact where the
  weights are equal within unit × group, as population weighting makes them; near otherwise);
* a group cell is ``sum_d a_d x_gd / sum_d a_d`` over its dimension cells: exact when every respondent has
  every dimension (every dimension cell has the group's ``n``), otherwise only near, within
  :data:`NEAR_SLACK` × the share of the group's respondents missing a dimension;
* question sets, separately per respondent group and question: see
  :mod:`survey_app.domain.disclosure_answers` (the per-answer means and the sum to 100 of each place's
  shares, solved in closed form).

Question sets are solved apart from the score tables (and from each other): they are many (36 units × 3
groups × ~60 questions × ~5 answers is ~30,000 cells, against ~1,200 for the score tables) and no identity
of the scoring links a question's shares to another question's or, except through a unit's complete
answers, to a score cell. What remains unmodelled is that item-to-dimension link (``docs/anonymity.md``,
"What the audit does not model").

The LP is solved per connected part: published cells enter as constants (their rounding interval), so only
withheld cells linked by an identity are solved together.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import linprog

#: The range (points of the 0–100 scale) a primary cell must keep given everything published: half the
#: scale, the rule :func:`survey_app.domain.disclosure.CellSet.covered` already applies to population
#: weights. A cell known only to lie somewhere in 50 points says nothing of one person's answers.
PROTECTION_WIDTH = 50.0
#: Every published figure is rounded to one decimal: the attacker knows it only to ±0.05.
ROUNDING = 0.05
#: How far a near identity may be off, per unit of the share of respondents it does not hold for.
NEAR_SLACK = 100.0
#: Numerical slack of an exact identity (and of the LP).
EXACT_SLACK = 1e-6
#: Bounds of every score and share.
LOW, HIGH = 0.0, 100.0

Cell = tuple[str, int]


@dataclass(frozen=True)
class Weights:
    """What the profile says about combining cells: the group weights of a composite and the dimension
    weights of a respondent's score (public: the profile is)."""

    groups: Mapping[str, float]
    dimensions: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Identity:
    """``sum_k coefficient_k x_k`` lies in ``[low, high]``; ``total`` is the published total of the
    identity, if it has one (the last to withhold)."""

    cells: tuple[Cell, ...]
    coefficients: tuple[float, ...]
    low: float
    high: float
    total: Cell | None = None


def _counts(frame: pd.DataFrame) -> npt.NDArray[np.int64]:
    """``n`` of every row of ``frame`` (0 where missing)."""
    return pd.to_numeric(frame["n"], errors="coerce").fillna(0).to_numpy(dtype=np.int64)


def _numbers(frame: pd.DataFrame, column: str) -> npt.NDArray[np.float64]:
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _texts(frame: pd.DataFrame, column: str) -> list[str]:
    return [str(v) for v in frame[column].tolist()]


def _mean(
    total: Cell, members: Sequence[tuple[Cell, float]], offset: float = 0.0, slack: float = 0.0
) -> Identity:
    """``x_total = sum w_k x_k / sum w_k + offset`` within ``slack``."""
    weight = sum(w for _, w in members)
    cells = (total, *(c for c, _ in members))
    coefficients = (1.0, *(-w / weight for _, w in members))
    slack += EXACT_SLACK
    return Identity(cells, coefficients, offset - slack, offset + slack, total)


def _rows(frame: pd.DataFrame, keys: list[str]) -> dict[tuple[str, ...], list[int]]:
    out: dict[tuple[str, ...], list[int]] = {}
    for position, values in enumerate(frame[keys].astype(str).itertuples(index=False, name=None)):
        out.setdefault(tuple(values), []).append(position)
    return out


def _cell_weight(weights: pd.DataFrame | None) -> dict[tuple[str, str], float]:
    if weights is None or weights.empty:
        return {}
    return {
        (str(u), str(g)): float(w)
        for u, g, w in weights[["unit", "group", "weight"]].itertuples(index=False, name=None)
    }


def _used(value: object) -> list[str]:
    return [g for g in value.split(",") if g] if isinstance(value, str) else []


def score_identities(
    raw: Mapping[str, pd.DataFrame], weights: pd.DataFrame | None, profile: Weights | None
) -> list[Identity]:
    """The identities between the score tables of a run (``raw``: the stored tables, row positions as in
    the published ones); see the module docstring."""
    out: list[Identity] = []
    groups = raw.get("groups")
    cell_weight = _cell_weight(weights)
    group_n: dict[tuple[str, str], int] = {}
    if groups is not None:
        group_n = dict(
            zip(
                zip(_texts(groups, "unit"), _texts(groups, "group"), strict=True),
                _counts(groups).tolist(),
                strict=True,
            )
        )

    def unit_weight(unit: str, group: str, n: int) -> float:
        full = group_n.get((unit, group), 0)
        if (unit, group) in cell_weight and full > 0:
            return cell_weight[(unit, group)] * n / full
        return float(n)

    # (a) the institution's group cells, and (e) its dimension cells per group, from the units'.
    for part, whole, keys in (
        ("groups", "overall_groups", ["group"]),
        ("dimensions", "overall_dimensions", ["group", "dimension"]),
    ):
        if part not in raw or whole not in raw:
            continue
        by_key = _rows(raw[part], keys)
        part_n, part_unit = _counts(raw[part]).tolist(), _texts(raw[part], "unit")
        for row, key in enumerate(raw[whole][keys].astype(str).itertuples(index=False, name=None)):
            if key[0] == "all":
                continue
            members = []
            for r in by_key.get(tuple(key), []):
                n = part_n[r]
                if n > 0:
                    members.append(((part, r), unit_weight(part_unit[r], key[0], n)))
            if members:
                out.append(_mean((whole, row), members))
    if profile is None:
        return out
    # (b) composites: a unit's index (and the institution's) over the groups it used.
    for index_name, group_name, where in (
        ("index", "groups", "unit"),
        ("overall", "overall_groups", "institution"),
    ):
        index, table = raw.get(index_name), raw.get(group_name)
        if index is None or table is None or "groups_used" not in index.columns:
            continue
        by_group = _rows(table, [where, "group"])
        estimates = _numbers(index, "estimate")
        uncorrected = _numbers(index, "uncorrected") if "uncorrected" in index.columns else None
        places, used_groups = _texts(index, where), index["groups_used"].tolist()
        for row in range(len(index)):
            used = _used(used_groups[row])
            place = places[row]
            members = [
                ((group_name, r), profile.groups.get(g, 0.0))
                for g in used
                for r in by_group.get((place, g), [])
            ]
            members = [m for m in members if m[1] > 0]
            if not members:
                continue
            offset = 0.0
            if uncorrected is not None and np.isfinite(uncorrected[row]) and np.isfinite(estimates[row]):
                offset = float(estimates[row] - uncorrected[row])
            out.append(_mean((index_name, row), members, offset))
    # (d) combined dimension cells over the groups the engine published, and the group cell from its
    # dimension cells.
    for name, group_name, where in (
        ("dimensions", "groups", "unit"),
        ("overall_dimensions", "overall_groups", "institution"),
    ):
        table = raw.get(name)
        if table is None or table.empty:
            continue
        parts = _rows(table, [where, "dimension"])
        group_of, finite = _texts(table, "group"), np.isfinite(_numbers(table, "estimate")).tolist()
        dim_n, dim_of = _counts(table).tolist(), _texts(table, "dimension")
        for rows in parts.values():
            combined = [r for r in rows if group_of[r] == "all"]
            members = [
                ((name, r), profile.groups.get(group_of[r], 0.0))
                for r in rows
                if group_of[r] != "all" and finite[r]
            ]
            members = [m for m in members if m[1] > 0]
            for total in combined:
                if members:
                    out.append(_mean((name, total), members))
        group_table = raw.get(group_name)
        if group_table is None or not profile.dimensions:
            continue
        by_cell = _rows(table, [where, "group"])
        group_counts = _counts(group_table).tolist()
        for row, (place, group) in enumerate(
            group_table[[where, "group"]].astype(str).itertuples(index=False, name=None)
        ):
            n = group_counts[row]
            cells = [r for r in by_cell.get((place, group), []) if dim_n[r] > 0]
            if n <= 0 or not cells:
                continue
            members = [((name, r), profile.dimensions.get(dim_of[r], 1.0)) for r in cells]
            missing = max(0.0, 1.0 - min(dim_n[r] for r in cells) / n)
            out.append(_mean((group_name, row), members, slack=NEAR_SLACK * missing))
    return out


@dataclass(frozen=True)
class Exposure:
    """A primary cell that the published figures pin to ``[low, high]``, and the cell to withhold next."""

    cell: Cell
    low: float
    high: float
    withhold: Cell | None


class View:
    """What is published of the tables so far: each cell's rounded estimate (``NaN`` if withheld) and
    ``n``, as arrays (the LP reads them cell by cell)."""

    def __init__(self, shown: Mapping[str, pd.DataFrame], hidden: set[Cell]) -> None:
        self.values: dict[str, npt.NDArray[np.float64]] = {}
        self.counts: dict[str, npt.NDArray[np.float64]] = {}
        self.hidden = hidden
        for name, frame in shown.items():
            estimate = pd.to_numeric(frame["estimate"], errors="coerce").to_numpy(
                dtype=np.float64, na_value=np.nan
            )
            values = np.round(estimate, 1)
            values[[r for t, r in hidden if t == name]] = np.nan
            self.values[name] = values
            self.counts[name] = (
                pd.to_numeric(frame["n"], errors="coerce").fillna(0).to_numpy(dtype=np.float64)
            )


def _value(view: View, cell: Cell) -> float | None:
    value = view.values[cell[0]][cell[1]]
    return None if np.isnan(value) else float(value)


def _components(identities: Sequence[Identity], hidden: set[Cell]) -> list[list[int]]:
    """Identities grouped by the withheld cells they link (union–find over withheld cells)."""
    parent: dict[Cell, Cell] = {}

    def find(c: Cell) -> Cell:
        while parent.setdefault(c, c) != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for identity in identities:
        cells = [c for c in identity.cells if c in hidden]
        for other in cells[1:]:
            parent[find(other)] = find(cells[0])
    parts: dict[Cell, list[int]] = {}
    for i, identity in enumerate(identities):
        cells = [c for c in identity.cells if c in hidden]
        if cells:
            parts.setdefault(find(cells[0]), []).append(i)
    return list(parts.values())


def _ranges(
    identities: Sequence[Identity], view: View, hidden: set[Cell], targets: Iterable[Cell]
) -> Iterator[tuple[Cell, tuple[float, float], npt.NDArray[np.float64]]]:
    """The LP range of each of ``targets`` given ``identities`` (one connected part), and how much each
    identity binds it (the sum of its duals' magnitudes at the two ends: the identities that pin it)."""
    variables = sorted({c for i in identities for c in i.cells if c in hidden})
    position = {c: k for k, c in enumerate(variables)}
    rows, upper = [], []
    for identity in identities:
        row = np.zeros(len(variables))
        low, high = identity.low, identity.high
        for cell, a in zip(identity.cells, identity.coefficients, strict=True):
            if cell in position:
                row[position[cell]] += a
                continue
            value = _value(view, cell)
            if value is None:  # a cell neither withheld nor shown (no estimate): free
                value_low, value_high = LOW, HIGH
            else:
                value_low, value_high = max(LOW, value - ROUNDING), min(HIGH, value + ROUNDING)
            low -= max(a * value_low, a * value_high)
            high -= min(a * value_low, a * value_high)
        rows += [row, -row]
        upper += [high, -low]
    a_ub, b_ub = np.array(rows), np.array(upper)
    for target in targets:
        if target not in position:
            continue
        c = np.zeros(len(variables))
        c[position[target]] = 1.0
        ends: list[float] = []
        binding = np.zeros(len(identities))
        for sign in (1.0, -1.0):
            result = linprog(sign * c, A_ub=a_ub, b_ub=b_ub, bounds=(LOW, HIGH), method="highs")
            # Infeasible only where a near identity is tighter than the data: then nothing is pinned by it.
            fun = result.fun if result.status == 0 else None
            ends.append(sign * float(fun) if fun is not None else (LOW if sign > 0 else HIGH))
            if fun is not None and getattr(result, "ineqlin", None) is not None:
                duals = np.abs(np.asarray(result.ineqlin.marginals, dtype=np.float64))
                binding += duals[0::2] + duals[1::2]
        yield target, (float(ends[0]), float(ends[1])), binding


def exposures(
    view: View,
    identities: Sequence[Identity],
    protected: Iterable[Cell],
    width: float = PROTECTION_WIDTH,
    memo: dict[frozenset[Cell], bool] | None = None,
) -> list[Exposure]:
    """The ``protected`` cells whose LP range is narrower than ``width``, one per connected part, each with
    the cell to withhold next. ``view`` is the tables as :func:`~survey_app.domain.disclosure.protect_tables`
    has them so far."""
    hidden = view.hidden
    wanted = protected if isinstance(protected, (set, frozenset)) else set(protected)
    out = []
    for part in _components(identities, hidden):
        chosen = [identities[i] for i in part]
        targets = sorted({c for i in chosen for c in i.cells if c in wanted})
        if not targets:
            continue
        # A part whose withheld cells are as they were when it passed still passes (published cells only
        # get withheld, which joins them to a part and so changes its key).
        key = frozenset(c for i in chosen for c in i.cells if c in hidden)
        if memo is not None and memo.get(key):
            continue
        exposed = None
        order = chosen
        if len(chosen) == 1:
            exposed = _single(chosen[0], view, hidden, targets, width)
        else:
            for cell, (low, high), binding in _ranges(chosen, view, hidden, targets):
                if high - low < width - EXACT_SLACK:
                    exposed = Exposure(cell, low, high, None)
                    # The identities that pin the cell first: one of their published cells is withheld.
                    ranked = sorted(range(len(chosen)), key=lambda i: -binding[i])
                    order = [chosen[i] for i in ranked if binding[i] > EXACT_SLACK] or chosen
                    break
        if exposed is None:
            if memo is not None:
                memo[key] = True
            continue
        out.append(Exposure(exposed.cell, exposed.low, exposed.high, _next(order, view, hidden)))
    return out


def _constant(identity: Identity, view: View, hidden: set[Cell]) -> tuple[float, float]:
    """``[low, high]`` of ``identity`` with its published cells moved to the other side."""
    low, high = identity.low, identity.high
    for cell, a in zip(identity.cells, identity.coefficients, strict=True):
        if cell in hidden:
            continue
        value = _value(view, cell)
        value_low, value_high = (
            (LOW, HIGH) if value is None else (max(LOW, value - ROUNDING), min(HIGH, value + ROUNDING))
        )
        low -= max(a * value_low, a * value_high)
        high -= min(a * value_low, a * value_high)
    return low, high


def _single(
    identity: Identity, view: View, hidden: set[Cell], targets: Sequence[Cell], width: float
) -> Exposure | None:
    """The LP of one identity in closed form: ``a_p x_p`` is what is left after the other withheld cells
    take any value in 0–100."""
    low, high = _constant(identity, view, hidden)
    terms = [(c, a) for c, a in zip(identity.cells, identity.coefficients, strict=True) if c in hidden]
    for target in targets:
        a_p = sum(a for c, a in terms if c == target)
        if a_p == 0:
            continue
        rest_low = sum(min(a * LOW, a * HIGH) for c, a in terms if c != target)
        rest_high = sum(max(a * LOW, a * HIGH) for c, a in terms if c != target)
        ends = sorted(((low - rest_high) / a_p, (high - rest_low) / a_p))
        x_low, x_high = max(LOW, ends[0]), min(HIGH, ends[1])
        if x_high - x_low < width - EXACT_SLACK:
            return Exposure(target, x_low, x_high, None)
    return None


def _next(identities: Sequence[Identity], view: View, hidden: set[Cell]) -> Cell | None:
    """The cell to withhold: in the first identity (they come most binding first) that still has a published
    cell, the published cell of a unit (before the institution's, which is the headline) with the fewest
    respondents, the total last."""
    for identity in identities:
        candidates = [
            (c[0].startswith("overall"), c == identity.total, float(view.counts[c[0]][c[1]]), c)
            for c in identity.cells
            if c not in hidden and _value(view, c) is not None
        ]
        if candidates:
            return min(candidates)[3]
    return None
