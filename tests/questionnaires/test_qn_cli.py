"""The command line: exit codes, messages, and the XLSForm conversions end to end."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from questionnaires import load_questionnaire
from questionnaires.bundled import PROFILE_DIR, QUESTIONNAIRE_DIR, questionnaire_paths
from questionnaires.cli import main

INTERNAL = QUESTIONNAIRE_DIR / "spi-internal.yaml"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_validate_accepts_every_bundled_file() -> None:
    files = [str(p) for p in sorted(QUESTIONNAIRE_DIR.glob("*.yaml")) + sorted(PROFILE_DIR.glob("*.yaml"))]
    code, output = run("validate", *files, "--profile", str(PROFILE_DIR / "spi-2024.yaml"))
    assert code == 0
    assert output.count(": valid") == len(files)


def test_validate_rejects_a_broken_file_with_every_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    text = INTERNAL.read_text(encoding="utf-8")
    text = text.replace("scale: setuju5", "scale: setuju7", 1).replace(
        "relevant: ${it_suap} = 'ya'", "relevant: ${it_suap} = = 'ya'"
    )
    broken.write_text(text, encoding="utf-8")
    code, output = run("validate", str(broken), str(INTERNAL))
    assert code == 1
    lines = output.splitlines()
    assert lines[0].startswith(f"{broken}:")
    assert "unknown scale 'setuju7'" in lines[0]
    assert "unexpected '='" in lines[1]
    assert f"{INTERNAL}: valid" in lines
    assert lines[-1] == "1 of 2 file(s) have problems"


def test_validate_with_a_profile_that_lacks_a_dimension(tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text(
        (PROFILE_DIR / "spi-2024.yaml")
        .read_text(encoding="utf-8")
        .replace("  - id: pengadaan\n", "  - id: procurement\n"),
        encoding="utf-8",
    )
    code, output = run("validate", str(INTERNAL), "--profile", str(profile))
    assert code == 1
    assert "'pengadaan' is not a dimension of profile 'spi-2024'" in output
    assert output.count("is not a dimension") == sum(
        1
        for i in load_questionnaire(INTERNAL).scored_items
        if i.scoring and i.scoring.dimension == "pengadaan"
    )


def test_export_then_import_gives_the_same_questionnaire(tmp_path: Path) -> None:
    xlsx, yaml_out = tmp_path / "internal.xlsx", tmp_path / "internal.yaml"
    assert run("export-xlsform", str(INTERNAL), "-o", str(xlsx))[0] == 0
    assert run("validate", str(xlsx))[0] == 0
    assert run("import-xlsform", str(xlsx), "-o", str(yaml_out))[0] == 0
    assert load_questionnaire(yaml_out).content_hash == load_questionnaire(INTERNAL).content_hash


def test_import_of_a_broken_form_writes_nothing(tmp_path: Path) -> None:
    not_xlsx = tmp_path / "form.xlsx"
    not_xlsx.write_text("not a workbook")
    code, output = run("import-xlsform", str(not_xlsx), "-o", str(tmp_path / "out.yaml"))
    assert code == 1
    assert "cannot read the workbook" in output
    assert not (tmp_path / "out.yaml").exists()


@pytest.mark.parametrize("path", questionnaire_paths(), ids=lambda p: p.stem)
def test_show_prints_sections_items_and_skip_logic(path: Path) -> None:
    code, output = run("show", str(path))
    assert code == 0
    questionnaire = load_questionnaire(path)
    for section in questionnaire.sections:
        assert f"] {section.id}: " in output
    for item in questionnaire.items:
        assert f"  - {item.id} (" in output
        if item.relevant:
            assert f"      if {item.relevant}" in output


def test_show_in_english() -> None:
    assert "Integrity Assessment Survey — Employees" in run("show", str(INTERNAL), "--language", "en")[1]


def test_missing_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    code, output = run("show", str(tmp_path / "nope.yaml"))
    assert code == 1
    assert "cannot read the file" in output


@pytest.mark.parametrize("argv", [[], ["validate"], ["export-xlsform", "x.yaml"], ["frobnicate"]])
def test_usage_errors_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv, out=io.StringIO())
    assert caught.value.code == 2


def test_module_entry_point_exit_codes(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "questionnaires", "validate", str(INTERNAL)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: questionnaire\nid: x\n")
    failed = subprocess.run(
        [sys.executable, "-m", "questionnaires", "validate", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 1
    assert f"{bad}:1:1: questionnaire: missing required key 'sections'" in failed.stdout
    usage = subprocess.run(
        [sys.executable, "-m", "questionnaires", "show"], capture_output=True, text=True, check=False
    )
    assert usage.returncode == 2
