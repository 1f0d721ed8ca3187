"""Vectorised helpers of scoring.index give exactly what the pandas constructs they replace gave."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoring.index import _factorize_rows


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_factorize_rows_matches_multiindex(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 5000
    keys = [
        rng.choice(["internal", "external", "expert", ""], n).astype(object),
        rng.random(n) < 0.1,
        rng.choice([f"U{i}|{s}" for i in range(40) for s in ("", "a", "b")], n).astype(object),
        rng.choice(["x", "y"], n).astype(object),
    ]
    for k in range(2, len(keys) + 1):
        expected = pd.MultiIndex.from_arrays(keys[:k]).factorize()[0]
        np.testing.assert_array_equal(_factorize_rows(keys[:k]), expected)
    assert _factorize_rows([np.array([], dtype=object), np.array([], dtype=bool)]).size == 0
