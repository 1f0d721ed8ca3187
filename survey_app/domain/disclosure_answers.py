"""The audit of the question tables: per respondent group and question, every identity between the answer
shares of the units and of the institution, and the range each withheld share keeps, in closed form.

The identities (:func:`question_identities`), all exact:

* per answer, the institution's share is the units' shares weighted by ``W_ug n_item / n_ug`` (the design
  weight of the unit × group's respondents to the question; ``n_item`` where the run has no cell weights);
* per place (a unit or the institution), the shares of a question's answers add up to 100: every
  respondent who answered gave one answer, and the table lists every answer code.

Not modelled, and why that is sound: (1) identities between questions (none holds: each question has its
own respondents); (2) the link from a unit's answers to its dimension scores (a score is a function of the
answers, but not a linear one of the published shares: item scores are recoded, averaged per respondent,
then weighted; an LP over shares cannot use it) — ``docs/anonymity.md``, "What the audit does not model";
(3) rounding of ``n`` (``n`` is published exactly or not at all; the attacker is assumed to know every true
``n`` and weight, which only widens what he can do). Every other relation of the published shares follows
from the two identities above and the bounds 0–100.

**The closed form.** Writing ``y_pa = w_p x_pa`` for the withheld places ``p`` (weight ``w_p``) and answers
``a``, a part of withheld cells is a transportation problem: place ``p`` sends exactly ``s_p = 100 w_p``,
answer ``a`` receives ``S_a`` in ``[L_a, H_a]`` (the institution's share, less the published units', with
the rounding of each as ±0.05). By the supply–demand theorem (Gale, Hoffman), fixing ``y_qb = t`` leaves a
feasible flow exactly when ``t <= min(s_q, H_b, S - sum_{a != b} max(L_a, 0))`` and
``t >= max(0, L_b - (S - s_q), s_q - sum_{a != b} H_a)`` with ``S = sum_p s_p``; without the sum to 100
only the first two terms of each remain. With exact figures the third terms equal the second (``S`` is the
sum of the ``S_a``), so as long as a place's answers are withheld together (``protect_tables`` sees to it),
the sum to 100 narrows a share only by what the rounding of the other answers' figures hides; it is
modelled all the same, at no cost. So the LP's range of every withheld share needs no LP at all
(``tests/domain/test_disclosure_answers.py`` checks it against :func:`scipy.optimize.linprog`). A part that
is not of this form (the institution's question withheld too, a place with an answer missing) goes to the
general LP of :func:`survey_app.domain.disclosure_audit.exposures`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from survey_app.domain.disclosure_audit import (
    EXACT_SLACK,
    HIGH,
    LOW,
    PROTECTION_WIDTH,
    Cell,
    Exposure,
    Identity,
    View,
    _cell_weight,
    _components,
    _constant,
    _counts,
    _mean,
    _next,
    _rows,
    _texts,
    exposures,
)


def question_identities(
    raw: Mapping[str, pd.DataFrame], weights: pd.DataFrame | None
) -> list[list[Identity]]:
    """The identities of the question tables, one list per respondent group and question (solved apart)."""
    units, whole = raw.get("questions"), raw.get("overall_questions")
    if units is None or whole is None or units.empty:
        return []
    cell_weight = _cell_weight(weights)
    group_n: dict[tuple[str, str], int] = {}
    if "groups" in raw:
        groups = raw["groups"]
        group_n = dict(
            zip(
                zip(_texts(groups, "unit"), _texts(groups, "group"), strict=True),
                _counts(groups).tolist(),
                strict=True,
            )
        )
    by_answer = _rows(units, ["group", "item", "answer"])
    unit_n, unit_of = _counts(units).tolist(), _texts(units, "unit")
    out: dict[tuple[str, str], list[Identity]] = {}
    for row, (group, item, answer) in enumerate(
        whole[["group", "item", "answer"]].astype(str).itertuples(index=False, name=None)
    ):
        members = []
        for r in by_answer.get((group, item, answer), []):
            n, unit = unit_n[r], unit_of[r]
            full = group_n.get((unit, group), 0)
            if n > 0:
                w = (
                    cell_weight[(unit, group)] * n / full
                    if (unit, group) in cell_weight and full
                    else float(n)
                )
                members.append((("questions", r), w))
        if members:
            out.setdefault((group, item), []).append(_mean(("overall_questions", row), members))
    # Every place's shares of one question add up to 100 (each respondent who answered gave one answer, and
    # the table lists every answer code): the identity that, with three or more withheld units, the
    # per-answer means alone leave open.
    for name, where in (("questions", "unit"), ("overall_questions", "institution")):
        table = units if name == "questions" else whole
        counts = _counts(table).tolist()
        for (_place, group, item), rows in _rows(table, [where, "group", "item"]).items():
            if (group, item) in out and counts[rows[0]] > 0 and len(rows) > 1:
                out[(group, item)].append(_sum_to_100([(name, r) for r in rows]))
    return list(out.values())


def _sum_to_100(cells: Sequence[Cell]) -> Identity:
    """``sum_k x_k = 100``: the shares of one question's answers in one place."""
    return Identity(
        tuple(cells),
        tuple(1.0 for _ in cells),
        HIGH - EXACT_SLACK * len(cells),
        HIGH + EXACT_SLACK * len(cells),
    )


def part_ranges(
    identities: Sequence[Identity], hidden: set[Cell], view: View, targets: Iterable[Cell]
) -> dict[Cell, tuple[float, float, Identity]] | None:
    """The range of each of ``targets`` in one connected part of question identities, in closed form (the
    module docstring), with the answer's own identity; ``None`` if the part is not of that form."""
    sums = [i for i in identities if i.total is None]
    means = [i for i in identities if i.total is not None]
    place_of: dict[Cell, int] = {}
    for k, identity in enumerate(sums):
        for cell in identity.cells:
            if cell not in hidden:
                return None  # a place with some answers shown: not the blocks protect_tables leaves
            place_of[cell] = k
    weight: dict[Cell, float] = {}
    answers: list[tuple[Identity, float, float, list[Cell]]] = []
    for identity in means:
        if identity.total in hidden:
            return None
        low, high = _constant(identity, view, hidden)
        terms = [(c, a) for c, a in zip(identity.cells, identity.coefficients, strict=True) if c in hidden]
        if any(a >= 0 for _, a in terms):
            return None
        weight.update((c, -a) for c, a in terms)
        # sum_p a_p x_p in [low, high] with a_p = -w_p: S = sum_p w_p x_p in [-high, -low].
        answers.append((identity, -high, -low, [c for c, _ in terms]))
    if set(weight) != set(place_of):
        return None
    answer_of = {c: j for j, (_, _, _, cells) in enumerate(answers) for c in cells}
    supply: dict[int, float] = {}
    for cell, k in place_of.items():
        # Every place sends to every answer, with one weight (a question's n is the same for its answers).
        if (
            len(sums[k].cells) != len(answers)
            or abs(supply.setdefault(k, weight[cell]) - weight[cell]) > 1e-9
        ):
            return None
    total = HIGH * sum(supply.values())
    lows = [max(low, 0.0) for _, low, _, _ in answers]
    highs = [high for _, _, high, _ in answers]
    out = {}
    for target in targets:
        if target not in place_of:
            continue
        j, w = answer_of[target], weight[target]
        s_q = HIGH * supply[place_of[target]]
        low = max(0.0, answers[j][1] - (total - s_q), s_q - (sum(highs) - highs[j]))
        high = min(s_q, highs[j], total - (sum(lows) - lows[j]))
        if low > high + EXACT_SLACK:  # the data tighter than the identities (rounding): nothing pinned
            low, high = 0.0, s_q
        out[target] = (max(LOW, low / w), min(HIGH, high / w), answers[j][0])
    return out


def answer_exposures(
    view: View,
    identities: Sequence[Identity],
    protected: set[Cell],
    width: float = PROTECTION_WIDTH,
    memo: dict[frozenset[Cell], bool] | None = None,
) -> list[Exposure]:
    """:func:`survey_app.domain.disclosure_audit.exposures` for the identities of one question, in closed
    form where a part allows it."""
    hidden = view.hidden
    out: list[Exposure] = []
    rest: list[Identity] = []
    for part in _components(identities, hidden):
        chosen = [identities[i] for i in part]
        targets = sorted({c for i in chosen for c in i.cells if c in protected})
        if not targets:
            continue
        key = frozenset(c for i in chosen for c in i.cells if c in hidden)
        if memo is not None and memo.get(key):
            continue
        ranges = part_ranges(chosen, hidden, view, targets)
        if ranges is None:
            rest += chosen
            continue
        exposed = next(((c, r) for c, r in sorted(ranges.items()) if r[1] - r[0] < width - EXACT_SLACK), None)
        if exposed is None:
            if memo is not None:
                memo[key] = True
            continue
        cell, (low, high, own) = exposed
        # The answer's own identity first: one of its published units (the institution last) is withheld.
        order = [own, *(i for i in chosen if i is not own and i.total is not None)]
        out.append(Exposure(cell, low, high, _next(order, view, hidden)))
    if rest:
        out += exposures(view, rest, protected, width, memo)
    return out
