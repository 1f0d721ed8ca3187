"""The vectorised question-level shares (:func:`scoring.index.answers.answer_shares`: a few sums per item
over all its answers, domains and strata) give the table of the implementation they replaced, which called
:func:`scoring.svymean` on each answer's indicator (kept below as the reference), on random data with blank
and not-listed answers, "don't know" codes, unequal weights, several strata with a finite population
correction, lonely strata, open-access responses, a missing domain value, one and two domain columns.

The keys, shares, respondents and degrees of freedom are identical to the bit (the same sums in the same
order); standard errors and interval ends are sums of the same squares grouped differently, so they agree
to rounding: a relative difference of at most ``RTOL``."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pytest

from scoring.design import LonelyPSU, svydesign
from scoring.estimators import svymean
from scoring.index.answers import _COLUMNS, _exact_ends, _korn_graubard, answer_shares
from scoring.index.groups import _analysis_frame

#: Largest relative difference allowed in the standard errors and interval ends (seen: below 6e-15 over
#: 261 random cases).
RTOL = 1e-12


def _assert_same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    exact = [c for c in got.columns if c not in ("se", "ci_low", "ci_high")]
    pd.testing.assert_frame_equal(got[exact], expected[exact], check_exact=True)
    for column in ("se", "ci_low", "ci_high"):
        a, b = got[column].to_numpy(), expected[column].to_numpy()
        assert np.array_equal(np.isnan(a), np.isnan(b)), column
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-12, err_msg=column)


def _per_cell(
    data: pd.DataFrame,
    items: Mapping[str, Sequence[str]],
    by: Sequence[str] = (),
    *,
    weight: str | None = "weight",
    strata: Sequence[str] = ("stratum",),
    fpc: str | None = "fpc",
    open_access: str | None = "open_access",
    level: float = 0.95,
    lonely_psu: LonelyPSU = "adjust",
) -> pd.DataFrame:
    """The implementation before the vectorised one (commit 38b7514), unchanged but for its name."""
    by = list(by)
    if data.empty:
        return pd.DataFrame(columns=[*by, *_COLUMNS])
    frame, _ = _analysis_frame(
        data.assign(_g="all"),
        [],
        by,
        "_g",
        weight,
        [c for c in strata if c in data.columns],
        fpc if fpc is not None and fpc in data.columns else None,
        open_access,
    )
    names = {item: f"_i{k}" for k, item in enumerate(items)}
    for item, codes in items.items():
        positions, uniques = pd.factorize(data[item], use_na_sentinel=True)
        cleaned = np.array([str(u).strip() or None for u in uniques] + [None], dtype=object)
        with warnings.catch_warnings():
            # pandas 3 deprecates unlisted values here (they become missing, as intended).
            warnings.simplefilter("ignore")
            frame[names[item]] = pd.Categorical(cleaned[positions], categories=list(codes))
    design = svydesign(
        frame, strata="_h", weights="_w", fpc="_N" if "_N" in frame.columns else None, lonely_psu=lonely_psu
    )
    table = svymean(design, list(names.values()), by or None, level=level)
    table = table.rename(columns={"level": "answer"})
    table["item"] = table["variable"].map({v: k for k, v in names.items()})
    dfs = []
    for item, column in names.items():
        answered = frame.loc[frame[column].notna()]
        if by:
            grouped = answered.groupby(by, dropna=False, observed=True)["_h"]
            own = (grouped.size() - grouped.nunique()).rename("_df").reset_index()
        else:
            own = pd.DataFrame({"_df": [len(answered) - answered["_h"].nunique()]})
        dfs.append(own.assign(item=item))
    own_df = pd.concat(dfs, ignore_index=True)
    table = table.merge(own_df, on=[*by, "item"], how="left") if by else table.merge(own_df, on="item")
    table["df"] = table["_df"].astype("float64")
    table["ci_low"], table["ci_high"] = _korn_graubard(
        table["estimate"], table["se"], table["n"], table["df"], level
    )
    out = table.drop(columns=["_df", "variable"])
    out = out.loc[out["n"] > 0].reset_index(drop=True)
    p = out["estimate"]
    lo_exact, hi_exact = _exact_ends(p, out["n"], level)
    degenerate = (p <= 0) | (p >= 1)
    out["ci_low"] = out["ci_low"].where(~degenerate, lo_exact)
    out["ci_high"] = out["ci_high"].where(~degenerate, hi_exact)
    for column in ("estimate", "se", "ci_low", "ci_high"):
        out[column] = out[column].astype("float64") * 100.0
    out["n"] = out["n"].astype("int64")
    order = {k: i for i, k in enumerate(items)}
    out["_o"] = out["item"].map(order)
    out = out.sort_values([*by, "_o"], kind="stable").drop(columns="_o").reset_index(drop=True)
    return out[[*by, *_COLUMNS]]


ITEMS = {
    "saw": ["y", "n", "dk"],
    "scale": ["1", "2", "3", "4", "5", "dk"],
    "rare": ["a", "b", "c"],  # "c" nobody chooses; one unit never answers
    "all_same": ["y", "n"],  # everyone says "y": shares of 0 and 100 (exact bounds)
}


def _data(seed: int, n: int, *, categorical: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    unit = rng.choice(["u1", "u2", "u3", "u4", "u5"], n, p=[0.3, 0.3, 0.2, 0.15, 0.05])
    sex = rng.choice(["f", "m"], n)
    stratum = np.char.add(unit.astype(str), rng.choice(["a", "b", "c"], n))
    stratum[:1] = "lonely"  # a stratum of one respondent
    sizes = {s: int(rng.integers(200, 900)) for s in np.unique(stratum)}
    counts = pd.Series(stratum).value_counts()
    weight = np.array([sizes[s] / counts[s] for s in stratum]) * rng.uniform(0.7, 1.3, n)
    open_access = rng.random(n) < 0.05
    saw = rng.choice(["y", "n", "n", "dk", " y ", "maybe"], n).astype(object)  # padded and unlisted codes
    saw[rng.random(n) < 0.15] = None
    scale = rng.choice(["1", "2", "3", "4", "5", "dk", ""], n).astype(object)
    scale[rng.random(n) < 0.1] = np.nan
    rare = rng.choice(["a", "b"], n, p=[0.9, 0.1]).astype(object)
    rare[unit == "u5"] = None
    all_same = np.full(n, "y", dtype=object)
    all_same[rng.random(n) < 0.2] = None
    frame = pd.DataFrame(
        {
            "unit": unit,
            "sex": sex,
            "stratum": stratum,
            "weight": weight,
            "fpc": [sizes[s] for s in stratum],
            "open_access": open_access,
            "saw": saw,
            "scale": scale,
            "rare": rare,
            "all_same": all_same,
        }
    )
    frame.loc[rng.random(n) < 0.02, "sex"] = None  # respondents in no sex domain
    if categorical:
        for item in ITEMS:
            frame[item] = frame[item].astype("category")
    return frame


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("by", [["unit"], ["unit", "sex"], []])
@pytest.mark.parametrize("categorical", [False, True])
def test_vectorised_shares_equal_the_per_cell_ones_exactly(
    seed: int, by: list[str], categorical: bool
) -> None:
    data = _data(seed, 700, categorical=categorical)
    expected = _per_cell(data, ITEMS, by)
    got = answer_shares(data, ITEMS, by)
    assert len(got) > 0
    assert got["ci_low"].notna().all()
    _assert_same(got, expected)


@pytest.mark.parametrize("lonely_psu", ["adjust", "average", "remove", "certainty"])
def test_lonely_stratum_rules_equal_the_per_cell_ones(lonely_psu: LonelyPSU) -> None:
    data = _data(4, 400, categorical=False)
    for kwargs in ({}, {"fpc": None}, {"weight": None, "fpc": None}, {"strata": (), "fpc": None}):
        expected = _per_cell(data, ITEMS, ["unit"], lonely_psu=lonely_psu, **kwargs)  # type: ignore[arg-type]
        got = answer_shares(data, ITEMS, ["unit"], lonely_psu=lonely_psu, **kwargs)  # type: ignore[arg-type]
        _assert_same(got, expected)


def test_level_and_items_are_checked() -> None:
    data = _data(5, 50, categorical=False)
    with pytest.raises(ValueError, match="level must be between 0 and 1"):
        answer_shares(data, ITEMS, ["unit"], level=95)
    with pytest.raises(ValueError, match="no items given"):
        answer_shares(data, {}, ["unit"])
    with pytest.raises(ValueError, match="repeat a code"):
        answer_shares(data, {"saw": ["y", "y"]}, ["unit"])
