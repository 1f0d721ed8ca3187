"""Disclosure control on a run's tables: complementary suppression against the subtraction attack, ``n`` of a
withheld cell only as ``< min_cell``, rounding, and the publishing gate against the difference attack.

:func:`subtraction_bounds` is the attack of issue 12 ("why" 3): the institution's score times its ``n`` minus
the published cells gives the withheld ones. The console, download and API tests use it on what they show.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import pytest

from survey_app.domain.disclosure import (
    COMPLEMENTARY,
    PRIMARY,
    cell_sets,
    publication_blockers,
    published_tables,
)

MIN_CELL = 5


def subtraction_bounds(
    total: float,
    total_n: float,
    shown: Mapping[str, tuple[float, float]],
    withheld: Mapping[str, float],
) -> dict[str, tuple[float, float]]:
    """What an attacker can say of each withheld cell's score from a total and the cells shown beside it.

    ``shown`` maps a cell to its published (estimate, n); ``withheld`` maps each withheld cell to its true
    ``n``, which is more than is published (the strongest attacker: they counted the responses per unit).
    Scores lie in 0–100, so a cell withheld beside another keeps the range the other's score leaves open.
    Where the total weights its cells by population, ``n`` stands for each cell's weight (the sum of its
    respondents' design weights) and ``total_n`` for the total's.
    """
    rest = total * total_n - sum(x * n for x, n in shown.values())
    bounds = {}
    for cell, n in withheld.items():
        if n == 0:
            continue
        others = sum(m for c, m in withheld.items() if c != cell)
        low, high = (rest - 100 * others) / n, rest / n
        bounds[cell] = (max(0.0, low), min(100.0, high))
    return bounds


def _state(n: list[int], estimate: list[float]) -> dict[str, object]:
    small = [k < MIN_CELL for k in n]
    return {
        "estimate": [float("nan") if s else e for s, e in zip(small, estimate, strict=True)],
        "se": [float("nan") if s else 1.234 for s in small],
        "ci_low": [float("nan") if s else e - 2.46 for s, e in zip(small, estimate, strict=True)],
        "ci_high": [float("nan") if s else e + 2.46 for s, e in zip(small, estimate, strict=True)],
        "df": [float(k - 1) for k in n],
        "n": n,
        "published": [not s for s in small],
        "suppressed": small,
        "note": [
            f"suppressed: fewer than 5 respondents (n={k})" if s else ""
            for s, k in zip(small, n, strict=True)
        ],
    }


def run_tables() -> dict[str, pd.DataFrame]:
    """An institution of three units: DINKES has one respondent in each group (true score 62.5 / 50.0),
    INSP and SETDA are large; the institution rows include DINKES, as the engine computes them."""
    units = ["DINKES", "INSP", "SETDA"]
    n = {"DINKES": 1, "INSP": 9, "SETDA": 30}
    true = {("DINKES", "internal"): 62.5, ("DINKES", "external"): 50.0}
    true |= {("INSP", "internal"): 71.23, ("INSP", "external"): 64.87}
    true |= {("SETDA", "internal"): 75.04, ("SETDA", "external"): 68.31}
    rows = [(u, g) for u in units for g in ("external", "internal")]
    groups = pd.DataFrame(
        {
            "institution": "KOTA",
            "unit": [u for u, _ in rows],
            "group": [g for _, g in rows],
            **_state([n[u] for u, _ in rows], [true[r] for r in rows]),
        }
    )
    per_group = {
        g: sum(true[(u, g)] * n[u] for u in units) / sum(n.values()) for g in ("external", "internal")
    }
    overall_groups = pd.DataFrame(
        {
            "institution": "KOTA",
            "group": ["external", "internal"],
            **_state([40, 40], [per_group["external"], per_group["internal"]]),
        }
    )
    index_n = [0, 18, 60]  # DINKES's groups are too small, so its index uses none
    unit_index = [float("nan")] + [(true[(u, "internal")] + true[(u, "external")]) / 2 for u in units[1:]]
    index = pd.DataFrame(
        {
            "institution": "KOTA",
            "unit": units,
            **_state(index_n, unit_index),
            "groups_used": ["", "external,internal", "external,internal"],
            "category": [None, "rentan", "terjaga"],
            "category_uncertain": [False, False, False],
        }
    )
    overall = pd.DataFrame(
        {
            "institution": ["KOTA"],
            **_state([80], [(per_group["internal"] + per_group["external"]) / 2]),
            "groups_used": ["external,internal"],
            "category": ["rentan"],
            "category_uncertain": [False],
        }
    )
    return {"groups": groups, "overall_groups": overall_groups, "index": index, "overall": overall}


def test_every_withheld_cell_resists_the_subtraction() -> None:
    raw = run_tables()
    shown = published_tables(raw, MIN_CELL)
    true_n = raw["groups"].set_index(["unit", "group"])["n"]
    for group in ("external", "internal"):
        cells = shown["groups"].loc[shown["groups"]["group"] == group].set_index("unit")
        total = shown["overall_groups"].set_index("group").loc[group]
        published = {u: (r["estimate"], int(r["n"])) for u, r in cells.iterrows() if not r["suppressed"]}
        withheld = {u: int(true_n[(u, group)]) for u, r in cells.iterrows() if r["suppressed"]}
        assert "DINKES" in withheld
        bounds = subtraction_bounds(total["estimate"], int(total["n"]), published, withheld)
        for unit, (low, high) in bounds.items():
            # A small cell's score is not narrowed at all; a complementary (large) cell's only by what the
            # small one's 0–100 range allows, which is no secret: it has at least min_cell respondents.
            if withheld[unit] < MIN_CELL:
                assert high - low >= 50, (group, unit, low, high)
            else:
                assert high - low > 0, (group, unit, low, high)
    # The same on the index: a unit brings all its respondents to the institution's.
    index = shown["index"].set_index("unit")
    overall = shown["overall"].iloc[0]
    respondents = raw["groups"].groupby("unit")["n"].sum()
    published = {u: (r["estimate"], int(respondents[u])) for u, r in index.iterrows() if not r["suppressed"]}
    withheld = {u: int(respondents[u]) for u, r in index.iterrows() if r["suppressed"]}
    bounds = subtraction_bounds(overall["estimate"], int(overall["n"]), published, withheld)
    low, high = bounds["DINKES"]
    assert high - low >= 50, (low, high)


def test_primary_suppression_alone_gives_the_score_away() -> None:
    # The attack works on the engine's own suppression: this is what complementary suppression closes.
    raw = run_tables()
    cells = raw["groups"].loc[raw["groups"]["group"] == "internal"].set_index("unit")
    total = raw["overall_groups"].set_index("group").loc["internal"]
    published = {u: (r["estimate"], int(r["n"])) for u, r in cells.iterrows() if not r["suppressed"]}
    low, high = subtraction_bounds(total["estimate"], int(total["n"]), published, {"DINKES": 1})["DINKES"]
    assert low == pytest.approx(62.5)
    assert high == pytest.approx(62.5)


def test_the_smallest_other_unit_is_withheld_and_said_so() -> None:
    shown = published_tables(run_tables(), MIN_CELL)
    groups = shown["groups"].set_index(["unit", "group"])
    assert groups.loc[("DINKES", "internal"), "suppression"] == PRIMARY
    assert groups.loc[("INSP", "internal"), "suppression"] == COMPLEMENTARY
    assert not groups.loc[("SETDA", "internal"), "suppressed"]
    assert groups.loc[("INSP", "internal"), "note"] == (
        "suppressed: withheld so that a smaller cell cannot be recomputed"
    )
    # The institution's index minus the units shown would give DINKES': the smallest other unit's index is
    # withheld too; the institution stays.
    index = shown["index"].set_index("unit")
    assert index.loc["INSP", "suppression"] == COMPLEMENTARY
    assert index.loc["INSP", "category"] is None or pd.isna(index.loc["INSP", "category"])
    assert not shown["overall"]["suppressed"].any()
    assert not shown["overall_groups"]["suppressed"].any()


def test_n_of_a_withheld_cell_is_only_below_min_cell() -> None:
    shown = published_tables(run_tables(), MIN_CELL)
    groups = shown["groups"].set_index(["unit", "group"])
    dinkes = groups.loc[("DINKES", "internal")]
    assert pd.isna(dinkes["n"])
    assert dinkes["n_below"] == MIN_CELL
    assert "n=1" not in dinkes["note"]
    assert pd.isna(dinkes["df"])  # df is n - 1
    insp = groups.loc[("INSP", "internal")]
    assert pd.isna(insp["n"])
    assert pd.isna(insp["n_below"])
    assert groups.loc[("SETDA", "internal"), "n"] == 30


def test_figures_are_rounded_and_the_run_keeps_them_raw() -> None:
    raw = run_tables()
    shown = published_tables(raw, MIN_CELL)
    setda = shown["groups"].set_index(["unit", "group"]).loc[("SETDA", "internal")]
    assert setda["estimate"] == 75.0
    assert setda["se"] == 1.2
    assert setda["ci_low"] == 72.6  # 75.04 - 2.46 = 72.58
    assert raw["groups"].set_index(["unit", "group"]).loc[("SETDA", "internal"), "estimate"] == 75.04


def test_two_withheld_cells_under_min_cell_together_get_a_third() -> None:
    # Two one-person units: the institution minus the rest gives their mean, and each knows their own score.
    groups = pd.DataFrame(
        {
            "unit": ["A", "B", "C", "D"],
            "group": "internal",
            **_state([1, 1, 12, 20], [40.0, 90.0, 70.0, 60.0]),
        }
    )
    totals = pd.DataFrame({"institution": ["K"], "group": ["internal"], **_state([34], [64.0])})
    shown = published_tables({"groups": groups, "overall_groups": totals}, MIN_CELL)["groups"]
    assert list(shown["suppression"].fillna("")) == [PRIMARY, PRIMARY, COMPLEMENTARY, ""]


def test_the_sets_name_units_used_in_their_index_only() -> None:
    sets = cell_sets(run_tables())
    by_total = {s.total: s for s in sets}
    assert by_total[("index", 0)].members == ()  # DINKES' index uses no group
    assert by_total[("index", 1)].members == (("groups", 2), ("groups", 3))
    assert by_total[("overall", 0)].counts == (2, 18, 60)


def _one_more(
    tables: dict[str, pd.DataFrame], unit: str, group: str, score: float
) -> dict[str, pd.DataFrame]:
    """``tables`` after one more respondent of ``score`` in ``unit`` × ``group`` (the rows that change)."""
    out = {name: frame.copy() for name, frame in tables.items()}
    groups = out["groups"]
    row = (groups["unit"] == unit) & (groups["group"] == group)
    n = groups.loc[row, "n"].iloc[0]
    groups.loc[row, "estimate"] = (groups.loc[row, "estimate"] * n + score) / (n + 1)
    groups.loc[row, "n"] = n + 1
    for name in ("overall_groups", "overall"):
        frame = out[name]
        keep = frame["group"] == group if "group" in frame.columns else slice(None)
        count = frame.loc[keep, "n"]
        frame.loc[keep, "estimate"] = (frame.loc[keep, "estimate"] * count + score) / (count + 1)
        frame.loc[keep, "n"] = count + 1
    return out


def test_a_run_one_response_apart_cannot_be_published() -> None:
    first = run_tables()
    second = _one_more(first, "SETDA", "internal", 100.0)
    blockers = publication_blockers(second, first, MIN_CELL)
    assert {(b.table, b.cell) for b in blockers} >= {
        ("overall", ("KOTA",)),
        ("overall_groups", ("KOTA", "internal")),
        ("groups", ("SETDA", "internal")),
    }
    assert all(b.n_now - b.n_before < MIN_CELL for b in blockers)
    # Without the gate: the difference of the institution's group rows is the new respondent's score.
    before = first["overall_groups"].set_index("group").loc["internal"]
    after = second["overall_groups"].set_index("group").loc["internal"]
    assert after["estimate"] * after["n"] - before["estimate"] * before["n"] == pytest.approx(100.0)


def test_a_run_that_gained_min_cell_everywhere_it_changed_may_be_published() -> None:
    first = run_tables()
    later = first
    for _ in range(MIN_CELL):
        later = _one_more(later, "SETDA", "internal", 80.0)
    assert publication_blockers(later, first, MIN_CELL) == []
    assert publication_blockers(first, first, MIN_CELL) == []  # nothing changed


def _question_cells(where: str, places: list[str], n: list[int]) -> pd.DataFrame:
    rows = []
    for place, count in zip(places, n, strict=True):
        for answer, share in (("ya", 20.0), ("tidak", 80.0)):
            rows.append(
                {
                    where: place,
                    "group": "internal",
                    "item": "it_gratifikasi",
                    "answer": answer,
                    "estimate": share,
                    "se": 2.0,
                    "ci_low": share - 4,
                    "ci_high": share + 4,
                    "df": 30.0,
                    "n": count,
                    "published": count >= 5,
                    "suppressed": count < 5,
                }
            )
    return pd.DataFrame(rows)


def test_a_small_unit_s_answers_cannot_be_taken_from_the_institution_s() -> None:
    """Issue 17: question shares per unit and for the institution form a set, like the index. One unit
    with 3 answers: the institution's share minus the other units' would give its answers, so the
    smallest other unit is withheld too, for every answer of the question alike."""
    units = _question_cells("unit", ["SETDA", "DINKES", "INSP"], [40, 3, 12])
    whole = _question_cells("institution", ["KOTA"], [55])
    out = published_tables({"questions": units, "overall_questions": whole}, 5)
    shown = out["questions"]
    by_unit = shown.groupby("unit")["suppression"].agg(lambda s: set(s.dropna()))
    assert by_unit["DINKES"] == {"primary"}
    assert by_unit["INSP"] == {"complementary"}  # the smaller of the two others
    assert by_unit["SETDA"] == set()
    assert shown.loc[shown["unit"].isin(["DINKES", "INSP"]), "estimate"].isna().all()
    assert shown.loc[shown["unit"] == "INSP", "n"].isna().all()  # its n would give DINKES's away
    assert out["overall_questions"]["estimate"].notna().all()


def test_the_institution_s_dimension_scores_protect_the_units_dimension_cells() -> None:
    def cells(where: str, places: list[str], n: list[int]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                where: places,
                "group": "all",
                "dimension": "pengadaan",
                "estimate": 60.0,
                "se": 1.0,
                "ci_low": 58.0,
                "ci_high": 62.0,
                "df": 20.0,
                "n": n,
                "published": [k >= 5 for k in n],
                "suppressed": [k < 5 for k in n],
            }
        )

    out = published_tables(
        {
            "dimensions": cells("unit", ["A", "B"], [2, 30]),
            "overall_dimensions": cells("institution", ["K"], [32]),
        },
        5,
    )
    assert list(out["dimensions"]["suppression"]) == ["primary", "complementary"]
    assert out["overall_dimensions"]["estimate"].notna().all()


def test_the_chance_of_reaching_the_target_is_withheld_with_its_cell() -> None:
    index = pd.DataFrame(
        {
            "unit": ["A", "B"],
            "estimate": [70.0, 80.0],
            "se": [1.0, 1.0],
            "ci_low": [68.0, 78.0],
            "ci_high": [72.0, 82.0],
            "df": [30.0, 30.0],
            "n": [3, 40],
            "published": [True, True],
            "suppressed": [False, False],
            "prob_at_least_target": [0.01, 0.99],
        }
    )
    overall = pd.DataFrame(
        {
            "institution": ["K"],
            "estimate": [79.0],
            "se": [1.0],
            "ci_low": [77.0],
            "ci_high": [81.0],
            "df": [40.0],
            "n": [43],
            "published": [True],
            "suppressed": [False],
            "prob_at_least_target": [0.9993],
        }
    )
    out = published_tables({"index": index, "overall": overall}, 5)
    # A is too small, B is withheld beside it (the institution minus B would give A), each with its chance.
    assert out["index"]["prob_at_least_target"].isna().all()
    assert out["overall"]["prob_at_least_target"].iloc[0] == 1.0  # rounded to whole percent (0.9993)
