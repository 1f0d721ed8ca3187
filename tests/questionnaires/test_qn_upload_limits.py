"""Upload bombs are refused quickly, in little memory, with a message that says what is wrong.

Each bomb is read in a child process (the way a web worker would read it) whose peak resident memory
(``VmHWM``; ``ru_maxrss`` where /proc is missing) and time are measured there; the child's address space is
capped at 1 GB, so an unbounded read fails the test instead of the machine. Without the limits, the first of
these took 84 s and 2.5 GB, the second 110 s and 1.5 GB, the third ended in MemoryError.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_SECONDS = 2.0
MAX_MB = 200.0

_CHILD = r"""
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from questionnaires.xlsform import import_xlsform
from questionnaires.loader import load_questionnaire_text
from questionnaires import QuestionnaireInvalid
kind, path = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if kind == "xlsx":
    problems = [str(p) for p in import_xlsform(path).problems]
else:
    try:
        load_questionnaire_text(open(path, encoding="utf-8").read(), path)
        problems = []
    except QuestionnaireInvalid as exc:
        problems = [str(p) for p in exc.problems]
elapsed = time.perf_counter() - start
# VmHWM is this process's own peak; ru_maxrss keeps the peak of the forked pytest worker across exec.
try:
    status = open("/proc/self/status", encoding="ascii").read()
    peak_mb = int(status.split("VmHWM:")[1].split()[0]) / 1024
except (OSError, IndexError):
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"problems": problems, "seconds": elapsed, "peak_mb": peak_mb}))
"""


def _read_in_child(kind: str, path: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, kind, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _assert_refused(result: dict[str, object], fragment: str) -> None:
    problems = result["problems"]
    assert isinstance(problems, list)
    assert problems, "the bomb was not refused"
    assert any(fragment in str(p) for p in problems), problems
    assert float(result["seconds"]) < MAX_SECONDS, result  # type: ignore[arg-type]
    assert float(result["peak_mb"]) < MAX_MB, result  # type: ignore[arg-type]


def test_one_cell_at_xfd1048576_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "far.xlsx"
    workbook = openpyxl.Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    survey.append(["type", "name", "label"])
    survey.append(["text", "q", "Question"])
    survey["XFD1048576"] = "x"
    workbook.save(path)
    assert path.stat().st_size < 10_000
    _assert_refused(_read_in_child("xlsx", path), "survey!XFD1048576 holds a value, beyond the")


def test_an_empty_formatted_cell_far_away_costs_nothing(tmp_path: Path) -> None:
    """A stray cell with only a format (what a careless Ctrl+End leaves) is no reason to refuse a form."""
    path = tmp_path / "stray.xlsx"
    workbook = openpyxl.Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    survey.append(["type", "name", "label::English (en)"])
    survey.append(["text", "q", "Question"])
    survey["XFD1048576"].number_format = "0.00"
    workbook.save(path)
    result = _read_in_child("xlsx", path)
    assert result["problems"] == []
    assert float(result["seconds"]) < MAX_SECONDS  # type: ignore[arg-type]
    assert float(result["peak_mb"]) < MAX_MB  # type: ignore[arg-type]


def _zip_bomb(path: Path, inflated: int) -> None:
    """A workbook whose sheet is ``inflated`` bytes of valid XML (whitespace), about 1 MB on disk."""
    workbook = openpyxl.Workbook()
    workbook.active.title = "survey"  # type: ignore[union-attr]
    normal = path.with_suffix(".base.xlsx")
    workbook.save(normal)
    with zipfile.ZipFile(normal) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info, source.read(info.filename))
                continue
            with target.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
                member.write(
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                )
                chunk = b" " * (1 << 20)
                for _ in range(inflated // len(chunk)):
                    member.write(chunk)
                member.write(b"</sheetData></worksheet>")


def test_a_zip_bomb_is_refused_before_it_inflates(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    _zip_bomb(path, 1 << 30)
    assert path.stat().st_size < 1_500_000
    _assert_refused(_read_in_child("xlsx", path), "this looks like a zip bomb")


def test_a_yaml_of_aliases_is_refused(tmp_path: Path) -> None:
    """ "Billion laughs": nine levels of ten aliases each, 24 KB of text, 10^9 values expanded."""
    lines = ["kind: questionnaire", "id: laughs", "version: '1'", "group: internal", "languages: [id]"]
    names = ["l0"] + [f"laugh_level_{level:02d}_" + "x" * 220 for level in range(1, 10)]
    lines.append("l0: &l0 [" + ", ".join(["'ha ha ha ha ha ha ha ha ha ha ha ha ha ha'"] * 10) + "]")
    for level in range(1, 10):
        refs = ", ".join([f"*{names[level - 1]}"] * 10)
        lines.append(f"l{level}: &{names[level]} [{refs}]")
    prev = names[-1]
    lines.append(f"title: *{prev}")
    lines.append("sections: []")
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert 20_000 < path.stat().st_size < 30_000
    _assert_refused(_read_in_child("yaml", path), "billion laughs")


@pytest.mark.parametrize("count", [101])
def test_too_many_aliases_are_refused_even_when_small(count: int) -> None:
    from questionnaires.yamlsource import compose

    text = "a: &a x\nb: [" + ", ".join(["*a"] * count) + "]\n"
    root, problems = compose(text, "q.yaml")
    assert root is None
    assert "aliases (*name) 101 times; at most 100" in problems[0].message
