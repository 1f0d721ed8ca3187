"""Properties of calibrated designs that hold whatever the data, and clean errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from scoring.calibration import (
    adjust_nonresponse,
    calibrate,
    check_margins,
    nonresponse_totals,
    poststratify,
    rake,
)
from scoring.design import svydesign
from scoring.estimators import svymean, svytotal
from scoring.replicates import as_replicate_design


def _data(seed: int = 1, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "psu": rng.integers(0, 40, n),
            "h": rng.choice(["a", "b"], n),
            "sex": rng.choice(["F", "M"], n, p=[0.3, 0.7]),
            "rank": rng.choice(["jr", "sr", "top"], n, p=[0.5, 0.4, 0.1]),
            "x": rng.gamma(2.0, 5.0, n),
        }
    )
    df["psu"] = df["h"] + df["psu"].astype(str)
    df["y"] = 3 + 0.5 * df["x"] + (df["sex"] == "F") * 4 + rng.normal(0, 2, n)
    df["w"] = rng.uniform(5, 15, n)
    return df


MARGINS = pd.DataFrame(
    {
        "variable": ["sex", "sex", "rank", "rank", "rank", "x"],
        "level": ["F", "M", "jr", "sr", "top", ""],
        "total": [2000.0, 2000.0, 1800.0, 1700.0, 500.0, 44000.0],
    }
)


def test_calibrated_totals_hit_the_margins_with_no_variance() -> None:
    d = svydesign(_data(), ids="psu", strata="h", weights="w", nest=True)
    lin = calibrate(d, MARGINS, "linear")
    t = svytotal(lin, ["sex", "rank", "x"])
    assert t["estimate"].tolist() == pytest.approx([2000, 2000, 1800, 1700, 500, 44000], rel=1e-10)
    assert t["se"].max() < 1e-6 * t["estimate"].max()
    ps = poststratify(d, "rank", {"jr": 1800, "sr": 1700, "top": 500})
    t = svytotal(ps, "rank")
    assert t["estimate"].tolist() == pytest.approx([1800, 1700, 500], rel=1e-12)
    assert t["se"].max() < 1e-6
    rk = rake(d, MARGINS[MARGINS["level"] != ""], epsilon=1e-9)
    t = svytotal(rk, ["sex", "rank"])
    assert t["estimate"].tolist() == pytest.approx([2000, 2000, 1800, 1700, 500], rel=1e-8)


def test_calibration_on_a_correlated_variable_lowers_the_se() -> None:
    d = svydesign(_data(), ids="psu", strata="h", weights="w", nest=True)
    plain = svymean(d, "y")["se"].iat[0]
    lin = svymean(calibrate(d, MARGINS, "linear"), "y")["se"].iat[0]
    assert lin < 0.5 * plain


def test_nonresponse_adjustment_weights_each_cell_to_its_population() -> None:
    sample = _data(2)
    sample["responded"] = np.random.default_rng(3).random(len(sample)) < np.where(
        sample["h"] == "a", 0.9, 0.3
    )
    totals = nonresponse_totals(sample, "h", "w")
    resp = sample[sample["responded"]].reset_index(drop=True)
    d = adjust_nonresponse(svydesign(resp, weights="w"), "h", totals)
    got = pd.Series(d.weights).groupby(resp["h"]).sum()
    assert got.to_dict() == pytest.approx(totals.set_index("h")["total"].to_dict(), rel=1e-12)
    # Within a cell the base weights keep their ratios.
    ratio = d.weights / resp["w"].to_numpy()
    assert pd.Series(ratio).round(12).groupby(resp["h"]).nunique().max() == 1
    assert "nonresponse-adjusted within h" in d.description


def test_replicate_designs_are_refused() -> None:
    d = svydesign(_data(), ids="psu", strata="h", weights="w", nest=True)
    cal = calibrate(d, MARGINS, "linear")
    with pytest.raises(ValueError, match="calibrated design"):
        as_replicate_design(cal, "JKn")
    with pytest.raises(ValueError, match="linearization designs only"):
        calibrate(as_replicate_design(d, "JKn"), MARGINS, "linear")


@pytest.mark.parametrize(
    ("method", "margins", "message"),
    [
        ("poststratify", MARGINS, "post-stratification uses the levels of one variable"),
        ("rake", MARGINS, "raking uses categorical margins only"),
        (
            "linear",
            MARGINS.assign(total=[2000.0, 2001.0, 1800.0, 1700.0, 500.0, 1.0]),
            "'rank' add up to 4000, but the population size is 4001",
        ),
        (
            "linear",
            pd.DataFrame(
                {
                    "variable": ["sex", "sex", "rank", "rank"],
                    "level": ["F", "M", "jr", "sr"],
                    "total": [2e3, 2e3, 2.3e3, 1.7e3],
                }
            ),
            "level\\(s\\) 'top' of 'rank' have no population total",
        ),
        ("linear", pd.DataFrame({"variable": ["nope"], "level": [""], "total": [1.0]}), "'nope' not found"),
        (
            "poststratify",
            pd.DataFrame({"variable": ["rank"] * 4, "level": ["jr", "sr", "top", "ceo"], "total": [1.0] * 4}),
            "'ceo'.* have no rows in the data",
        ),
    ],
)
def test_errors(method: str, margins: pd.DataFrame, message: str) -> None:
    d = svydesign(_data(), ids="psu", strata="h", weights="w", nest=True)
    with pytest.raises(ValueError, match=message):
        calibrate(d, margins, method)  # type: ignore[arg-type]


def test_missing_values_in_a_calibration_variable_are_an_error() -> None:
    df = _data()
    df.loc[5, "sex"] = None
    d = svydesign(df, ids="psu", strata="h", weights="w", nest=True)
    with pytest.raises(ValueError, match="'sex' has missing values \\(first at data row 6\\)"):
        calibrate(d, MARGINS, "linear")


def test_check_margins_reports_every_bad_row() -> None:
    bad = pd.DataFrame(
        {
            "variable": ["sex", "", "sex", "x", "x"],
            "level": ["F", "M", "F", "", "1"],
            "total": ["1", "2", "x", "3", "-1"],
        }
    )
    with pytest.raises(ValueError, match=r"^m\.csv: ") as exc:
        check_margins(bad, "m.csv")
    msg = str(exc.value)
    assert msg.startswith("m.csv: ")
    for part in (
        "row 3, column variable: empty",
        "row 4, column total: 'x' is not a number",
        "row 4: sex='F' repeats row 2",
        "row 6, column total: a count cannot be negative (-1)",
        "variable 'x' has rows with and without a level",
    ):
        assert part in msg


def test_raking_that_does_not_converge_warns_as_r() -> None:
    d = svydesign(_data(), ids="psu", strata="h", weights="w", nest=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rake(d, MARGINS[MARGINS["level"] != ""], maxit=1, epsilon=1e-12)
    assert any("did not converge after 1 iterations" in str(w.message) for w in caught)


def _multistage(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for h in range(4):
        for psu in range(1 if h == 3 else 3):  # stratum 3 has a lonely PSU
            for ssu in range(3):
                for _ in range(int(rng.integers(2, 6))):
                    rows.append((f"h{h}", f"h{h}p{psu}", f"h{h}p{psu}s{ssu}", 10 + h, 6))
    df = pd.DataFrame(rows, columns=["h", "psu", "ssu", "N1", "N2"])
    n = len(df)
    df["sex"] = rng.choice(["F", "M"], n)
    df["rank"] = rng.choice(["jr", "sr"], n)
    df["x"] = rng.gamma(2.0, 3.0, n)
    df["y"] = df["x"] + rng.normal(0, 1, n) + (df["sex"] == "F")
    df["dom"] = rng.choice(["u1", "u2", "u3", "u4", "u5"], n)
    return df


@pytest.mark.parametrize("lonely", ["adjust", "average", "remove"])
@pytest.mark.parametrize("seed", [1, 2])
def test_low_rank_variance_equals_explicit_residuals(
    lonely: str, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The expanded sums of squares against residual columns computed one by one."""
    import scoring.variance as variance

    df = _multistage(seed)
    d = svydesign(df, ids=["psu", "ssu"], strata="h", fpc=["N1", "N2"], lonely_psu=lonely)  # type: ignore[arg-type]
    big_n = float(d.weights.sum())
    cells = pd.Series(d.weights).groupby(df["h"]).sum().to_dict()
    sexes = df["sex"].value_counts(normalize=True).mul(big_n).to_dict()
    margins = pd.DataFrame(
        {
            "variable": ["sex", "sex", "rank", "rank", "x"],
            "level": ["F", "M", "jr", "sr", ""],
            "total": [
                sexes["F"] * 1.1,
                big_n - sexes["F"] * 1.1,
                big_n * 0.6,
                big_n * 0.4,
                float(df["x"].mean() * big_n * 1.05),
            ],
        }
    )
    chained = calibrate(
        rake(adjust_nonresponse(d, "h", cells), margins[margins["level"] != ""]), margins, "linear"
    )
    for design in (poststratify(d, "sex", {"F": sexes["F"], "M": big_n - sexes["F"]}), chained):
        monkeypatch.setattr(variance, "_CANCELLATION", -1.0)
        fast = svymean(design, "y", by="dom")["se"].to_numpy()
        fast_total = svytotal(design, "y")["se"].to_numpy()
        monkeypatch.setattr(variance, "_CANCELLATION", np.inf)
        exact = svymean(design, "y", by="dom")["se"].to_numpy()
        exact_total = svytotal(design, "y")["se"].to_numpy()
        np.testing.assert_allclose(fast, exact, rtol=1e-8)
        np.testing.assert_allclose(fast_total, exact_total, rtol=1e-8)
        assert (exact > 0).all()
