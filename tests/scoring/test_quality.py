"""Data-quality flags per unit (scoring.quality)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from questionnaires.model import Questionnaire
from scoring.examples import tiny_profile, tiny_questionnaire
from scoring.quality import QualityThresholds, data_quality

T_ITEMS = [f"t{i}" for i in range(1, 7)]


def _six_item_questionnaire() -> Questionnaire:
    d = tiny_questionnaire("internal").to_dict()
    template = d["sections"][0]["items"][1]
    d["sections"][0]["items"] = [{**template, "id": t, "label": {"en": t}} for t in T_ITEMS]
    return Questionnaire.from_dict(d)


Q = [_six_item_questionnaire()]
TH = QualityThresholds()


def _units(n_units: int = 8, per_unit: int = 30, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_units * per_unit
    return pd.DataFrame(
        {
            "institution": "A",
            "unit": np.repeat([f"u{i}" for i in range(n_units)], per_unit),
            "group": "internal",
            **{t: rng.choice(list("12345"), n) for t in T_ITEMS},
            "b1": rng.choice(["y", "n"], n),
            "b2": rng.choice(["y", "n"], n),
            "duration_seconds": rng.integers(400, 1200, n),
        }
    )


def test_honest_units_raise_no_flags() -> None:
    r = data_quality(
        _units(),
        Q,
        tiny_profile(),
        thresholds=TH,
    )
    assert not r.units["flagged"].any()
    assert r.flags.empty
    assert (r.units["n"] == 30).all()


def test_coached_unit_is_flagged_with_reasons_and_numbers() -> None:
    df = _units()
    coached = df["unit"] == "u3"
    # Coached answers: all "good", little spread, fast, a third of them identical.
    rng = np.random.default_rng(1)
    for t in T_ITEMS:
        df.loc[coached, t] = rng.choice(["4", "5"], coached.sum(), p=[0.05, 0.95])
    df.loc[coached, ["b1", "b2"]] = "n"
    df.loc[coached, "duration_seconds"] = 90
    r = data_quality(df, Q, tiny_profile(), thresholds=TH)
    u = r.units.set_index("unit")
    assert u.loc["u3", "flagged"]
    assert u.loc["u3", "fast_share"] == 1.0
    assert u.loc["u3", "straightlining_share"] >= 0.8
    checks = set(r.flags.loc[r.flags["unit"] == "u3", "check"])
    assert {"fast", "straightlining", "duplicate", "low_variance"} <= checks
    low = r.flags[(r.flags["unit"] == "u3") & (r.flags["check"] == "low_variance")].iloc[0]
    assert low["value"] < low["threshold"]
    assert "far more uniform" in low["reason"]
    assert "finished faster" in u.loc["u3", "reasons"]
    assert not u.drop(index="u3")["flagged"].any()


def test_dont_know_share_and_missing_duration() -> None:
    df = _units(n_units=3).drop(columns="duration_seconds")
    df.loc[df["unit"] == "u0", ["t1", "t2", "t3", "b2"]] = "dk"
    r = data_quality(df, Q, tiny_profile(), thresholds=TH)
    u = r.units.set_index("unit")
    assert u.loc["u0", "dont_know_share"] == pytest.approx(0.5)
    assert u.loc["u1", "dont_know_share"] == 0.0
    assert "dont_know" in set(r.flags.loc[r.flags["unit"] == "u0", "check"])
    assert u["fast_share"].isna().all()  # no duration column: not assessed, not "fine"
