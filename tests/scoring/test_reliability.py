"""Cronbach's alpha and item-rest correlations pinned to R psych 2.2.9 (R 4.2.2) on R's attitude data.

Reference values come from (fixtures/index/attitude.csv is ``write.csv(attitude)``)::

    library(psych); a <- psych::alpha(attitude, check.keys = FALSE)
    a$total$raw_alpha; a$item.stats$r.drop; a$alpha.drop$raw_alpha
    n <- 30; k <- 7; al <- a$total$raw_alpha
    1 - (1 - al) * qf(c(0.975, 0.025), n - 1, (n - 1) * (k - 1))      # Feldt CI, as pingouin
    y <- attitude; y[1, 2] <- NA; y[5, 4] <- NA; y[9, 7] <- NA; y[12, 1] <- NA
    psych::alpha(y)$total$raw_alpha                   # pairwise (psych's default)
    psych::alpha(na.omit(y))$total$raw_alpha          # listwise; and its item.stats$r.drop
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoring.reliability import cronbach_alpha, item_rest

ATTITUDE = pd.read_csv(Path(__file__).parent / "fixtures" / "index" / "attitude.csv")
ALPHA = 0.843142769564760
FELDT = (0.739375685643107, 0.915773072159982)
R_DROP = [
    0.671262057223664,
    0.742109710222238,
    0.560711111480256,
    0.714445498133676,
    0.786275593834400,
    0.265034339196676,
    0.460810549468496,
]
ALPHA_DROP = [
    0.809760206308921,
    0.796917457274140,
    0.827847765938659,
    0.803030975022574,
    0.795386574198205,
    0.863872311446437,
    0.840464868265457,
]
PAIRWISE_ALPHA = 0.850845893164819
LISTWISE_ALPHA = 0.853383494911494
LISTWISE_R_DROP = [
    0.661284631792138,
    0.711500243498586,
    0.537328807820409,
    0.699157508413221,
    0.786774344364942,
    0.356334279476853,
    0.564316669287051,
]


def _with_holes() -> pd.DataFrame:
    y = ATTITUDE.astype(float)
    for row, col in ((0, 1), (4, 3), (8, 6), (11, 0)):
        y.iloc[row, col] = np.nan
    return y


def test_alpha_and_feldt_interval_match_psych() -> None:
    a = cronbach_alpha(ATTITUDE)
    assert a.alpha == pytest.approx(ALPHA, rel=1e-12)
    assert (a.ci_low, a.ci_high) == pytest.approx(FELDT, rel=1e-10)
    assert (a.n, a.k) == (30, 7)


def test_item_rest_matches_psych_r_drop_and_alpha_drop() -> None:
    t = item_rest(ATTITUDE)
    np.testing.assert_allclose(t["r_rest"], R_DROP, rtol=1e-10)
    np.testing.assert_allclose(t["alpha_if_dropped"], ALPHA_DROP, rtol=1e-10)
    # The definition, checked directly: correlation of each item with the sum of the others.
    rest = ATTITUDE.drop(columns="critical").sum(axis=1)
    assert t.loc["critical", "r_rest"] == pytest.approx(np.corrcoef(ATTITUDE["critical"], rest)[0, 1])


def test_missing_data_policies() -> None:
    y = _with_holes()
    listwise = cronbach_alpha(y)
    assert listwise.alpha == pytest.approx(LISTWISE_ALPHA, rel=1e-10)
    assert listwise.n == 26
    np.testing.assert_allclose(item_rest(y)["r_rest"], LISTWISE_R_DROP, rtol=1e-10)
    pairwise = cronbach_alpha(y, nan_policy="pairwise")
    assert pairwise.alpha == pytest.approx(PAIRWISE_ALPHA, rel=1e-10)
    assert pairwise.n == 30


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="at least 2 items"):
        cronbach_alpha(ATTITUDE[["rating"]])
    with pytest.raises(ValueError, match="nan_policy"):
        cronbach_alpha(ATTITUDE, nan_policy="everything")  # type: ignore[arg-type]
