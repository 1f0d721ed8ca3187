"""Composite index against R survey 4.1 (refdata composite_index) and the pipeline's rules.

Fixtures in fixtures/index/ are copies of ../shared/refdata (apistrat.csv, composite_spi_synthetic.csv and
the composite_index section of reference.json), produced by make_reference.R with R 4.2.2 / survey 4.1-1.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from questionnaires.profile import ScoringProfile
from scoring.examples import tiny_profile, tiny_questionnaire
from scoring.index import (
    campaign_difference,
    combine_groups,
    compute_index,
    estimate_groups,
    index_from_scores,
)

FIX = Path(__file__).parent / "fixtures" / "index"
REF = json.loads((FIX / "composite_reference.json").read_text())["composite_index"]
REL = 1e-6


def _apistrat() -> pd.DataFrame:
    df = pd.read_csv(FIX / "apistrat.csv")
    df["score"] = (df["api00"] - 200) / 8
    return df


def _spi() -> pd.DataFrame:
    return pd.read_csv(FIX / "composite_spi_synthetic.csv")


def _api_groups(method: str = "linearization", fpc: str | None = "fpc", **kw: object) -> pd.DataFrame:
    g = estimate_groups(
        _apistrat(),
        ["score"],
        by=[],
        group="stype",
        weight="pw",
        strata=["stype"],
        fpc=fpc,
        method=method,
        **kw,  # type: ignore[arg-type]
    )
    return g


def test_apistrat_group_means_and_ses_match_r() -> None:
    ref = REF["apistrat"]
    t = _api_groups().table.set_index("stype")
    for g in ("E", "H", "M"):
        assert t.loc[g, "estimate"] == pytest.approx(ref["group_means"][g], rel=REL)
        assert t.loc[g, "se"] == pytest.approx(ref["group_se_lin"][g], rel=REL)
        assert t.loc[g, "n"] == ref["group_n"][g]
        assert t.loc[g, "df"] == ref["group_n"][g] - 1


def test_apistrat_composite_linearized_matches_r() -> None:
    ref = REF["apistrat"]
    c = combine_groups(_api_groups().table, ref["group_weights"], group="stype").iloc[0]
    assert c["estimate"] == pytest.approx(ref["index"], rel=REL)
    assert c["se"] == pytest.approx(ref["lin"]["se_svycontrast"], rel=REL)
    assert c["df"] == pytest.approx(ref["lin"]["df_welch_satterthwaite"], rel=REL)
    assert [c["ci_low"], c["ci_high"]] == pytest.approx(ref["lin"]["ci_t_ws"], rel=REL)
    assert bool(c["complete"])
    assert c["n"] == 200


def test_spi_synthetic_composites_match_r() -> None:
    ref = REF["spi_synthetic"]
    g = estimate_groups(_spi(), ["item_score"], by=["institution"], strata=["institution"], fpc=None)
    c = combine_groups(g.table, ref["group_weights"], ["institution"]).set_index("institution")
    for inst, r in ref["institutions"].items():
        assert c.loc[inst, "estimate"] == pytest.approx(r["index"], rel=REL)
        assert c.loc[inst, "se"] == pytest.approx(r["se_lin"], rel=REL)
        assert c.loc[inst, "df"] == pytest.approx(r["df_welch_satterthwaite"], rel=REL)
        assert [c.loc[inst, "ci_low"], c.loc[inst, "ci_high"]] == pytest.approx(r["ci_t_ws"], rel=REL)
    gt = g.table.set_index(["institution", "group"])
    for inst, r in ref["institutions"].items():
        for grp, se in r["group_se_lin"].items():
            assert gt.loc[(inst, grp), "se"] == pytest.approx(se, rel=REL)


def _profile(weights: dict[str, float], min_n: int = 5, min_cell: int = 3) -> ScoringProfile:
    base = tiny_profile(min_respondents_per_group=min_n, min_cell=min_cell).to_dict()
    base["group_weights"] = weights
    return ScoringProfile.from_dict(base)


def test_pipeline_from_scores_matches_r_and_bootstrap_is_within_sampling_error() -> None:
    ref = REF["spi_synthetic"]
    data = _spi().rename(columns={"item_score": "score"})
    profile = _profile(ref["group_weights"])
    lin, _, _ = index_from_scores(data, profile, (), ["institution"], design_columns={"stratum": None})
    boot, groups, _ = index_from_scores(
        data,
        profile,
        (),
        ["institution"],
        method="bootstrap",
        replicates=3000,
        seed=11,
        design_columns={"stratum": None},
    )
    lin, boot = lin.set_index("institution"), boot.set_index("institution")
    for inst, r in ref["institutions"].items():
        assert lin.loc[inst, "se"] == pytest.approx(r["se_lin"], rel=REL)
        assert lin.loc[inst, "df"] == pytest.approx(r["df_welch_satterthwaite"], rel=REL)
        assert boot.loc[inst, "estimate"] == pytest.approx(r["index"], rel=REL)
        # Rao-Wu (n-1) bootstrap: R's 10,000-replicate SE; relative sampling error of an SD from 3,000
        # replicates is about 1/sqrt(6000) = 1.3 %, so 5 % is almost 4 standard errors.
        assert boot.loc[inst, "se"] == pytest.approx(r["boot_raowu_se"], rel=0.05)
    assert (groups["published"]).all()


def test_bootstrap_with_and_without_fpc_on_apistrat() -> None:
    ref = REF["apistrat"]
    w = ref["group_weights"]
    nofpc = _api_groups("bootstrap", fpc=None, replicates=3000, seed=5)
    c = combine_groups(nofpc.table, w, group="stype", replicates=nofpc.replicates).iloc[0]
    assert c["se"] == pytest.approx(ref["boot_raowu"]["se"], rel=0.05)
    assert c["se"] == pytest.approx(ref["lin_nofpc_se"], rel=0.05)
    withfpc = _api_groups("bootstrap", replicates=3000, seed=5)
    c2 = combine_groups(withfpc.table, w, group="stype", replicates=withfpc.replicates).iloc[0]
    assert c2["se"] == pytest.approx(ref["lin"]["se_formula"], rel=0.05)
    assert c2["se"] < c["se"]  # the same draws, shrunk by sqrt(1 - f_h)
    again = _api_groups("bootstrap", replicates=3000, seed=5)
    np.testing.assert_array_equal(again.replicates, withfpc.replicates)


def _responses(n_int: int = 40, n_ext: int = 30, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_int + n_ext
    return pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(n)],
            "campaign": "c2024",
            "group": ["internal"] * n_int + ["external"] * n_ext,
            "unit": rng.choice(["u1", "u2"], n),
            "stratum": "s",
            "weight": rng.uniform(1, 3, n).round(2),
            "open_access": "false",
            "t1": rng.choice(list("12345"), n),
            "t2": rng.choice([*"2345", "dk"], n),
            "b1": rng.choice(["n", "n", "y", "na"], n),
            "b2": rng.choice(["n", "y", "dk"], n),
        }
    )


QS = [tiny_questionnaire("internal"), tiny_questionnaire("external")]


def test_missing_group_is_flagged_and_weights_renormalised() -> None:
    r = compute_index(_responses(), QS, _profile({"internal": 0.5, "external": 0.3, "expert": 0.2}))
    row = r.index.iloc[0]
    assert row["institution"] == "c2024"  # no institution column: the campaign is one institution
    assert row["missing_groups"] == "expert"
    assert not row["complete"]
    g = r.groups.set_index("group")
    expected = (0.5 * g.loc["internal", "estimate"] + 0.3 * g.loc["external", "estimate"]) / 0.8
    assert row["estimate"] == pytest.approx(expected)


def test_minimum_n_and_small_cells_are_withheld_everywhere() -> None:
    df = _responses(n_int=40, n_ext=8)
    r = compute_index(
        df, QS, _profile({"internal": 0.5, "external": 0.5}, min_n=10, min_cell=5), by=["institution", "unit"]
    )
    g = r.groups
    ext = g[g["group"] == "external"]
    assert ext["estimate"].isna().all()
    assert not ext["published"].any()
    assert ext["note"].str.contains("not published|suppressed").all()
    # The external group's weight goes to internal: each unit's index equals its internal sub-index.
    idx = r.index.set_index("unit")
    internal = g[g["group"] == "internal"].set_index("unit")
    for unit in idx.index:
        if internal.loc[unit, "published"]:
            assert idx.loc[unit, "estimate"] == pytest.approx(internal.loc[unit, "estimate"])
            assert idx.loc[unit, "missing_groups"] == "external"
    small = r.dimensions[(r.dimensions["n"] < 5)]
    assert small[["estimate", "se", "ci_low", "ci_high"]].isna().all().all()
    assert small["suppressed"].all()


def test_dimension_scores_per_unit_have_cis_and_a_combined_row() -> None:
    r = compute_index(
        _responses(200, 150), QS, _profile({"internal": 0.6, "external": 0.4}), by=["institution", "unit"]
    )
    d = r.dimensions
    assert set(d["group"]) == {"internal", "external", "all"}
    assert set(d["dimension"]) == {"transparansi", "integritas_pelaksanaan_tugas"}
    assert (d["ci_low"] < d["estimate"]).all()
    assert (d["estimate"] < d["ci_high"]).all()
    one = d[(d["unit"] == "u1") & (d["dimension"] == "transparansi")].set_index("group")
    combined = 0.6 * one.loc["internal", "estimate"] + 0.4 * one.loc["external", "estimate"]
    assert one.loc["all", "estimate"] == pytest.approx(combined)


def test_corrections_category_and_target() -> None:
    df = _responses(200, 150)
    profile = _profile({"internal": 0.6, "external": 0.4})
    plain = compute_index(df, QS, profile, target=60).index.iloc[0]
    cases = pd.DataFrame(
        {"institution": ["c2024", "c2024"], "rule": ["complaints", "cases"], "cases": [4, 1]}
    )
    corr = compute_index(df, QS, profile, target=60, corrections=cases).index.iloc[0]
    assert corr["correction"] == pytest.approx(4.0)  # 0.5*4 + 2*1, within the cap of 4
    assert corr["estimate"] == pytest.approx(plain["estimate"] - 4.0)
    assert corr["se"] == pytest.approx(plain["se"])
    assert corr["uncorrected"] == pytest.approx(plain["estimate"])
    assert corr["prob_at_least_target"] < plain["prob_at_least_target"]
    assert corr["category"] == profile.category_of(corr["estimate"]).id  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="not in profile tiny"):
        compute_index(df, QS, profile, corrections=cases.assign(rule="audit"))
    with pytest.raises(ValueError, match="corrections apply to institutions"):
        compute_index(df, QS, profile, corrections=cases, by=["institution", "unit"])


def test_open_access_responses_are_unweighted_in_their_own_stratum() -> None:
    df = _responses(60, 40)
    df.loc[df["group"] == "external", "open_access"] = "true"
    df.loc[df["group"] == "external", "weight"] = np.nan  # open links carry no weight
    r = compute_index(df, QS, _profile({"internal": 0.5, "external": 0.5}))
    ext = r.groups.set_index("group").loc["external"]
    scores = r.scored.data if r.scored is not None else None
    assert scores is not None
    plain_mean = scores.loc[scores["group"] == "external", "score"].mean()
    assert ext["estimate"] == pytest.approx(plain_mean)
    df.loc[0, "weight"] = np.nan  # an invited response without a weight is an error
    with pytest.raises(ValueError, match=r"row 1: .* is not a positive number"):
        compute_index(df, QS, _profile({"internal": 0.5, "external": 0.5}))


def test_campaign_difference_uses_both_variances() -> None:
    p = _profile({"internal": 0.6, "external": 0.4})
    a = compute_index(_responses(200, 150, seed=1), QS, p).index
    b = compute_index(_responses(200, 150, seed=2), QS, p).index
    d = campaign_difference(a, b).iloc[0]
    assert d["estimate"] == pytest.approx(a["estimate"].iloc[0] - b["estimate"].iloc[0])
    assert d["se"] == pytest.approx(np.hypot(a["se"].iloc[0], b["se"].iloc[0]))
    assert min(a["df"].iloc[0], b["df"].iloc[0]) < d["df"] < a["df"].iloc[0] + b["df"].iloc[0]


def test_questionnaire_matching_by_hash_and_errors() -> None:
    df = _responses()
    p = _profile({"internal": 0.5, "external": 0.5})
    v2 = tiny_questionnaire("internal", version="2")
    df["questionnaire_hash"] = np.where(df["group"] == "internal", v2.content_hash, "")
    r = compute_index(df, [QS[0], v2, QS[1]], p)
    assert set(r.item_counts["version"]) == {"1", "2"}
    assert r.item_counts.groupby("version")["n"].first().to_dict() == {"1": 30, "2": 40}
    with pytest.raises(ValueError, match=r"group 'expert'.*no questionnaire was given"):
        compute_index(df.assign(group="expert"), QS, p)
    df.loc[0, "questionnaire_hash"] = QS[1].content_hash
    with pytest.raises(ValueError, match="row 1 is in group 'internal' but its questionnaire_hash belongs"):
        compute_index(df, QS, p)
