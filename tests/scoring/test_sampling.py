"""Sample size, allocation and the draw: formulas, reproducibility, and inclusion frequencies.

The frequency tests draw the same frame with the fixed seeds 0..R-1 and compare, per row, how often
it was selected with ``n_h/N_h`` (binomial bounds), per stratum the spread of those counts (a
chi-square), and, for simple random sampling, how often each pair of rows is selected together with
``n_h (n_h - 1) / (N_h (N_h - 1))``. Bounds are Bonferroni-corrected so that, if the draw were
correct and the seeds a fresh random choice, all the checks of one test together would fail with
probability at most ``ALPHA = 0.001``; with the seeds fixed the outcome is deterministic.
"""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from scoring.frames import frame_hash
from scoring.sampling import allocate, draw_sample, expected_moe, plan_sample, sample_size

ALPHA = 0.001
R = 3000
SIZES = {"a": (12, 3), "b": (30, 10), "c": (7, 7), "d": (50, 1), "e": (7, 3)}


def _frame() -> pd.DataFrame:
    # Strata interleaved, so "frame order within the stratum" is not the same as file order.
    rows = [(h, f"{h}{i}") for h, (big_n, _) in SIZES.items() for i in range(big_n)]
    rng = np.random.default_rng(5)
    order = rng.permutation(len(rows))
    return pd.DataFrame([rows[i] for i in order], columns=["unit", "person"])


@cache
def _counts(method: str) -> tuple[pd.DataFrame, np.ndarray, list[np.ndarray]]:
    frame = _frame()
    n = {h: s for h, (_, s) in SIZES.items()}
    counts = np.zeros(len(frame), dtype=np.int64)
    draws = []
    for seed in range(R):
        sample, _ = draw_sample(frame, "unit", n, seed=seed, method=method)  # type: ignore[arg-type]
        idx = sample["row"].to_numpy()
        counts[idx] += 1
        draws.append(idx)
        got = sample.groupby("unit").size().to_dict()
        assert got == {h: s for h, s in n.items() if s > 0}
    return frame, counts, draws


@pytest.mark.parametrize("method", ["srs", "systematic"])
def test_inclusion_frequencies_match_n_over_N(method: str) -> None:
    frame, counts, _ = _counts(method)
    n_checks = len(frame) + len(SIZES)
    a = ALPHA / n_checks
    for h, (big_n, n) in SIZES.items():
        pi = n / big_n
        c = counts[(frame["unit"] == h).to_numpy()]
        if n == big_n:
            assert (c == R).all()
            continue
        lo, hi = stats.binom.ppf(a / 2, R, pi), stats.binom.isf(a / 2, R, pi)
        assert ((c >= lo) & (c <= hi)).all(), (
            f"{method} stratum {h}: counts {c.tolist()} outside [{lo}, {hi}]"
        )
        # With n_h fixed per draw the counts have covariance R pi (1-pi) (I - J/N) N/(N-1).
        chi2 = ((c - R * pi) ** 2).sum() / (R * pi * (1 - pi)) * (big_n - 1) / big_n
        assert chi2 < stats.chi2.isf(a, big_n - 1), f"{method} stratum {h}: chi2 {chi2:.1f}"


def test_srs_pairs_are_selected_together_as_often_as_srswor_says() -> None:
    frame, _, draws = _counts("srs")
    checks = []
    for h in ("a", "e"):
        big_n, n = SIZES[h]
        rows = np.flatnonzero((frame["unit"] == h).to_numpy())
        pairs = list(itertools.combinations(rows.tolist(), 2))
        together = dict.fromkeys(pairs, 0)
        for idx in draws:
            chosen = sorted(set(idx.tolist()) & set(rows.tolist()))
            for p in itertools.combinations(chosen, 2):
                together[p] += 1
        checks.append((n * (n - 1) / (big_n * (big_n - 1)), together))
    a = ALPHA / sum(len(t) for _, t in checks)
    for pij, together in checks:
        lo, hi = stats.binom.ppf(a / 2, R, pij), stats.binom.isf(a / 2, R, pij)
        bad = {p: c for p, c in together.items() if not lo <= c <= hi}
        assert not bad, f"joint inclusion outside [{lo}, {hi}]: {bad}"


def _documented_srs(frame: pd.DataFrame, strata: str, n: dict[str, int], seed: int) -> list[int]:
    """The algorithm as docs/statistics.md states it, written out with plain Python sorting."""
    keys = [int(k) for k in np.random.PCG64(seed).random_raw(len(frame))]
    chosen: list[int] = []
    for h in sorted(n):
        rows = [i for i in range(len(frame)) if frame[strata].iat[i] == h]
        chosen += sorted(rows, key=lambda i: (keys[i], i))[: n[h]]
    return sorted(chosen)


def _documented_systematic(frame: pd.DataFrame, strata: str, n: dict[str, int], seed: int) -> list[int]:
    bitgen = np.random.PCG64(seed)
    chosen: list[int] = []
    for h in sorted(n):
        rows = [i for i in range(len(frame)) if frame[strata].iat[i] == h]
        u = int(bitgen.random_raw()) >> 11
        step = len(rows) / n[h]
        start = u / 2**53 * step
        chosen += [rows[int(np.floor(start + j * step))] for j in range(n[h])]
    return sorted(chosen)


@pytest.mark.parametrize("seed", [0, 1, 20261201, 2**63])
def test_draw_is_the_documented_algorithm_and_reproducible(seed: int) -> None:
    frame = _frame()
    n = {h: s for h, (_, s) in SIZES.items()}
    s1, r1 = draw_sample(frame, "unit", n, seed=seed)
    s2, r2 = draw_sample(frame, "unit", n, seed=seed)
    pd.testing.assert_frame_equal(s1, s2)
    assert r1 == r2
    assert s1["row"].tolist() == _documented_srs(frame, "unit", n, seed)
    sy, _ = draw_sample(frame, "unit", n, seed=seed, method="systematic")
    assert sy["row"].tolist() == _documented_systematic(frame, "unit", n, seed)
    other, _ = draw_sample(frame, "unit", n, seed=seed + 1)
    assert other["row"].tolist() != s1["row"].tolist()


def test_draw_returns_weights_and_a_full_record() -> None:
    frame = _frame().set_index(pd.RangeIndex(100, 100 + len(_frame())))
    frame["n"] = frame["unit"].map({h: s for h, (_, s) in SIZES.items()})
    sample, rec = draw_sample(frame, ["unit"], "n", seed=3)
    assert list(sample.columns) == ["row", "unit", "N_h", "n_h", "weight"]
    assert sample["row"].min() >= 100
    by = sample.groupby("unit").first()
    for h, (big_n, n) in SIZES.items():
        assert by.loc[h, "N_h"] == big_n
        assert by.loc[h, "n_h"] == n
        assert by.loc[h, "weight"] == pytest.approx(big_n / n)
    # The weights of a stratum add up to its population size.
    assert sample.groupby("unit")["weight"].sum().to_dict() == pytest.approx(
        {h: float(big_n) for h, (big_n, _) in SIZES.items()}
    )
    d = rec.to_dict()
    assert d["seed"] == 3
    assert d["method"] == "srs"
    assert d["frame_hash"] == frame_hash(frame)
    assert d["frame_rows"] == len(frame)
    assert d["strata"] == ["unit"]
    assert d["sizes"][0] == {"stratum": "a", "N_h": 12, "n_h": 3}
    assert d["numpy_version"] == np.__version__
    assert "random_raw" in d["algorithm"]


def test_crossed_strata_and_a_single_size() -> None:
    frame = pd.DataFrame({"unit": list("AAAABBBB"), "group": list("xxyyxxyy")})
    sample, rec = draw_sample(frame, ["unit", "group"], 1, seed=9)
    assert len(sample) == 4
    assert rec.sizes[0] == {"stratum": ["A", "x"], "N_h": 2, "n_h": 1}
    assert (sample["weight"] == 2.0).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"n": {"a": 13, "b": 1, "c": 1, "d": 1, "e": 1}},
            "stratum 'a' has 12 row(s) in the frame; cannot draw 13",
        ),
        ({"n": {"a": 1}}, "no sample size given for stratum 'b'"),
        ({"n": 1, "seed": -1}, "seed must be a non-negative integer"),
        ({"n": 1, "method": "pps"}, "method must be one of srs, systematic"),
        ({"n": "nope"}, "sample size column 'nope' not found"),
        ({"n": 1, "strata": "unit2"}, "strata column 'unit2' not found"),
    ],
)
def test_draw_errors(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"strata": "unit", "seed": 1, **kwargs}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        draw_sample(_frame(), **args)  # type: ignore[arg-type]


def test_sample_size_formula() -> None:
    z = stats.norm.ppf(0.975)
    n0 = z**2 * 0.25 / 0.05**2
    res = sample_size([400, 10**9])
    assert res["n"].tolist() == [int(np.ceil(n0 * 400 / (400 + n0 - 1))), 385]
    # The smallest n meeting the target: n meets it, n - 1 does not.
    for big_n in (30, 61, 250, 1234, 99999):
        n = int(sample_size([big_n])["n"].iat[0])
        assert expected_moe([big_n], [n])[0] <= 0.05 + 1e-12
        if n > 1:
            assert expected_moe([big_n], [n - 1])[0] > 0.05
    # A prior p = 0.1 needs fewer; 99 % confidence more; a 10 % margin far fewer.
    assert sample_size([5000], p=0.1)["n"].iat[0] < sample_size([5000])["n"].iat[0]
    assert sample_size([5000], confidence=0.99)["n"].iat[0] > sample_size([5000])["n"].iat[0]
    assert sample_size([5000], moe=0.1)["n"].iat[0] == 95
    assert sample_size([5000], fpc=False)["n"].iat[0] == 385
    # Minimum per unit and response rate, both capped at N.
    r = sample_size([20, 400], minimum=30, response_rate=0.5)
    assert r["n"].tolist() == [20, 197]
    assert r["n_invite"].tolist() == [20, 394]
    assert expected_moe([100], [100])[0] == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"moe": 0}, "moe"),
        ({"confidence": 1.0}, "confidence"),
        ({"p": 1.0}, "p "),
        ({"response_rate": 0}, "response_rate"),
        ({"minimum": -1}, "minimum"),
    ],
)
def test_sample_size_errors(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sample_size([100], **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="whole numbers"):
        sample_size([10.5])


def test_allocation_rules() -> None:
    big_n = np.array([5, 40, 200, 1000, 3000])
    for method in ("proportional", "equal", "neyman"):
        n = allocate(big_n, 400, method=method, minimum=10, census_below=5)  # type: ignore[arg-type]
        assert n.sum() == 400
        assert n[0] == 5
        assert (n <= big_n).all()
        assert (n[1:] >= 10).all()
    prop = allocate(big_n, 400)
    assert prop.tolist() == [0, 4, 19, 94, 283]  # largest remainders: .84, .77, .69 get the 3 left
    ney = allocate([1000, 1000], 300, method="neyman", sd=[1.0, 2.0])
    assert ney.tolist() == [100, 200]
    # Equal allocation over strata too small for their share gives the excess to the others.
    assert allocate([10, 500, 500], 300, method="equal").tolist() == [10, 145, 145]
    with pytest.raises(ValueError, match="exceeds the population"):
        allocate([10, 20], 31)
    with pytest.raises(ValueError, match="smaller than what census strata"):
        allocate([10, 20, 500], 20, census_below=20)


def test_plan_sample_per_stratum_and_allocated() -> None:
    s = pd.DataFrame({"unit": ["A", "B", "C"], "N": [50, 400, 3000], "p": [0.5, 0.2, 0.5]})
    per = plan_sample(s, p="p", response_rate=0.5, minimum=30)
    assert (
        per["n"].tolist()
        == sample_size([50, 400, 3000], p=np.array([0.5, 0.2, 0.5]), minimum=30)["n"].tolist()
    )
    assert (per["expected_moe"] <= 0.05).all()
    assert per["n_invite"].tolist() == [50, 2 * per["n"].iat[1], 2 * per["n"].iat[2]]
    alloc = plan_sample(s, allocation="proportional", total=300)
    assert alloc["n"].sum() == 300
    assert alloc["expected_moe"].iat[0] > alloc["expected_moe"].iat[2]
