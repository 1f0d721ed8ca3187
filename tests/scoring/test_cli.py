"""``python -m scoring mean``: output, R agreement, and clean errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import pytest

from scoring.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
CASES = {c["id"]: c for c in json.loads((FIXTURES / "reference.json").read_text())["cases"]}
STRAT = str(FIXTURES / "apistrat.csv")
CLUS1 = str(FIXTURES / "apiclus1.csv")


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_mean_by_domain_csv_matches_r() -> None:
    code, out, err = run(
        [
            "mean",
            STRAT,
            "--value",
            "api00",
            "--by",
            "stype",
            "--strata",
            "stype",
            "--weight",
            "pw",
            "--fpc",
            "fpc",
        ]
    )
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns) == ["stype", "estimate", "se", "ci_low", "ci_high", "df", "n"]
    for row in frame.itertuples():
        ref = CASES[f"strat_fpc:svyby_mean_api00_by_stype[{row.stype}]"]
        assert row.estimate == pytest.approx(ref["estimate"], rel=1e-9)
        assert row.se == pytest.approx(ref["se"], rel=1e-9)
        assert row.ci_low == pytest.approx(ref["ci_t_lower"], rel=1e-9)
        assert row.ci_high == pytest.approx(ref["ci_t_upper"], rel=1e-9)
        assert row.df == ref["df"]


def test_jackknife_json() -> None:
    code, out, _ = run(
        [
            *("mean", CLUS1, "--value", "api00", "--cluster", "dnum", "--weight", "pw", "--fpc", "fpc"),
            *("--method", "jackknife", "--format", "json"),
        ]
    )
    assert code == 0
    rows = json.loads(out)
    assert list(rows[0]) == ["estimate", "se", "ci_low", "ci_high", "df", "n"]
    assert rows[0]["se"] == pytest.approx(CASES["clus1_jk1:mean_api00"]["se"], rel=1e-9)
    assert rows[0]["n"] == 183


def test_bootstrap_is_seeded() -> None:
    argv = ["mean", CLUS1, "--value", "api00", "--cluster", "dnum", "--weight", "pw", "--method", "bootstrap"]
    first = run([*argv, "--replicates", "50", "--seed", "7"])
    again = run([*argv, "--replicates", "50", "--seed", "7"])
    other = run([*argv, "--replicates", "50", "--seed", "8"])
    assert first[0] == 0
    assert first[1] == again[1]
    assert first[1] != other[1]


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["mean", "missing.csv", "--value", "x"], 2, "data file 'missing.csv' not found"),
        (["mean", STRAT, "--value", "nope"], 2, "column 'nope' not found"),
        (["mean", STRAT, "--value", "api00", "--by", "zz"], 2, "column 'zz' not found"),
        (["mean", STRAT, "--value", "stype"], 1, "value column 'stype' must be numeric"),
        (["mean", STRAT, "--value", "api00", "--level", "95"], 2, "--level must be between 0 and 1"),
        (["mean", STRAT, "--value", "api00", "--strata", "snum", "--weight", "pw"], 1, "has only one PSU"),
        (["mean", STRAT], 2, "required: --value"),
        (["mean", STRAT, "--value", "api00", "--method", "magic"], 2, "invalid choice"),
    ],
)
def test_bad_input_gives_one_line_and_exit_code(argv: list[str], code: int, message: str) -> None:
    got, out, err = run(argv)
    assert got == code
    assert out == ""
    assert message in err
    assert "Traceback" not in err


def test_fpc_smaller_than_sample_is_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    pd.DataFrame({"y": [1.0, 2.0, 3.0], "N": [2, 2, 2]}).to_csv(path, index=False)
    code, _, err = run(["mean", str(path), "--value", "y", "--fpc", "N"])
    assert code == 1
    assert err.count("\n") == 1
    assert "more than 100%" in err


def test_module_entry_point_subprocess() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "scoring",
            "mean",
            STRAT,
            "--value",
            "api00",
            "--weight",
            "pw",
            "--strata",
            "stype",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "estimate,se,ci_low,ci_high,df,n"
    bad = subprocess.run(
        [sys.executable, "-m", "scoring", "mean", "nope.csv", "--value", "x"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0
