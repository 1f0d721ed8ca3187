"""``python -m scoring index`` end to end on the bundled instruments (spi-internal/external/expert)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from questionnaires import is_relevant
from questionnaires.bundled import PROFILE_DIR, QUESTIONNAIRE_DIR, load_bundled_questionnaire
from questionnaires.model import ItemType, Questionnaire
from scoring.cli import main

ROOT = Path(__file__).resolve().parents[2]
GROUPS = {"internal": "spi-internal", "external": "spi-external", "expert": "spi-expert"}


def _answer(q: Questionnaire, item_id: str, rng: np.random.Generator, lean: float) -> object:
    item = q.item(item_id)
    if item.type is ItemType.SELECT_ONE:
        scale = q.scale_of(item)
        assert scale is not None
        codes = [o.code for o in scale.options]
        scored = [o for o in scale.options if o.missing is None and o.value is not None]
        if scored and rng.random() > 0.08:
            # Lean towards the high-integrity end, so institutions differ.
            lo = min(o.value for o in scored if o.value is not None)
            hi = max(o.value for o in scored if o.value is not None)
            p = np.array([(o.value - lo) / (hi - lo) if hi > lo else 0.5 for o in scored])  # type: ignore[operator]
            if item.scoring is not None and item.scoring.direction.value == "risk":
                p = 1 - p
            p = np.exp(lean * p)
            return scored[int(rng.choice(len(scored), p=p / p.sum()))].code
        return codes[int(rng.integers(len(codes)))]
    if item.type is ItemType.SELECT_MULTIPLE:
        scale = q.scale_of(item)
        assert scale is not None
        codes = [o.code for o in scale.options if o.missing is None]
        k = int(rng.integers(1, min(3, len(codes)) + 1))
        return list(rng.choice(codes, k, replace=False))
    if item.type.is_number:
        lo, hi = int(item.minimum or 0), int(item.maximum or 10)
        return int(rng.integers(lo, hi + 1))
    return "teks"


def synthetic_export(n_per_unit: dict[str, int], institutions: int = 2, seed: int = 0) -> pd.DataFrame:
    """Responses that respect relevance, as the web app exports them (select_multiple space-separated)."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    for inst in range(institutions):
        lean = 1.0 + 1.5 * inst
        for unit in ("keuangan", "layanan"):
            for group, ident in GROUPS.items():
                q = load_bundled_questionnaire(ident)
                for _ in range(n_per_unit[group]):
                    answers: dict[str, object] = {}
                    for section in q.sections:
                        if not is_relevant(section.relevant, answers):
                            continue
                        for item in section.items:
                            if item.type is ItemType.NOTE or not is_relevant(item.relevant, answers):
                                continue
                            answers[item.id] = _answer(q, item.id, rng, lean)
                    flat = {k: " ".join(v) if isinstance(v, list) else v for k, v in answers.items()}
                    rows.append(
                        {
                            "response_id": f"r{len(rows)}",
                            "campaign": "spi-2024-demo",
                            "institution": f"Pemkot {inst + 1}",
                            "group": group,
                            "unit": unit,
                            "stratum": f"{inst}-{unit}",
                            "weight": 1.0 if group == "expert" else round(float(rng.uniform(5, 15)), 2),
                            "open_access": "false",
                            "fpc": "" if group == "expert" else 2000,
                            "questionnaire_hash": q.content_hash,
                            "submitted_on": "2024-08-01",
                            "duration_seconds": int(rng.integers(200, 1500)),
                            **flat,
                        }
                    )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def export_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("index") / "responses.csv"
    synthetic_export({"internal": 25, "external": 20, "expert": 6}).to_csv(path, index=False)
    return path


def _q_args() -> list[str]:
    return ["--questionnaire", *[str(QUESTIONNAIRE_DIR / f"{q}.yaml") for q in GROUPS.values()]]


def test_spi_2024_through_the_command_line(export_csv: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "scoring",
        "index",
        str(export_csv),
        *_q_args(),
        "--profile",
        str(PROFILE_DIR / "spi-2024.yaml"),
        "--target",
        "74",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    from io import StringIO

    out = pd.read_csv(StringIO(done.stdout))
    assert list(out["institution"]) == ["Pemkot 1", "Pemkot 2"]
    assert out["estimate"].between(0, 100).all()
    assert (out["ci_low"] < out["estimate"]).all()
    assert (out["n"] == 2 * (25 + 20 + 6)).all()
    # Experts (12 per institution) meet min 10; every group is used.
    assert out["complete"].all()
    assert out["estimate"].iloc[1] > out["estimate"].iloc[0]  # institution 2 leans towards integrity
    for col in (
        "internal_estimate",
        "external_ci_high",
        "expert_n",
        "pengadaan_estimate",
        "category",
        "category_uncertain",
        "prob_at_least_target",
    ):
        assert col in out.columns
    assert set(out["category"].dropna()) <= {"rentan", "waspada", "terjaga"}


def test_acrc_2017_by_unit_as_json_with_bootstrap(
    export_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "index",
            str(export_csv),
            *_q_args(),
            "--profile",
            str(PROFILE_DIR / "acrc-2017.yaml"),
            "--by",
            "institution",
            "unit",
            "--format",
            "json",
            "--method",
            "bootstrap",
            "--replicates",
            "200",
            "--seed",
            "3",
        ]
    )
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 4
    first = rows[0]
    # ACRC 2017 weighs external and internal only; experts are outside its weights, units with fewer than
    # 10 respondents in a group are not published.
    assert {g["group"] for g in first["groups"]} == {"internal", "external", "expert"}
    assert first["estimate_display"] == pytest.approx(first["estimate"] / 10)
    assert first["category"] is None
    dims = {d["dimension"] for d in first["dimensions"]}
    assert "transparansi" in dims
    assert first["missing_groups"] == ""
    assert first["groups_used"] == "external,internal"


def test_errors_are_one_line_with_exit_codes(
    export_csv: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    profile = str(PROFILE_DIR / "spi-2024.yaml")
    assert main(["index", str(tmp_path / "none.csv"), *_q_args(), "--profile", profile]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["index", str(export_csv), *_q_args(), "--profile", profile, "--by", "kabupaten"]) == 2
    assert "column 'kabupaten' not found" in capsys.readouterr().err
    only_internal = ["--questionnaire", str(QUESTIONNAIRE_DIR / "spi-internal.yaml")]
    assert main(["index", str(export_csv), *only_internal, "--profile", profile]) == 1
    err = capsys.readouterr().err
    assert "group 'external'" in err
    assert "no questionnaire was given" in err
    assert len(err.strip().splitlines()) == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nversion: 1\n")
    assert main(["index", str(export_csv), "--questionnaire", str(bad), "--profile", profile]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml" in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
