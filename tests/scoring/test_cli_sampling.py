"""``python -m scoring mean --calibrate``, ``sample-size`` and ``draw``: R agreement, output, clean errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from scoring.cli import main
from scoring.frames import frame_hash, read_table

FIXTURES = Path(__file__).parent / "fixtures"
REFERENCE = json.loads((FIXTURES / "calibration_reference.json").read_text())
CLUS1 = str(FIXTURES / "apiclus1.csv")
STRAT = str(FIXTURES / "apistrat.csv")
COLUMNS = ["estimate", "se", "ci_low", "ci_high", "df", "n"]


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def _ref(design: str, by: str | None, variable: str = "api00") -> dict[str, dict[str, float]]:
    return {
        str(c["domain"]): c
        for c in REFERENCE["cases"]
        if c["design"] == design
        and c.get("by") == by
        and c["variable"] == variable
        and c["statistic"] == "mean"
    }


CLUS1_DESIGN = ["--cluster", "dnum", "--weight", "pw", "--fpc", "fpc"]


@pytest.mark.parametrize(
    ("method", "margins", "design", "data", "design_args"),
    [
        ("poststratify", "api_margins_stype.csv", "clus1_ps_stype", CLUS1, CLUS1_DESIGN),
        (
            "poststratify",
            "api_margins_stype.csv",
            "strat_ps_stype",
            STRAT,
            ["--strata", "stype", "--fpc", "fpc"],
        ),
        ("rake", "api_margins_rake.csv", "clus1_rake", CLUS1, CLUS1_DESIGN),
        ("linear", "api_margins_linear.csv", "clus1_linear", CLUS1, CLUS1_DESIGN),
    ],
)
def test_mean_calibrated_matches_r(
    method: str, margins: str, design: str, data: str, design_args: list[str]
) -> None:
    argv = ["mean", data, "--value", "api00", "--by", "sch.wide", *design_args]
    argv += ["--calibrate", method, "--margins", str(FIXTURES / margins)]
    code, out, err = run(argv)
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns) == ["sch.wide", *COLUMNS]
    ref = _ref(design, "sch.wide")
    assert len(frame) == len(ref) == 2
    for row in frame.itertuples():
        case = ref[str(row[1])]
        assert row.estimate == pytest.approx(case["estimate"], rel=1e-9)
        assert row.se == pytest.approx(case["se"], rel=1e-9)
        assert row.df == case["df"]
    code, out, _ = run([*argv[:4], *argv[6:], "--format", "json"])
    assert code == 0
    overall = json.loads(out)[0]
    case = _ref(design, None)["None"]
    assert overall["estimate"] == pytest.approx(case["estimate"], rel=1e-9)
    assert overall["se"] == pytest.approx(case["se"], rel=1e-9)


def test_mean_on_spi_after_nonresponse_adjustment_matches_r(tmp_path: Path) -> None:
    sample = pd.read_csv(FIXTURES / "spi_calibration_sample.csv")
    data = tmp_path / "respondents.csv"
    sample[sample["responded"] == 1].to_csv(data, index=False)
    argv = [
        "mean",
        str(data),
        "--value",
        "y",
        "--by",
        "unit",
        "--strata",
        "stratum",
        "--weight",
        "base_weight",
    ]
    argv += [
        "--fpc",
        "N_h",
        "--calibrate",
        "poststratify",
        "--margins",
        str(FIXTURES / "spi_margins_stratum.csv"),
    ]
    code, out, err = run(argv)
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    ref = _ref("spi_nonresponse", "unit", "y")
    assert len(frame) == 12
    for row in frame.itertuples():
        assert row.estimate == pytest.approx(ref[row.unit]["estimate"], rel=1e-6)
        assert row.se == pytest.approx(ref[row.unit]["se"], rel=1e-6)


def test_calibration_errors_name_the_file_row_and_column(tmp_path: Path) -> None:
    base = ["mean", CLUS1, "--value", "api00", *CLUS1_DESIGN]
    code, _, err = run([*base, "--calibrate", "rake"])
    assert code == 2
    assert "--calibrate and --margins go together" in err
    code, _, err = run([*base, "--calibrate", "rake", "--margins", str(tmp_path / "none.csv")])
    assert code == 2
    assert "not found" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("variable;level;total\nstype;E;4421\nstype;H;many\nstype;E;3\n")
    code, _, err = run([*base, "--calibrate", "rake", "--margins", str(bad)])
    assert code == 1
    assert err.count("\n") == 1
    assert f"{bad}: row 3, column total: 'many' is not a number; row 4: stype='E' repeats row 2" in err
    short = tmp_path / "short.csv"
    short.write_text("variable,level,total\nstype,E,4421\nstype,H,755\n")
    code, _, err = run([*base, "--calibrate", "poststratify", "--margins", str(short)])
    assert code == 1
    assert "cell 'M' occurs in the data but has no population total" in err
    code, _, err = run([*base, "--calibrate", "linear", "--margins", str(short), "--method", "jackknife"])
    assert code == 2
    assert "linearization only" in err
    assert "Traceback" not in err


def test_sample_size_from_sizes_a_frame_and_a_strata_table(tmp_path: Path) -> None:
    code, out, err = run(
        ["sample-size", "--N", "60", "--N", "2000", "--response-rate", "0.5", "--minimum", "30"]
    )
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns) == ["stratum", "N", "n", "n_invite", "expected_moe"]
    assert frame["n"].tolist() == [53, 323]
    assert frame["n_invite"].tolist() == [60, 646]
    code, out, err = run(
        ["sample-size", str(FIXTURES / "spi_calibration_sample.csv"), "--strata", "unit", "--strata", "group"]
    )
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns[:3]) == ["unit", "group", "N"]
    assert len(frame) == 24
    strata = tmp_path / "strata.csv"
    strata.write_text("unit;pop;rate;sd\nA;50;0,9;1\nB;400;0.6;2\nC;3000;0.5;1\n".replace("0,9", "0.9"))
    code, out, err = run(
        [
            "sample-size",
            str(strata),
            "--population",
            "pop",
            "--response-rate",
            "rate",
            "--allocation",
            "neyman",
            "--sd",
            "sd",
            "--total",
            "300",
            "--format",
            "json",
        ]
    )
    assert code == 0, err
    rows = json.loads(out)
    assert [r["unit"] for r in rows] == ["A", "B", "C"]
    assert sum(r["n"] for r in rows) == 300
    strata.write_text("unit,pop\nA,50\nB,lots\n")
    code, _, err = run(["sample-size", str(strata), "--population", "pop"])
    assert code == 1
    assert f"{strata}: row 3, column 'pop': 'lots' is not a whole number" in err


def _frame_file(tmp_path: Path) -> Path:
    rows = ["unit;group;email"] + [
        f"U{u};{g};p{u}{g}{i}@x.id" for u in range(3) for g in "ie" for i in range(20 + u)
    ]
    path = tmp_path / "frame.csv"
    path.write_bytes(("\n".join(rows) + "\n").encode("utf-8-sig"))
    return path


def test_draw_prints_the_sample_and_records_the_draw(tmp_path: Path) -> None:
    path = _frame_file(tmp_path)
    record = tmp_path / "record.json"
    argv = ["draw", str(path), "--strata", "unit", "--strata", "group", "--n", "5", "--seed", "11"]
    code, out, err = run([*argv, "--record", str(record)])
    assert code == 0, err
    sample = pd.read_csv(io.StringIO(out))
    assert list(sample.columns) == ["row", "unit", "group", "email", "N_h", "n_h", "weight"]
    assert len(sample) == 30
    assert sample.groupby(["unit", "group"]).size().eq(5).all()
    assert (sample["weight"] == sample["N_h"] / 5).all()
    # `row` is the spreadsheet row: the e-mail on that line of the file.
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    for r in sample.itertuples():
        assert lines[r.row - 1].endswith(r.email)
    rec = json.loads(record.read_text())
    table, _ = read_table(path)
    assert table is not None
    assert rec["frame_hash"] == frame_hash(table)
    assert rec["seed"] == 11
    assert "drew 30 of 126 rows in 6 strata (srs, seed 11)" in err
    assert run(argv)[1] == out
    assert run([*argv[:-1], "12"])[1] != out
    code, out, err = run([*argv, "--method", "systematic"])
    assert code == 0, err
    assert len(pd.read_csv(io.StringIO(out))) == 30


def test_draw_reads_xlsx_and_a_size_column(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["unit", "n", "email"])
    for i in range(10):
        ws.append(["A" if i < 6 else "B", 2 if i < 6 else 4, f"p{i}@x.id"])
    path = tmp_path / "frame.xlsx"
    wb.save(path)
    code, out, err = run(["draw", str(path), "--strata", "unit", "--n", "n", "--seed", "1"])
    assert code == 0, err
    sample = pd.read_csv(io.StringIO(out))
    assert sample.groupby("unit").size().to_dict() == {"A": 2, "B": 4}


def test_draw_errors_are_one_line_each(tmp_path: Path) -> None:
    path = _frame_file(tmp_path)
    code, _, err = run(["draw", str(path), "--strata", "unit", "--n", "100", "--seed", "1"])
    assert code == 1
    assert "stratum 'U0' has 40 row(s) in the frame; cannot draw 100" in err
    code, _, err = run(["draw", str(path), "--strata", "nope", "--n", "1", "--seed", "1"])
    assert code == 2
    assert "column 'nope' not found in" in err
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"unit,email\nA,a@x.id\nB,b@x.id,extra\nC\n\xe9,x\n")
    code, _, err = run(["draw", str(bad), "--strata", "unit", "--n", "1", "--seed", "1"])
    assert code == 1
    assert err.splitlines() == [
        f"python -m scoring draw: error: {bad}: row 5: not UTF-8 text (byte 0xe9 at character 1); "
        "save the file as 'CSV UTF-8' or upload the .xlsx workbook"
    ]
    bad.write_text("unit,email\nA,a@x.id\nB,b@x.id,extra\nC\n")
    code, _, err = run(["draw", str(bad), "--strata", "unit", "--n", "1", "--seed", "1"])
    assert code == 1
    assert err.splitlines() == [
        f"python -m scoring draw: error: {bad}: row 3: 3 fields where the header has 2 (separator ',')",
        f"python -m scoring draw: error: {bad}: row 4: 1 fields where the header has 2 (separator ',')",
    ]
    bad.write_text("unit,email\nA,a@x.id\n,b@x.id\n")
    code, _, err = run(["draw", str(bad), "--strata", "unit", "--n", "1", "--seed", "1"])
    assert code == 1
    assert f"{bad}: row(s) 3, column 'unit': the stratum is empty" in err


def test_module_entry_point_runs_draw(tmp_path: Path) -> None:
    path = _frame_file(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "scoring", "draw", str(path), "--strata", "unit", "--n", "2", "--seed", "5"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parents[2],
    )
    assert proc.returncode == 0, proc.stderr
    assert len(pd.read_csv(io.StringIO(proc.stdout))) == 6
