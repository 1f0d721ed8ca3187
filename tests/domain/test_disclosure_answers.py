"""The closed form of the question audit (:func:`survey_app.domain.disclosure_answers.part_ranges`) gives the
LP's range of every withheld share, with the sum to 100 of each place's answers modelled."""

from __future__ import annotations

import numpy as np
import pandas as pd

from survey_app.domain.disclosure_answers import _sum_to_100, part_ranges
from survey_app.domain.disclosure_audit import View, _mean, _ranges


def _instance(
    rng: np.random.Generator, withheld: int, shown: int, answers: int
) -> tuple[list, set, View, list]:  # type: ignore[type-arg]
    """One question: ``withheld + shown`` units and the institution, ``answers`` answers; true shares drawn,
    the shown units' and the institution's rounded to one decimal."""
    units = withheld + shown
    weights = rng.integers(1, 60, size=units).astype(float)
    shares = np.vstack([rng.dirichlet(np.full(answers, 0.4)) * 100 for _ in range(units)])
    institution = weights @ shares / weights.sum()
    rows = [(u, a) for u in range(units) for a in range(answers)]
    questions = pd.DataFrame(
        {"estimate": [shares[u, a] for u, a in rows], "n": [weights[u] for u, _ in rows]}
    )
    overall = pd.DataFrame({"estimate": institution, "n": weights.sum()})
    hidden = {("questions", k) for k, (u, _) in enumerate(rows) if u < withheld}
    view = View({"questions": questions, "overall_questions": overall}, hidden)
    identities = [
        _mean(
            ("overall_questions", a),
            [(("questions", k), weights[u]) for k, (u, b) in enumerate(rows) if b == a],
        )
        for a in range(answers)
    ]
    identities += [
        _sum_to_100([("questions", k) for k, (v, _) in enumerate(rows) if v == u]) for u in range(units)
    ]
    targets = sorted(hidden)
    return identities, hidden, view, targets


def test_the_closed_form_is_the_lp() -> None:
    rng = np.random.default_rng(12)
    compared = 0
    for _ in range(40):
        withheld, shown, answers = (int(rng.integers(2, 5)), int(rng.integers(0, 3)), int(rng.integers(2, 6)))
        identities, hidden, view, targets = _instance(rng, withheld, shown, answers)
        relevant = [i for i in identities if any(c in hidden for c in i.cells)]
        closed = part_ranges(relevant, hidden, view, targets)
        assert closed is not None
        # Equal to the LP's but for the LP's slack of 1e-6 per identity (the closed form is the tighter,
        # so the safer, of the two).
        for cell, (low, high), _binding in _ranges(relevant, view, hidden, targets):
            assert abs(closed[cell][0] - low) < 1e-3, (cell, closed[cell], low, high)
            assert abs(closed[cell][1] - high) < 1e-3, (cell, closed[cell], low, high)
            compared += 1
    assert compared > 200
