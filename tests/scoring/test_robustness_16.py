"""Issue 16's robustness items, on the Python API and on ``python -m scoring`` (real subprocesses)."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from questionnaires.bundled import PROFILE_DIR
from scoring.ciprop import svyciprop
from scoring.design import svydesign
from scoring.estimators import svymean
from scoring.examples import tiny_profile, tiny_questionnaire
from scoring.index import compute_index
from tests.scoring.test_index_cli import _q_args, synthetic_export

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scoring", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


@pytest.fixture
def small() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "g": ["a", "a", "b", "b", "c", "c"],
            "w": [1.0, 2.0, 1.0, 1.0, 2.0, 1.0],
        }
    )


def test_all_missing_value_column_is_an_error_naming_it(small: pd.DataFrame, tmp_path: Path) -> None:
    frame = small.assign(empty=np.nan)
    with pytest.raises(ValueError, match="value column 'empty' has no non-missing values"):
        svymean(svydesign(frame, weights="w"), "empty")
    with pytest.raises(ValueError, match="'empty' has no non-missing values"):
        svyciprop(svydesign(frame, weights="w"), "empty")
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    done = run_cli("mean", str(path), "--value", "empty")
    assert done.returncode == 1
    assert "value column 'empty' has no non-missing values" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_domain_whose_rows_are_all_missing_has_no_se(small: pd.DataFrame) -> None:
    frame = small.assign(y=[1.0, 2.0, np.nan, np.nan, 5.0, 6.0])
    out = svymean(svydesign(frame, weights="w"), "y", by="g").set_index("g")
    assert np.isnan(out.loc["b", "estimate"])
    assert np.isnan(out.loc["b", "se"])  # was 0.0
    assert np.isnan(out.loc["b", "ci_low"])
    assert out.loc["b", "n"] == 0
    assert out.loc["a", "se"] > 0


def test_infinite_value_is_an_error_naming_the_row(small: pd.DataFrame, tmp_path: Path) -> None:
    frame = small.assign(y=[1.0, 2.0, np.inf, 4.0, 5.0, 6.0])
    with pytest.raises(ValueError, match=r"infinite value \(inf\) in row 3"):
        svymean(svydesign(frame, weights="w"), "y")
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    done = run_cli("mean", str(path), "--value", "y", "--weight", "w")
    assert done.returncode == 1
    assert f"{path}, line 4: value column 'y' is inf" in done.stderr
    assert "RuntimeWarning" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_header_only_csv_says_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("y,g\n")
    done = run_cli("mean", str(path), "--value", "y")
    assert done.returncode == 1
    assert "has no rows (only a header line)" in done.stderr
    assert "numeric" not in done.stderr


def test_cli_takes_true_false_as_the_api_does(small: pd.DataFrame, tmp_path: Path) -> None:
    frame = small.assign(yes=[True, False, True, True, False, True])
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    done = run_cli("mean", str(path), "--value", "yes", "--weight", "w", "--by", "g")
    assert done.returncode == 0, done.stderr
    cli = pd.read_csv(StringIO(done.stdout))
    api = svymean(svydesign(frame, weights="w"), "yes", by="g")
    for col in ("estimate", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(cli[col].to_numpy(), api[col].to_numpy(), rtol=1e-9)


def test_zero_weight_rows_count_in_n_but_not_in_df() -> None:
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 5.0], "w": [1.0, 2.0, 0.0, 1.0, 1.0]})
    d = svydesign(frame, weights="w")
    m = svymean(d, "y").iloc[0]
    # R: svymean(~y, svydesign(id=~1, weights=~w, data=df)) 2.8, SE 0.777174369109018, degf 3; nrow 5
    assert m["estimate"] == pytest.approx(2.8, rel=1e-12)
    assert m["se"] == pytest.approx(0.777174369109018, rel=1e-9)
    assert m["df"] == 3
    assert m["n"] == 5
    # R: svyciprop(~I(y > 2), d, method="beta"): n in the Korn-Graubard formula is nrow(design) = 5
    p = svyciprop(svydesign(frame.assign(b=(frame["y"] > 2).astype(float)), weights="w"), "b", method="beta")
    assert p["ci_low"].iloc[0] == pytest.approx(0.00880577195657265, rel=1e-6)
    assert p["ci_high"].iloc[0] == pytest.approx(0.956803450279586, rel=1e-6)


def test_fpc_of_one_everywhere_is_refused_as_r_does(small: pd.DataFrame, tmp_path: Path) -> None:
    frame = small.assign(f=1.0)
    with pytest.raises(ValueError, match="are 1 in every row"):
        svydesign(frame, fpc="f")
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    done = run_cli("mean", str(path), "--value", "y", "--fpc", "f")
    assert done.returncode == 1
    assert "R's svydesign refuses it" in done.stderr


def test_partial_fpc_in_a_two_stage_design_is_refused(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"psu": [1, 1, 2, 2, 3, 3], "ssu": [1, 2, 3, 4, 5, 6], "y": [1.0, 2, 3, 4, 5, 6], "N1": 10, "N2": 4}
    )
    with pytest.raises(ValueError, match="fpc given for 1 of the 2 sampling stages"):
        svydesign(frame, ids=["psu", "ssu"], fpc="N1")
    assert svydesign(frame, ids=["psu", "ssu"], fpc=["N1", "N2"]).df == 2


def test_index_with_text_in_the_fpc_column_names_the_column_and_row(tmp_path: Path) -> None:
    df = synthetic_export({"internal": 8, "external": 6, "expert": 3}, institutions=1)
    df["fpc"] = df["fpc"].astype(object)
    df.loc[3, "fpc"] = "dua ribu"
    path = tmp_path / "responses.csv"
    df.to_csv(path, index=False)
    done = run_cli("index", str(path), *_q_args(), "--profile", str(PROFILE_DIR / "spi-2024.yaml"))
    assert done.returncode == 1
    assert "fpc column 'fpc', row 4: 'dua ribu' is not a number" in done.stderr
    assert "_N" not in done.stderr


def test_index_with_every_answer_blank_is_an_error_not_an_empty_table(tmp_path: Path) -> None:
    df = synthetic_export({"internal": 8, "external": 6, "expert": 3}, institutions=1)
    design = {
        "response_id",
        "campaign",
        "institution",
        "group",
        "unit",
        "stratum",
        "weight",
        "open_access",
        "fpc",
        "questionnaire_hash",
        "submitted_on",
        "duration_seconds",
    }
    for col in df.columns:
        if col not in design:
            df[col] = ""
    path = tmp_path / "responses.csv"
    df.to_csv(path, index=False)
    done = run_cli("index", str(path), *_q_args(), "--profile", str(PROFILE_DIR / "spi-2024.yaml"))
    assert done.returncode == 1
    assert "none of the 34 responses has a score" in done.stderr
    assert done.stdout == ""


def test_cell_without_a_publishable_group_says_so() -> None:
    """Item 10: 9 respondents in a cell, no group reaching the minimum: not 'fewer than 5 (n=0)'."""
    rng = np.random.default_rng(3)
    rows = []
    for inst, groups in (
        ("Kota A", {"internal": 20, "external": 20}),
        ("Kota B", {"internal": 5, "external": 4}),
    ):
        for g, k in groups.items():
            for _ in range(k):
                rows.append(
                    {
                        "institution": inst,
                        "group": g,
                        "t1": str(rng.choice(list("345"))),
                        "t2": "4",
                        "b1": "n",
                        "b2": str(rng.choice(["n", "y"])),
                    }
                )
    qs = [tiny_questionnaire("internal"), tiny_questionnaire("external")]
    result = compute_index(pd.DataFrame(rows), qs, tiny_profile(min_respondents_per_group=10, min_cell=5))
    b = result.index.set_index("institution").loc["Kota B"]
    assert b["note"] == "not published: no group has enough respondents"
    assert not b["suppressed"]
    assert not b["published"]
    assert np.isnan(b["estimate"])
    dims_b = result.dimensions[
        (result.dimensions["institution"] == "Kota B") & (result.dimensions["group"] == "all")
    ]
    assert len(dims_b) > 0
    assert (dims_b["note"] == "not published: no group has enough respondents").all()
    a = result.index.set_index("institution").loc["Kota A"]
    assert a["published"]
    assert a["n"] == 40
    # A cell that is small in total is still suppressed, and says so with its real size.
    tiny = compute_index(
        pd.DataFrame(rows[-4:]), qs[1:], tiny_profile(min_respondents_per_group=10, min_cell=5)
    )
    t = tiny.index.iloc[0]
    assert t["suppressed"]
    assert t["note"] == "suppressed: fewer than 5 respondents (n=4)"


def test_interval_types_r_does_not_compute_are_refused(small: pd.DataFrame) -> None:
    from scoring.quantiles import svyquantile
    from scoring.replicates import as_replicate_design

    lin = svydesign(small, weights="w")
    jk = as_replicate_design(lin, "JK1")
    with pytest.raises(ValueError, match="needs replicate weights"):
        svyquantile(lin, "y", 0.5, interval_type="quantile")
    with pytest.raises(ValueError, match="needs a linearization design"):
        svyquantile(jk, "y", 0.5, interval_type="score")
    with pytest.raises(ValueError, match="needs a linearization design"):
        svyciprop(jk, "y", success=3.0, method="likelihood")
