"""Recoding answers to 0-100 and respondent scores (scoring.recode, scoring.respondent)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from questionnaires.model import Direction, Item, ItemScoring, ItemType, Questionnaire
from scoring.examples import tiny_profile, tiny_questionnaire
from scoring.recode import STATUS_CODES, dont_know_share, recode_items
from scoring.respondent import respondent_scores


def test_recode_maps_values_linearly_and_reverses_risk_items() -> None:
    q = tiny_questionnaire()
    df = pd.DataFrame(
        {
            "t1": ["1", "2", "3", "4", "5"],
            "t2": ["5", "4", "3", "2", "1"],
            "b1": ["y", "n", "y", "n", "y"],
            "b2": ["n"] * 5,
        }
    )
    r = recode_items(df, q)
    assert r.scores["t1"].tolist() == [0.0, 25.0, 50.0, 75.0, 100.0]
    assert r.scores["t2"].tolist() == [100.0, 75.0, 50.0, 25.0, 0.0]
    assert r.scores["b1"].tolist() == [0.0, 100.0, 0.0, 100.0, 0.0]  # yes to "saw a bribe" is risk
    assert r.counts.loc["t1", "mean_score"] == pytest.approx(50.0)


def test_csv_numbers_and_blanks_are_read_as_codes() -> None:
    q = tiny_questionnaire()
    # What read_csv makes of a column of "1".."5" with a blank: float64 with NaN.
    df = pd.DataFrame(
        {"t1": [1.0, np.nan, 5.0], "t2": [2, 3, 4], "b1": ["y", None, " n "], "b2": ["", "n", "dk"]}
    )
    r = recode_items(df, q)
    assert r.scores["t1"].tolist()[0] == 0.0
    assert np.isnan(r.scores["t1"].iloc[1])
    assert r.scores["t2"].tolist() == [25.0, 50.0, 75.0]
    assert r.scores["b1"].iloc[2] == 100.0
    assert r.status["b2"].tolist() == [STATUS_CODES["blank"], 0, STATUS_CODES["dont_know"]]
    assert r.counts.loc["b2", ["answered", "blank", "dont_know"]].tolist() == [1, 1, 1]


def test_unknown_code_names_item_row_and_expected_codes() -> None:
    df = pd.DataFrame({"t1": ["1", "7"], "t2": ["1", "1"], "b1": ["y", "y"], "b2": ["y", "y"]})
    with pytest.raises(
        ValueError, match=r"item 't1'.*'7' in response row 2.*expected one of: 1, 2, 3, 4, 5, dk"
    ):
        recode_items(df, tiny_questionnaire())


def test_missing_item_column_is_a_mismatch() -> None:
    df = pd.DataFrame({"t1": ["1"], "t2": ["1"], "b1": ["y"]})
    with pytest.raises(ValueError, match=r"no column for scored item.*b2"):
        recode_items(df, tiny_questionnaire())


def test_number_items_use_minimum_and_maximum() -> None:
    q = Questionnaire.from_dict(
        {
            **tiny_questionnaire().to_dict(),
            "sections": [
                {
                    "id": "s",
                    "title": {"en": "s"},
                    "items": [
                        {
                            "id": "x",
                            "type": "integer",
                            "label": {"en": "x"},
                            "minimum": 0,
                            "maximum": 10,
                            "scoring": {"dimension": "transparansi", "indicator": "i", "direction": "risk"},
                        }
                    ],
                }
            ],
        }
    )
    r = recode_items(pd.DataFrame({"x": [0, 5, 10, None]}), q)
    assert r.scores["x"].tolist()[:3] == [100.0, 50.0, 0.0]
    with pytest.raises(ValueError, match=r"value '11' in response row 1 is not a number in \[0, 10\]"):
        recode_items(pd.DataFrame({"x": [11]}), q)


def test_text_items_cannot_be_scored() -> None:
    base = tiny_questionnaire()
    item = Item(
        id="t",
        type=ItemType.TEXT,
        label={"en": "t"},
        scoring=ItemScoring("transparansi", "i", Direction.INTEGRITY),
    )
    q = Questionnaire(
        id="q",
        version="1",
        title={"en": "q"},
        group=base.group,
        languages=("en",),
        sections=(base.sections[0].__class__(id="s", title={"en": "s"}, items=(item,)),),
    )
    with pytest.raises(ValueError, match="items of type text cannot be scored"):
        recode_items(pd.DataFrame({"t": ["a"]}), q)


def test_dont_know_share_ignores_blank_items() -> None:
    df = pd.DataFrame({"t1": ["dk", ""], "t2": ["", ""], "b1": ["y", ""], "b2": ["na", ""]})
    assert dont_know_share(recode_items(df, tiny_questionnaire())).tolist()[0] == pytest.approx(2 / 3)
    assert np.isnan(dont_know_share(recode_items(df, tiny_questionnaire())).iloc[1])


def test_respondent_scores_follow_the_share_rule_at_each_level() -> None:
    q = tiny_questionnaire()
    p = tiny_profile()
    df = pd.DataFrame(
        {"t1": ["5", "5", "dk"], "t2": ["3", "dk", "dk"], "b1": ["n", "y", "n"], "b2": ["n", "dk", "n"]}
    )
    r = respondent_scores(recode_items(df, q).scores, q, p)
    # 0: transparansi (100+50)/2 = 75, integritas 100 -> (1*75 + 2*100)/3
    assert r.score.iloc[0] == pytest.approx((75 + 200) / 3)
    # 1: one of two items answered in each indicator (share 0.5 >= 0.5): transparansi 100, integritas 0
    assert r.dimensions.iloc[1].tolist() == [100.0, 0.0]
    assert r.score.iloc[1] == pytest.approx(100 / 3)
    # 2: transparansi missing; score from the other dimension alone (weights renormalised)
    assert np.isnan(r.dimensions.iloc[2, 0])
    assert r.score.iloc[2] == 100.0
    # A stricter rule drops half-answered indicators and, with them, respondent 2's score
    strict = respondent_scores(recode_items(df, q).scores, q, p, min_share_answered=1.0)
    assert np.isnan(strict.dimensions.iloc[1]).all()
    assert np.isnan(strict.score.iloc[1])
    assert np.isnan(strict.score.iloc[2])
    assert list(r.indicators.columns) == [
        ("transparansi", "keterbukaan"),
        ("integritas_pelaksanaan_tugas", "suap"),
    ]


def test_item_weights_within_an_indicator() -> None:
    d = tiny_questionnaire().to_dict()
    d["sections"][0]["items"][1]["scoring"]["weight"] = 3.0  # t1 counts three times
    q = Questionnaire.from_dict(d)
    df = pd.DataFrame({"t1": ["5"], "t2": ["1"], "b1": ["n"], "b2": ["n"]})
    r = respondent_scores(recode_items(df, q).scores, q, tiny_profile())
    assert r.dimensions["transparansi"].iloc[0] == pytest.approx(75.0)


def test_unknown_dimension_is_reported() -> None:
    d = tiny_questionnaire().to_dict()
    d["sections"][1]["items"][0]["scoring"]["dimension"] = "budaya_organisasi"
    q = Questionnaire.from_dict(d)
    df = pd.DataFrame({"t1": ["5"], "t2": ["1"], "b1": ["n"], "b2": ["n"]})
    with pytest.raises(
        ValueError, match="scores dimension 'budaya_organisasi', which profile tiny does not define"
    ):
        respondent_scores(recode_items(df, q).scores, q, tiny_profile())


def test_recoding_is_fast_enough_for_a_national_campaign() -> None:
    rng = np.random.default_rng(1)
    n = 200_000
    codes = np.array(["1", "2", "3", "4", "5", "dk"], dtype=object)
    df = pd.DataFrame(
        {c: codes[rng.integers(0, 6, n)] for c in ("t1", "t2")}
        | {c: np.array(["y", "n", "dk", "na"], dtype=object)[rng.integers(0, 4, n)] for c in ("b1", "b2")}
    )
    r = recode_items(df, tiny_questionnaire())
    expected = df["t1"].map({"1": 0.0, "2": 25.0, "3": 50.0, "4": 75.0, "5": 100.0}).astype(float)
    np.testing.assert_array_equal(r.scores["t1"].to_numpy(), expected.to_numpy())
