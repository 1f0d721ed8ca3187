"""The vectorised straight-lining check gives exactly what the former row-wise pandas version gave."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoring.quality import _code_matrix, _straightlined


def _rowwise(rows: pd.DataFrame, block: list[str], min_items: int) -> np.ndarray:
    # The implementation before the vectorisation (bfill along rows), kept as the reference.
    codes = rows[block].astype("string").apply(lambda s: s.str.strip()).replace("", pd.NA)
    answered = codes.notna().sum(axis=1).to_numpy()
    first = codes.bfill(axis=1).iloc[:, 0]
    same = (codes.eq(first, axis=0) | codes.isna()).all(axis=1).to_numpy(dtype=bool)
    return same & (answered >= min_items)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_straightlining_matches_rowwise(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = 800, 7
    # Few codes and many blanks, so that straight-lined rows, partly answered rows and empty rows all occur;
    # padded codes and "" must count as the code and as missing, as before.
    choices = np.array(["1", "2", " 2", "2 ", "5", "dk", "", None], dtype=object)
    p = [0.1, 0.3, 0.05, 0.05, 0.1, 0.1, 0.1, 0.2]
    frame = pd.DataFrame(
        {f"c{j}": pd.array(rng.choice(choices, size=n, p=p), dtype="string") for j in range(k)}
    )
    same_rows = rng.random(n) < 0.3
    frame.loc[same_rows, [f"c{j}" for j in range(k)]] = "4"
    columns = list(frame.columns)
    coded = _code_matrix(frame, columns)
    for block, min_items in [(columns, 5), (columns[:5], 3), (columns[2:], 1), (columns[:2], 2)]:
        expected = _rowwise(frame, block, min_items)
        got = _straightlined(coded, block, min_items)
        assert expected.any()
        assert not expected.all()
        np.testing.assert_array_equal(got, expected)


def test_scored_passed_in_gives_the_same_report() -> None:
    from scoring.examples import tiny_profile, tiny_questionnaire
    from scoring.index import compute_index
    from scoring.quality import data_quality

    rng = np.random.default_rng(5)
    n = 400
    df = pd.DataFrame(
        {
            "institution": "A",
            "unit": rng.choice(["u1", "u2", "u3", "u4", "u5"], n),
            "group": "internal",
            "t1": rng.choice(list("12345"), n),
            "t2": rng.choice(list("12345"), n),
            "b1": rng.choice(["y", "n"], n),
            "b2": rng.choice(["y", "n", "dk"], n),
            "duration_seconds": rng.integers(60, 900, n),
        }
    )
    df.loc[df["unit"] == "u2", ["t1", "t2", "b1", "b2"]] = ["5", "5", "n", "n"]
    q, profile = [tiny_questionnaire()], tiny_profile()
    result = compute_index(df, q, profile, by=["institution", "unit"])
    alone = data_quality(df, q, profile)
    shared = data_quality(df, q, profile, scored=result.scored)
    assert alone.flags["check"].tolist()
    pd.testing.assert_frame_equal(alone.units, shared.units)
    pd.testing.assert_frame_equal(alone.flags, shared.flags)
    pd.testing.assert_frame_equal(alone.respondents, shared.respondents)
    with pytest.raises(ValueError, match="different number of rows"):
        data_quality(df.iloc[:10], q, profile, scored=result.scored)


def test_categorical_answers_give_the_same_results_as_text() -> None:
    """The console reads single-choice answers as ``category`` columns (survey_app.domain.results.loading)."""
    from scoring.examples import tiny_profile, tiny_questionnaire
    from scoring.index import compute_index
    from scoring.quality import QualityThresholds, data_quality

    rng = np.random.default_rng(11)
    n = 600
    text = pd.DataFrame(
        {
            "institution": "A",
            "unit": rng.choice(["u1", "u2", "u3", "u4"], n),
            "group": "internal",
            "t1": pd.array(rng.choice(["1", "2", "3", "4", "5", "dk", None], n), dtype="string"),
            "t2": pd.array(rng.choice(["1", "2", "3", "4", "5", None], n), dtype="string"),
            "b1": pd.array(rng.choice(["y", "n", "na"], n), dtype="string"),
            "b2": pd.array(rng.choice(["y", "n", "dk", None], n), dtype="string"),
            "duration_seconds": rng.integers(60, 900, n),
        }
    )
    text.loc[text["unit"] == "u2", ["t1", "t2", "b1", "b2"]] = ["5", "5", "n", "n"]
    categorical = text.astype({c: "category" for c in ["t1", "t2", "b1", "b2"]})
    q, profile = [tiny_questionnaire()], tiny_profile()
    as_text = compute_index(text, q, profile, by=["institution", "unit"])
    as_categories = compute_index(categorical, q, profile, by=["institution", "unit"])
    pd.testing.assert_frame_equal(as_text.index, as_categories.index)
    pd.testing.assert_frame_equal(as_text.dimensions, as_categories.dimensions)
    thresholds = QualityThresholds(straightline_min_items=2)
    quality_text = data_quality(text, q, profile, thresholds=thresholds)
    quality_categories = data_quality(categorical, q, profile, thresholds=thresholds)
    assert quality_text.respondents["duplicate"].any()
    assert quality_text.respondents["straightlining"].any()
    pd.testing.assert_frame_equal(quality_text.respondents, quality_categories.respondents)
    pd.testing.assert_frame_equal(quality_text.units, quality_categories.units)
