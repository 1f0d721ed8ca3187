"""A group calibrated inside the index (``estimate_groups(..., calibration=...)``) gives R survey's estimates
and SEs: ``svyby(~score, ~unit, calibrate/postStratify/rake(svydesign(<the group's rows>)), svymean)``;
the other groups are as without calibration."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoring.index.groups import estimate_groups

R_SCRIPT = r"""
suppressMessages({library(survey); library(jsonlite)})
options(survey.lonely.psu = "adjust")
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
d$sex <- factor(d$sex); d$rank <- factor(d$rank)
des <- svydesign(id = ~1, strata = ~unit, weights = ~w, fpc = ~N, data = d)
out <- list()
ps <- postStratify(des, ~sex, data.frame(sex = c("F", "M"), Freq = c(700, 560)))
rk <- rake(des, list(~sex, ~rank), list(data.frame(sex = c("F", "M"), Freq = c(700, 560)),
                                        data.frame(rank = c("III", "IV"), Freq = c(900, 360))))
ln <- calibrate(des, ~sex + years, c(`(Intercept)` = 1260, sexM = 560, years = 12600), calfun = "linear")
for (nm in c("poststratify", "rake", "linear")) {
  cal <- list(poststratify = ps, rake = rk, linear = ln)[[nm]]
  b <- svyby(~score, ~unit, cal, svymean, na.rm = TRUE)
  whole <- svymean(~score, cal, na.rm = TRUE)
  out[[nm]] <- list(unit = as.character(b$unit), estimate = as.numeric(coef(b)), se = as.numeric(SE(b)),
                    all = as.numeric(coef(whole)), all_se = as.numeric(SE(whole)))
}
cat(toJSON(out, digits = NA))
"""

MARGINS = {
    "poststratify": pd.DataFrame({"variable": "sex", "level": ["F", "M"], "total": [700.0, 560.0]}),
    "rake": pd.DataFrame(
        {
            "variable": ["sex", "sex", "rank", "rank"],
            "level": ["F", "M", "III", "IV"],
            "total": [700.0, 560.0, 900.0, 360.0],
        }
    ),
    "linear": pd.DataFrame(
        {"variable": ["sex", "sex", "years"], "level": ["F", "M", ""], "total": [700.0, 560.0, 12600.0]}
    ),
}


def _data() -> pd.DataFrame:
    rng = np.random.default_rng(13)
    sizes = {"A": (900, 60), "B": (360, 40)}
    rows = []
    for unit, (big_n, n) in sizes.items():
        for _ in range(n):
            sex = rng.choice(["F", "M"], p=[0.65, 0.35])
            rows.append(
                {
                    "institution": "KOTA",
                    "unit": unit,
                    "group": "internal",
                    "sex": sex,
                    "rank": rng.choice(["III", "IV"], p=[0.6, 0.4]),
                    "years": float(rng.integers(1, 25)),
                    "score": float(np.clip(rng.normal(72 if sex == "F" else 64, 12), 0, 100)),
                    "weight": big_n / n,
                    "fpc": float(big_n),
                    "stratum": unit,
                }
            )
    internal = pd.DataFrame(rows)
    internal.loc[3, "score"] = np.nan  # one unscored respondent drops out of the estimate only
    external = internal.head(30).assign(group="external", weight=1.0, fpc=np.nan)
    return pd.concat([internal, external], ignore_index=True)


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R (Rscript) is not installed")
@pytest.mark.parametrize("how", ["poststratify", "rake", "linear"])
def test_a_calibrated_group_equals_r_survey(how: str, tmp_path: Path) -> None:
    probe = subprocess.run(
        ["Rscript", "-e", "library(survey); library(jsonlite)"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip(f"R packages survey and jsonlite are not installed: {probe.stderr.strip()[:200]}")
    data = _data()
    internal = data[data["group"] == "internal"].rename(columns={"weight": "w", "fpc": "N"})
    csv = tmp_path / "internal.csv"
    internal.to_csv(csv, index=False, na_rep="NA")
    script = tmp_path / "calibrate.R"
    script.write_text(R_SCRIPT)
    done = subprocess.run(
        ["Rscript", str(script), str(csv)], capture_output=True, text=True, check=True, timeout=120
    )
    reference = json.loads(done.stdout)[how]
    calibration = {"internal": (how, MARGINS[how])}
    by_unit = estimate_groups(data, ["score"], by=["institution", "unit"], calibration=calibration).table
    got = by_unit[by_unit["group"] == "internal"].set_index("unit")
    for unit, estimate, se in zip(reference["unit"], reference["estimate"], reference["se"], strict=True):
        assert got.loc[unit, "estimate"] == pytest.approx(estimate, abs=1e-6)
        assert got.loc[unit, "se"] == pytest.approx(se, abs=1e-6)
    whole = estimate_groups(data, ["score"], by=["institution"], calibration=calibration).table
    row = whole[whole["group"] == "internal"].iloc[0]
    assert row["estimate"] == pytest.approx(reference["all"][0], abs=1e-6)
    assert row["se"] == pytest.approx(reference["all_se"][0], abs=1e-6)
    # The uncalibrated group is as without calibration.
    plain = estimate_groups(data, ["score"], by=["institution"]).table
    assert (
        whole[whole["group"] == "external"]["se"].tolist()
        == plain[plain["group"] == "external"]["se"].tolist()
    )
    # And the calibration changed the internal estimate (the margins differ from the sample's mix).
    assert row["estimate"] != pytest.approx(plain[plain["group"] == "internal"]["estimate"].iloc[0], abs=1e-6)


def test_calibration_refuses_the_bootstrap() -> None:
    with pytest.raises(ValueError, match="linearization"):
        estimate_groups(
            _data(),
            ["score"],
            method="bootstrap",
            calibration={"internal": ("poststratify", MARGINS["poststratify"])},
        )
