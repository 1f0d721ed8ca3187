"""Every case of R's reference results (fixtures/reference.json, survey 4.1-1) reproduced.

Linearization and jackknife cases, and replicate cases with R's exported replicate weights, must
agree to 1e-6 relative in estimate, SE, df and both CI limits (``ci_t_*``: the Wald t interval;
svyciprop and svyquantile: R's own interval, ``ci_lower/ci_upper``).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from scoring.ciprop import svyciprop
from scoring.design import SurveyDesign, svrepdesign, svydesign
from scoring.estimators import svycontrast, svymean, svyratio, svytotal
from scoring.quantiles import svyquantile

FIXTURES = Path(__file__).parent / "fixtures"
REFERENCE = json.loads((FIXTURES / "reference.json").read_text())
CASES: list[dict[str, Any]] = REFERENCE["cases"]
REL = 1e-6


@cache
def data(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / f"{name}.csv")


@cache
def linear_design(key: str) -> SurveyDesign:
    srs, strat = data("apisrs"), data("apistrat")
    clus1, clus2 = data("apiclus1"), data("apiclus2")
    builders = {
        "srs_fpc": lambda: svydesign(srs, fpc="fpc"),
        "srs_wt": lambda: svydesign(srs, weights="pw"),
        "srs_unw": lambda: svydesign(srs),
        "strat_fpc": lambda: svydesign(strat, strata="stype", weights="pw", fpc="fpc"),
        "strat_nofpc": lambda: svydesign(strat, strata="stype", weights="pw"),
        "clus1": lambda: svydesign(clus1, ids="dnum", weights="pw", fpc="fpc"),
        "clus1_nofpc": lambda: svydesign(clus1, ids="dnum", weights="pw"),
        "clus2": lambda: svydesign(clus2, ids=["dnum", "snum"], fpc=["fpc1", "fpc2"]),
    }
    if key == "clus2_wr":
        d2 = linear_design("clus2")
        return svydesign(clus2.assign(w2=np.asarray(d2.weights)), ids="dnum", weights="w2")
    return builders[key]()


@cache
def replicate_design(key: str) -> SurveyDesign:
    if key == "clus1_jk1_mse":
        meta = dict(REFERENCE["replicate_designs"]["clus1_jk1"], mse=True)
    else:
        meta = REFERENCE["replicate_designs"][key]
    rw = pd.read_csv(FIXTURES / meta["weights_csv"])
    base = data(meta["dataset"]).reset_index(drop=True)
    reps = [c for c in rw.columns if c.startswith("rep")]
    frame = pd.concat([base, rw[["pw", *reps]].rename(columns={"pw": "_pw"})], axis=1)
    return svrepdesign(
        frame,
        repweights=reps,
        weights="_pw",
        type=meta["type"],
        scale=meta["scale"],
        rscales=meta["rscales"],
        mse=bool(meta["mse"]),
    )


def design_for(key: str) -> SurveyDesign:
    if key in REFERENCE["replicate_designs"] or key == "clus1_jk1_mse":
        return replicate_design(key)
    return linear_design(key)


def _row(frame: pd.DataFrame, col: str | None, term: str) -> pd.Series:
    if col is None:
        assert len(frame) == 1
        return frame.iloc[0]
    hit = frame[frame[col].astype(str) == term]
    assert len(hit) == 1, f"no single row with {col}={term!r} in\n{frame}"
    return hit.iloc[0]


def compute(case: dict[str, Any]) -> tuple[pd.Series, str]:
    """Our result row for a case, and which reference CI it is compared with."""
    key, stat = case["id"].split(":", 1)
    m = re.fullmatch(r"(?P<name>[^\[]+)(\[(?P<term>.*)\])?", stat)
    assert m
    name, term = m["name"], m["term"]
    d = design_for(key)
    if name in ("mean_api00", "mean_api00_deff"):
        return _row(svymean(d, "api00", deff=True), None, ""), "t"
    if name == "mean_alive":
        return _row(svymean(d, "alive"), None, ""), "t"
    if name == "total_enroll":
        return _row(svytotal(d, "enroll"), None, ""), "t"
    if name == "total_arrests":
        return _row(svytotal(d, "arrests"), None, ""), "t"
    if name == "ratio_apistu_enroll":
        return _row(svyratio(d, "api.stu", "enroll"), None, ""), "t"
    if name == "ratio_alive_arrests":
        return _row(svyratio(d, "alive", "arrests"), None, ""), "t"
    if name == "mean_schwide":
        return _row(svymean(d, "sch.wide"), "level", term.removeprefix("sch.wide")), "t"
    if name == "svyby_mean_api00_by_stype":
        return _row(svymean(d, "api00", by="stype"), "stype", term), "t"
    if name == "svyby_mean_api00_by_schwide":
        return _row(svymean(d, "api00", by="sch.wide"), "sch.wide", term), "t"
    if name == "svyby_total_enroll_by_stype":
        return _row(svytotal(d, "enroll", by="stype"), "stype", term), "t"
    if name == "mean_api00_api99":
        return _row(svymean(d, ["api00", "api99"]), "variable", term), "t"
    if name == "contrast_api00_minus_api99":
        return _row(svycontrast(d, {"api00": 1, "api99": -1}, ["api00", "api99"]), None, ""), "t"
    cp = re.fullmatch(r"ciprop_(schwide_yes|ell0)_(\w+?)(?:_neff_(t|z))?", name)
    if cp:
        var, method, crit = cp.groups()
        frame = d.data.copy().assign(_ell0=(d.data["ell"] == 0).astype(float))
        dd = SurveyDesign(frame, d.weights, d.stages, d.lonely_psu, d.replicates)
        if var == "schwide_yes":
            res = svyciprop(dd, "sch.wide", success="Yes", method=method, critical=crit or "t")
        else:
            res = svyciprop(dd, "_ell0", method=method, critical=crit or "t")
        return _row(res, None, ""), "r"
    q = re.fullmatch(r"quantile_api00_p(\d+)_(\w+)_(mean|beta)", name)
    if q:
        res = svyquantile(d, "api00", int(q[1]) / 100, qrule=q[2], interval_type=q[3])
        return _row(res, None, ""), "r"
    raise AssertionError(f"no mapping for case {case['id']}")


def close(ours: float, ref: float | None, what: str, case_id: str) -> None:
    assert ref is not None, f"{case_id}: reference {what} is null"
    assert ours == pytest.approx(ref, rel=REL, abs=1e-12), f"{case_id}: {what} {ours!r} != R {ref!r}"


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in CASES])
def test_reference_case(case: dict[str, Any]) -> None:
    row, ci_kind = compute(case)
    cid = case["id"]
    close(float(row["estimate"]), case["estimate"], "estimate", cid)
    close(float(row["se"]), case["se"], "se", cid)
    assert int(row["df"]) == case["df"], f"{cid}: df {row['df']} != R {case['df']}"
    lo, hi = ("ci_t_lower", "ci_t_upper") if ci_kind == "t" else ("ci_lower", "ci_upper")
    close(float(row["ci_low"]), case[lo], "ci_low", cid)
    close(float(row["ci_high"]), case[hi], "ci_high", cid)
    if "deff" in case:
        close(float(row["deff"]), case["deff"], "deff", cid)


def test_all_cases_are_covered() -> None:
    assert len(CASES) == 152
