"""Behaviour beyond the reference file: lonely PSUs, missing data, fpc forms, replicate generation,
domains, validation. Numbers pinned here were computed with R 4.2.2 / survey 4.1-1."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoring import (
    as_replicate_design,
    degf,
    svrepdesign,
    svyciprop,
    svycontrast,
    svydesign,
    svymean,
    svyquantile,
    svyratio,
    svytotal,
)
from scoring.variance import linearized_variance

FIXTURES = Path(__file__).parent / "fixtures"
REFERENCE = json.loads((FIXTURES / "reference.json").read_text())
CASES = {c["id"]: c for c in REFERENCE["cases"]}
REL = 1e-6


@pytest.fixture(scope="module")
def apistrat() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "apistrat.csv")


@pytest.fixture(scope="module")
def apiclus1() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "apiclus1.csv")


@pytest.fixture(scope="module")
def apiclus2() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "apiclus2.csv")


# ------------------------------------------------------------------------------------ lonely PSUs

# R: s <- rbind(apistrat[apistrat$stype != "M", ], apistrat[apistrat$stype == "M", ][1, ])
#    options(survey.lonely.psu=OPT); d <- svydesign(id=~1, strata=~stype, weights=~pw, data=s)
#    svymean(~api00, d); svyby(~api00, ~sch.wide, d, svymean)
LONELY = {
    "remove": (10.8901770679756, (23.3923422982362, 12.0086804492598)),
    "certainty": (10.8901770679756, (23.3923422982362, 12.0086804492598)),
    "adjust": (10.9106881388925, (23.3923422982362, 12.0370807120057)),
    "average": (13.3376885125495, (23.3923422982362, 14.7075697924113)),
}


@pytest.mark.parametrize("option", sorted(LONELY))
def test_lonely_psu_options_match_r(apistrat: pd.DataFrame, option: str) -> None:
    s = pd.concat([apistrat[apistrat.stype != "M"], apistrat[apistrat.stype == "M"].iloc[:1]])
    d = svydesign(s, strata="stype", weights="pw", lonely_psu=option)  # type: ignore[arg-type]
    se, by_se = LONELY[option]
    m = svymean(d, "api00")
    assert m.estimate[0] == pytest.approx(666.668146242003, rel=REL)
    assert m.se[0] == pytest.approx(se, rel=REL)
    assert degf(d) == 148
    b = svymean(d, "api00", by="sch.wide")
    assert b.estimate.tolist() == pytest.approx([611.908626613555, 676.053281262763], rel=REL)
    assert b.se.tolist() == pytest.approx(list(by_se), rel=REL)


def test_lonely_psu_fail_names_the_stratum(apistrat: pd.DataFrame) -> None:
    s = pd.concat([apistrat[apistrat.stype != "M"], apistrat[apistrat.stype == "M"].iloc[:1]])
    with pytest.raises(ValueError, match=r"strata column 'stype' = M\) has only one PSU"):
        svydesign(s, strata="stype", weights="pw")


def test_self_representing_lonely_stratum_is_fine() -> None:
    df = pd.DataFrame({"h": ["a", "a", "b"], "y": [1.0, 3.0, 5.0], "N": [10, 10, 1]})
    d = svydesign(df, strata="h", fpc="N")
    assert np.isfinite(svymean(d, "y").se[0])


# ----------------------------------------------------------------------------- missing, domains


def test_domain_means_with_missing_values_match_r(apiclus2: pd.DataFrame) -> None:
    # R: svyby(~enroll, ~stype, dclus2, svymean, na.rm=TRUE)
    d = svydesign(apiclus2, ids=["dnum", "snum"], fpc=["fpc1", "fpc2"])
    r = svymean(d, "enroll", by="stype")
    assert r.estimate.tolist() == pytest.approx([339.787375415282, 1038.63736263736, 839.325], rel=REL)
    assert r.se.tolist() == pytest.approx([51.0809963671934, 81.5152041324113, 67.5014695956616], rel=REL)
    assert r.n.tolist() == [
        int(((apiclus2.stype == s) & apiclus2.enroll.notna()).sum()) for s in ("E", "H", "M")
    ]
    assert (r.df == 39).all()


def test_two_by_columns_match_r(apistrat: pd.DataFrame) -> None:
    # R: svyby(~api00, ~stype+awards, dstrat, svymean)
    d = svydesign(apistrat, strata="stype", weights="pw", fpc="fpc")
    r = svymean(d, "api00", by=["stype", "awards"]).set_index(["stype", "awards"])
    assert r.loc[("E", "No"), "se"] == pytest.approx(25.7667324651944, rel=REL)
    assert r.loc[("H", "Yes"), "estimate"] == pytest.approx(662.0, rel=REL)
    assert r.loc[("M", "Yes"), "se"] == pytest.approx(21.5228365228955, rel=REL)


def test_domain_deff_matches_r(apistrat: pd.DataFrame) -> None:
    # R: svyby(~api00, ~stype, dstrat, svytotal, deff=TRUE)
    d = svydesign(apistrat, strata="stype", weights="pw", fpc="fpc")
    t = svytotal(d, "api00", by="stype", deff=True)
    assert t.se.tolist() == pytest.approx([54742.9420352, 11277.5328199, 16506.5725346], rel=1e-9)
    assert t.deff.tolist() == pytest.approx([1.000000000479, 0.999999998208, 0.999999998452], rel=1e-9)


def test_missing_by_value_is_in_no_domain(apistrat: pd.DataFrame) -> None:
    df = apistrat.copy()
    df.loc[df.index[:5], "stype"] = None
    d = svydesign(df.assign(h="all"), strata="h", weights="pw")
    r = svymean(d, "api00", by="stype")
    assert r.stype.tolist() == ["E", "H", "M"]
    assert int(r.n.sum()) == len(df) - 5


def test_domain_variance_equals_per_domain_zeroing() -> None:
    """The vectorised engine equals one full-design linearization per domain."""
    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame(
        {
            "h": rng.integers(0, 4, n),
            "psu": rng.integers(0, 12, n),
            "g": rng.integers(0, 7, n),
            "y": rng.normal(50, 10, n),
            "w": rng.uniform(1, 3, n),
        }
    )
    df["N"] = df.h.map({0: 40, 1: 50, 2: 60, 3: 70})
    d = svydesign(df, ids="psu", strata="h", weights="w", fpc="N", nest=True)
    fast = svymean(d, "y", by="g")
    for g, row in fast.set_index("g").iterrows():
        ind = (df.g == g).to_numpy()
        w = d.weights * ind
        mean = np.sum(w * df.y) / np.sum(w)
        infl = w * (df.y.to_numpy() - mean) / np.sum(w)
        v = linearized_variance(d, infl, np.zeros(n, dtype=np.int64), 1)[0]
        assert row.se == pytest.approx(np.sqrt(v), rel=1e-10)
        assert row.estimate == pytest.approx(mean, rel=1e-12)


def test_fpc_as_fraction_equals_population_size(apistrat: pd.DataFrame) -> None:
    # R: svydesign(id=~1, strata=~stype, fpc=~I(n_h/N_h), data=apistrat): 662.287363577656, 9.40894087943401
    frac = apistrat.stype.map({"E": 100 / 4421, "H": 50 / 755, "M": 50 / 1018})
    d = svydesign(apistrat.assign(f=frac), strata="stype", fpc="f")
    m = svymean(d, "api00")
    assert m.estimate[0] == pytest.approx(662.287363577656, rel=REL)
    assert m.se[0] == pytest.approx(9.40894087943401, rel=REL)


# --------------------------------------------------------------------------- replicate generation


def _case(cid: str) -> dict[str, float]:
    return CASES[cid]


def test_generated_jk1_matches_r(apiclus1: pd.DataFrame) -> None:
    jk = as_replicate_design(svydesign(apiclus1, ids="dnum", weights="pw", fpc="fpc"), "JK1")
    assert jk.replicates is not None
    assert jk.replicates.scale == pytest.approx(REFERENCE["replicate_designs"]["clus1_jk1"]["scale"], rel=REL)
    assert degf(jk) == 14
    assert svymean(jk, "api00").se[0] == pytest.approx(_case("clus1_jk1:mean_api00")["se"], rel=REL)
    assert svyratio(jk, "api.stu", "enroll").se[0] == pytest.approx(
        _case("clus1_jk1:ratio_apistu_enroll")["se"], rel=REL
    )
    mse = as_replicate_design(svydesign(apiclus1, ids="dnum", weights="pw", fpc="fpc"), "JK1", mse=True)
    assert svymean(mse, "api00").se[0] == pytest.approx(_case("clus1_jk1_mse:mean_api00")["se"], rel=REL)


def test_generated_jkn_matches_r(apistrat: pd.DataFrame) -> None:
    jkn = as_replicate_design(svydesign(apistrat, strata="stype", weights="pw", fpc="fpc"))
    assert degf(jkn) == 197
    r = svymean(jkn, "api00", by="stype")
    for s, se in zip(r.stype, r.se, strict=True):
        assert se == pytest.approx(_case(f"strat_jkn:svyby_mean_api00_by_stype[{s}]")["se"], rel=REL)


@pytest.mark.parametrize(("kind", "case_prefix"), [("BRR", "scd_brr"), ("Fay", "scd_fay")])
def test_generated_brr_and_fay_match_r(kind: str, case_prefix: str) -> None:
    scd = pd.read_csv(FIXTURES / "scd.csv")
    base = svydesign(scd, ids="ambulance", strata="ESA", nest=True)
    rep = as_replicate_design(base, kind, fay_rho=0.3)  # type: ignore[arg-type]
    assert degf(rep) == 3
    assert svyratio(rep, "alive", "arrests").se[0] == pytest.approx(
        _case(f"{case_prefix}:ratio_alive_arrests")["se"], rel=REL
    )
    assert svytotal(rep, "arrests").se[0] == pytest.approx(
        _case(f"{case_prefix}:total_arrests")["se"], rel=REL
    )


@pytest.mark.parametrize(
    ("design_key", "kind", "case_prefix"),
    [("clus1", "bootstrap", "clus1_boot"), ("strat", "subbootstrap", "strat_subboot")],
)
def test_generated_bootstrap_within_sampling_error(
    apiclus1: pd.DataFrame, apistrat: pd.DataFrame, design_key: str, kind: str, case_prefix: str
) -> None:
    """R's draws cannot be reproduced; with 500 replicates the SE must be within 15 % of R's."""
    if design_key == "clus1":
        base = svydesign(apiclus1, ids="dnum", weights="pw", fpc="fpc")
    else:
        base = svydesign(apistrat, strata="stype", weights="pw", fpc="fpc")
    rep = as_replicate_design(base, kind, replicates=500, seed=1)  # type: ignore[arg-type]
    again = as_replicate_design(base, kind, replicates=500, seed=1)  # type: ignore[arg-type]
    assert rep.replicates is not None
    assert again.replicates is not None
    assert np.array_equal(rep.replicates.weights, again.replicates.weights)
    assert degf(rep) == degf(base)
    se = svymean(rep, "api00").se[0]
    ref = _case(f"{case_prefix}:mean_api00")["se"]
    assert se == pytest.approx(ref, rel=0.15)


def test_composite_index_contrast_over_domains(apistrat: pd.DataFrame) -> None:
    comp = REFERENCE["composite_index"]["apistrat"]
    d = svydesign(apistrat.assign(score=(apistrat.api00 - 200) / 8), strata="stype", weights="pw", fpc="fpc")
    r = svycontrast(d, comp["group_weights"], "score", by="stype")
    assert r.estimate[0] == pytest.approx(comp["index"], rel=REL)
    assert r.se[0] == pytest.approx(comp["lin"]["se_svycontrast"], rel=REL)


# ------------------------------------------------------------------------------------ validation


def test_unknown_columns_are_named() -> None:
    df = pd.DataFrame({"y": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="weight column 'pw' not found"):
        svydesign(df, weights="pw")
    with pytest.raises(ValueError, match="cluster column 'psu' not found"):
        svydesign(df, ids="psu")
    d = svydesign(df)
    with pytest.raises(ValueError, match="value column 'x' not found"):
        svymean(d, "x")
    with pytest.raises(ValueError, match="by column 'g' not found"):
        svymean(d, "y", by="g")


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        ({"y": [1.0, 2.0], "w": [1.0, -1.0]}, {"weights": "w"}, "weight column 'w' has negative values"),
        ({"y": [1.0, 2.0], "w": [1.0, None]}, {"weights": "w"}, "weight column 'w' has missing values"),
        ({"y": [1.0, 2.0], "w": ["a", "b"]}, {"weights": "w"}, "weight column 'w' must be numeric"),
        ({"y": [1.0, 2.0, 3.0], "N": [2, 2, 2]}, {"fpc": "N"}, "fpc column 'N' implies more than 100%"),
        ({"y": [1.0, 2.0], "N": [0.5, 3]}, {"fpc": "N"}, "mix sampling fractions"),
        ({"y": [1.0, 2.0], "h": ["a", "a"], "N": [5, 6]}, {"fpc": "N", "strata": "h"}, "not constant"),
        ({"y": [1.0, 2.0], "h": ["a", None]}, {"strata": "h"}, "strata column 'h' has missing values"),
        (
            {"y": [1.0, 2.0, 3.0, 4.0], "h": ["a", "a", "b", "b"], "p": [1, 2, 1, 2]},
            {"strata": "h", "ids": "p"},
            "not nested in strata",
        ),
        ({"y": [1.0, 2.0]}, {"lonely_psu": "ignore"}, "lonely_psu must be one of"),
    ],
)
def test_bad_design_input(frame: dict[str, list[object]], kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        svydesign(pd.DataFrame(frame), **kwargs)  # type: ignore[arg-type]


def test_bad_estimator_input() -> None:
    df = pd.DataFrame({"y": [1.0, 2.0, 3.0], "s": ["a", "b", "a"], "p": [0, 1, 2]})
    d = svydesign(df)
    with pytest.raises(ValueError, match="level must be between 0 and 1"):
        svymean(d, "y", level=95)
    with pytest.raises(ValueError, match="numerator column 's' must be numeric"):
        svyratio(d, "s", "y")
    with pytest.raises(ValueError, match="say which level is a success"):
        svyciprop(d, "s")
    with pytest.raises(ValueError, match="must be 0/1"):
        svyciprop(d, "p")
    with pytest.raises(ValueError, match="does not match an estimate"):
        svycontrast(d, {"z": 1}, "y")
    with pytest.raises(ValueError, match="quantiles must be between 0 and 1"):
        svyquantile(d, "y", 50.0)
    with pytest.raises(ValueError, match="needs rscales"):
        svrepdesign(df.assign(r1=1.0), repweights=["r1"], type="JKn")


def test_design_is_immutable(apistrat: pd.DataFrame) -> None:
    d = svydesign(apistrat, strata="stype", weights="pw", fpc="fpc")
    with pytest.raises(AttributeError):
        d.lonely_psu = "remove"  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        d.weights[0] = 1.0


def test_categorical_proportions_and_bool(apistrat: pd.DataFrame) -> None:
    d = svydesign(apistrat, strata="stype", weights="pw", fpc="fpc")
    levels = svymean(d, "sch.wide")
    assert levels.level.tolist() == ["No", "Yes"]
    assert levels.estimate.sum() == pytest.approx(1.0)
    yes = svymean(
        svydesign(apistrat.assign(b=apistrat["sch.wide"] == "Yes"), strata="stype", weights="pw", fpc="fpc"),
        "b",
    )
    assert yes.estimate[0] == pytest.approx(levels.estimate[1], rel=1e-12)
    assert yes.se[0] == pytest.approx(levels.se[1], rel=1e-12)
