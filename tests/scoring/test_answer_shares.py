"""Question-level answer shares (:func:`scoring.index.answers.answer_shares`) against R's survey package,
run live: ``svyciprop(~I(x == "code"), subset(design, unit == u & !is.na(x)), method = "beta")`` on a
stratified design with weights and a finite population correction (each unit's own respondents and
degrees of freedom, as the index has them). Skips where R or its survey package is missing."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoring.index.answers import answer_shares

R_SCRIPT = r"""
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE, na.strings = "")
des <- svydesign(id = ~1, strata = ~stratum, weights = ~weight, fpc = ~fpc, data = d)
out <- list()
for (u in c("A", "B")) for (code in c("y", "n", "dk")) {
  sub <- subset(des, unit == u & !is.na(saw))
  r <- svyciprop(as.formula(sprintf("~I(saw == '%s')", code)), sub, method = "beta")
  ci <- attr(r, "ci")
  out[[length(out) + 1]] <- list(unit = u, answer = code, estimate = as.numeric(r),
                                 se = as.numeric(sqrt(attr(r, "var"))), ci_low = ci[[1]], ci_high = ci[[2]])
}
cat(jsonlite::toJSON(out, auto_unbox = TRUE, digits = 15))
"""


def _data() -> pd.DataFrame:
    rng = np.random.default_rng(17)
    n = 90
    unit = np.repeat(["A", "B"], n // 2)
    stratum = np.where(rng.random(n) < 0.5, "s1", "s2")
    stratum = np.char.add(unit.astype(str), stratum)
    sizes = {"As1": 120, "As2": 80, "Bs1": 200, "Bs2": 60}
    counts = pd.Series(stratum).value_counts()
    weight = np.array([sizes[s] / counts[s] for s in stratum])
    saw = rng.choice(["y", "n", "n", "n", "dk"], n).astype(object)
    saw[rng.random(n) < 0.1] = None  # not asked
    return pd.DataFrame(
        {"unit": unit, "stratum": stratum, "weight": weight, "fpc": [sizes[s] for s in stratum], "saw": saw}
    )


def _r_available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(
        ["Rscript", "-e", "library(survey); library(jsonlite)"], capture_output=True, check=False
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _r_available(), reason="R with the survey and jsonlite packages is not installed")
def test_answer_shares_match_r_svyciprop_beta(tmp_path: Path) -> None:
    data = _data()
    csv = tmp_path / "d.csv"
    data.to_csv(csv, index=False)
    script = tmp_path / "shares.R"
    script.write_text(R_SCRIPT)
    done = subprocess.run(["Rscript", str(script), str(csv)], capture_output=True, text=True, check=True)
    expected = pd.DataFrame(json.loads(done.stdout))
    got = answer_shares(data, {"saw": ["y", "n", "dk"]}, by=["unit"], open_access=None)
    merged = got.merge(expected, on=["unit", "answer"], suffixes=("", "_r"))
    assert len(merged) == 6
    for column in ("estimate", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(merged[column] / 100, merged[f"{column}_r"], rtol=1e-6, atol=1e-9)
    # n is the respondents who answered, per unit.
    assert (
        got.groupby("unit")["n"].first().to_dict()
        == data.dropna(subset=["saw"]).groupby("unit").size().to_dict()
    )


def test_a_share_of_zero_or_all_gets_the_exact_binomial_bounds() -> None:
    data = pd.DataFrame({"unit": ["a"] * 10, "weight": 1.0, "saw": ["n"] * 10})
    got = answer_shares(data, {"saw": ["y", "n"]}, by=["unit"]).set_index("answer")
    # Clopper–Pearson for 0 of 10 and 10 of 10 at 95 %: 1 - 0.025 ** (1/10) = 0.3085.
    assert got.loc["y", "ci_low"] == 0.0
    assert got.loc["y", "ci_high"] == pytest.approx(100 * (1 - 0.025**0.1))
    assert got.loc["n", "ci_low"] == pytest.approx(100 * 0.025**0.1)
    assert got.loc["n", "ci_high"] == 100.0


def test_unknown_columns_are_named() -> None:
    with pytest.raises(ValueError, match="column\\(s\\) nope not found"):
        answer_shares(pd.DataFrame({"unit": ["a"]}), {"nope": ["y"]}, by=["unit"])
