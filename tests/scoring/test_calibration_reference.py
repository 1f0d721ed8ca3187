"""Calibrated designs reproduce R ``survey`` 4.1 (fixtures/calibration_reference.json) to 1e-6.

The designs are built here the way ``make_calibration_reference.R`` builds them in R: post-stratification,
raking and linear calibration on the ``api`` data, and on a seeded synthetic SPI sample the nonresponse
adjustment within strata and cells, alone and followed by post-stratification, raking or GREG.
``test_r_regenerates_the_reference`` re-runs the R script (where R and ``survey`` are installed) and
checks that it still writes the committed numbers.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from scoring.calibration import (
    adjust_nonresponse,
    calibrate,
    nonresponse_totals,
    poststratify,
    read_margins,
)
from scoring.design import SurveyDesign, svydesign
from scoring.estimators import svymean, svytotal

FIXTURES = Path(__file__).parent / "fixtures"
REFERENCE = json.loads((FIXTURES / "calibration_reference.json").read_text())
TOL = 1e-6


def _api(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / f"{name}.csv")


def _spi() -> tuple[pd.DataFrame, pd.DataFrame]:
    sample = pd.read_csv(FIXTURES / "spi_calibration_sample.csv")
    sample["base_weight"] = sample["N_h"] / sample["n_h"]
    resp = sample[sample["responded"] == 1].reset_index(drop=True)
    resp["cell"] = resp["institution"] + " " + resp["group"]
    return sample, resp


def _spi_nonresponse(resp: pd.DataFrame) -> SurveyDesign:
    d = svydesign(resp, strata="stratum", weights="base_weight", fpc="N_h")
    return calibrate(d, read_margins(FIXTURES / "spi_margins_stratum.csv"), "poststratify")


@cache
def design(key: str) -> SurveyDesign:
    """The design named ``key`` in the reference, built with scoring.calibration."""
    if key.startswith("strat_"):
        base = svydesign(_api("apistrat"), strata="stype", fpc="fpc")
    elif key.startswith("clus1_"):
        base = svydesign(_api("apiclus1"), ids="dnum", weights="pw", fpc="fpc")
    elif key.startswith("srs_"):
        base = svydesign(_api("apisrs"), fpc="fpc")
    else:
        _sample, resp = _spi()
        base = svydesign(resp, strata="stratum", weights="base_weight", fpc="N_h")
    builders = {
        "strat_ps_stype": lambda: calibrate(
            base, read_margins(FIXTURES / "api_margins_stype.csv"), "poststratify"
        ),
        "clus1_ps_stype": lambda: calibrate(
            base, read_margins(FIXTURES / "api_margins_stype.csv"), "poststratify"
        ),
        "clus1_rake": lambda: calibrate(base, read_margins(FIXTURES / "api_margins_rake.csv"), "rake"),
        "clus1_linear": lambda: calibrate(base, read_margins(FIXTURES / "api_margins_linear.csv"), "linear"),
        "srs_linear_api99": lambda: calibrate(
            base,
            pd.DataFrame(
                {"variable": ["(Intercept)", "api99"], "level": ["", ""], "total": [6194.0, 3914069.0]}
            ),
            "linear",
        ),
        "spi_nonresponse": lambda: _spi_nonresponse(base.data),
        "spi_nonresponse_cells": lambda: adjust_nonresponse(
            base,
            "cell",
            nonresponse_totals(
                _spi()[0].assign(cell=lambda s: s["institution"] + " " + s["group"]), "cell", "base_weight"
            ),
        ),
        "spi_nr_then_ps_sex": lambda: poststratify(
            _spi_nonresponse(base.data),
            "sex",
            read_margins(FIXTURES / "spi_margins_linear.csv")
            .query("level != ''")
            .set_index("level")["total"]
            .to_dict(),
        ),
        "spi_rake": lambda: calibrate(base, read_margins(FIXTURES / "spi_margins_rake.csv"), "rake"),
        # The sex margins imply the population size, so the intercept needs no row of its own.
        "spi_nr_then_linear": lambda: calibrate(
            _spi_nonresponse(base.data), read_margins(FIXTURES / "spi_margins_linear.csv"), "linear"
        ),
    }
    return builders[key]()


def _close(ours: float, ref: float, what: str) -> None:
    assert math.isclose(ours, ref, rel_tol=TOL, abs_tol=TOL * 1e-3), f"{what}: ours {ours!r}, R {ref!r}"


@pytest.mark.parametrize("key", sorted(REFERENCE["designs"]))
def test_weights_match_r(key: str) -> None:
    ref = np.asarray(REFERENCE["designs"][key]["weights"], dtype=float)
    ours = design(key).weights
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, rtol=TOL, atol=0)


def _case_id(case: dict[str, Any]) -> str:
    parts = [case["design"], case["statistic"], case["variable"]]
    if case.get("by"):
        parts.append(f"{case['by']}={case['domain']}")
    if case.get("level"):
        parts.append(str(case["level"]))
    return "/".join(parts)


@pytest.mark.parametrize("case", REFERENCE["cases"], ids=_case_id)
def test_estimate_and_se_match_r(case: dict[str, Any]) -> None:
    d = design(case["design"])
    fun = svymean if case["statistic"] == "mean" else svytotal
    res = fun(d, case["variable"], by=case.get("by"))
    if case.get("by"):
        res = res[res[case["by"]].astype(str) == case["domain"]]
    if case.get("level"):
        res = res[res["level"] == case["level"]]
    assert len(res) == 1, f"{_case_id(case)}: {len(res)} rows"
    row = res.iloc[0]
    _close(float(row["estimate"]), case["estimate"], f"{_case_id(case)} estimate")
    _close(float(row["se"]), case["se"], f"{_case_id(case)} se")
    assert int(row["df"]) == case["df"]


def test_every_kind_of_adjustment_is_covered() -> None:
    calls = " ".join(d["r_call"] for d in REFERENCE["designs"].values())
    for needle in ("postStratify", "rake(", 'calfun="linear"', "N_h)"):
        assert needle in calls
    assert len(REFERENCE["cases"]) >= 100


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R (Rscript) is not installed")
def test_r_regenerates_the_reference(tmp_path: Path) -> None:
    probe = subprocess.run(
        ["Rscript", "-e", "library(survey); library(jsonlite)"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip("R packages survey/jsonlite are not installed")
    subprocess.run(
        ["Rscript", str(FIXTURES / "make_calibration_reference.R"), str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    fresh = json.loads((tmp_path / "calibration_reference.json").read_text())
    assert len(fresh["cases"]) == len(REFERENCE["cases"])
    for new, old in zip(fresh["cases"], REFERENCE["cases"], strict=True):
        assert (new["design"], new["domain"]) == (old["design"], old["domain"])
        _close(new["estimate"], old["estimate"], _case_id(old))
        _close(new["se"], old["se"], _case_id(old))
    for name in ("spi_calibration_sample.csv", "spi_margins_rake.csv", "api_margins_linear.csv"):
        assert (tmp_path / name).read_text() == (FIXTURES / name).read_text(), name
