"""Benchmark: importing a 275-question XLSForm (the size of a full SPI field form), time and peak memory.

Builds, with openpyxl, a bilingual (English/Indonesian) form in the style of a KoboToolbox field survey:
metadata rows, 25 groups (some nested, with relevance), 275 questions (select_one on 5-point scales, yes/no
with follow-ups, select_multiple with constraints, integers with bounds, text), a choices sheet with a
5,000-row list of villages, a settings sheet, and one stray formatted cell at XFD1048576. Then imports it
``--runs`` times, each in a fresh process (so the peak resident memory, ``VmHWM``, is that of one import
in an interpreter that has loaded the importer), and prints the median and worst time and the peak memory.
Targets: under 2 s and 200 MB.

    .venv/bin/python bench/xlsform_import.py --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])


def peak_mb():
    # VmHWM is this process's own peak; ru_maxrss may keep the parent's across fork and exec.
    try:
        return int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


from questionnaires.xlsform import import_xlsform
before = peak_mb()
start, cpu = time.perf_counter(), time.process_time()
result = import_xlsform(sys.argv[1])
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
q = result.questionnaire
print(json.dumps({
    "seconds": seconds,
    "cpu": cpu,
    "peak_mb": peak_mb(),
    "baseline_mb": before,
    "questions": len([i for i in q.items if i.type.value != "note"]) if q else None,
    "problems": [str(p) for p in result.problems][:5],
    "warnings": len(result.warnings),
}))
"""


def build_form(path: Path, questions: int = 275, villages: int = 5000) -> None:
    workbook = openpyxl.Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    survey.append(
        [
            "type",
            "name",
            "label::English (en)",
            "label::Indonesian (id)",
            "hint::English (en)",
            "required",
            "relevant",
            "constraint",
            "constraint_message::English (en)",
            "appearance",
        ]
    )
    for meta in ("start", "end", "today", "deviceid"):
        survey.append([meta, meta])
    written = 0
    if villages:
        survey.append(
            ["select_one village", "village", "Village", "Desa", None, "yes", None, None, None, "minimal"]
        )
        written = 1
    group = 0
    while written < questions:
        group += 1
        survey.append(
            [
                "begin_group",
                f"g{group}",
                f"Part {group}",
                f"Bagian {group}",
                None,
                None,
                "${q5} != 'no'" if group % 3 == 0 and group > 1 else None,
                None,
                None,
                "field-list",
            ]
        )
        nested = group % 4 == 0
        for n in range(11):
            if written >= questions:
                break
            if nested and n == 5:
                survey.append(
                    [
                        "begin_group",
                        f"g{group}_inner",
                        f"Part {group} (more)",
                        f"Bagian {group} (lanjut)",
                        None,
                        None,
                        f"${{q{written}}} != 'no'",
                    ]
                )
            written += 1
            name = f"q{written}"
            kind = n % 5
            if kind == 0:
                survey.append(
                    [
                        "select_one yn",
                        name,
                        f"In the last 12 months, did you see {name}?",
                        f"Dalam 12 bulan terakhir, apakah Anda melihat {name}?",
                        None,
                        "yes",
                    ]
                )
            elif kind == 1:
                survey.append(
                    [
                        "select_multiple given",
                        name,
                        "What was given?",
                        "Apa yang diberikan?",
                        "Select all that apply",
                        "yes",
                        f"${{q{written - 1}}} = 'yes'",
                        "not(selected(., 'none') and count-selected(.) > 1)",
                        "'None' cannot be combined",
                    ]
                )
            elif kind == 2:
                survey.append(
                    [
                        "integer",
                        name,
                        "How many times?",
                        "Berapa kali?",
                        None,
                        "no",
                        None,
                        ". >= 0 and . <= 365",
                        "Between 0 and 365",
                    ]
                )
            elif kind == 3:
                survey.append(
                    ["select_one agree5", name, f"Statement {name}", f"Pernyataan {name}", None, "yes"]
                )
            else:
                survey.append(
                    ["text", name, "Comments", "Komentar", None, "no", None, None, None, "multiline"]
                )
        if nested:
            survey.append(["end_group"])
        survey.append(["end_group"])
    survey["XFD1048576"].number_format = "0.00"  # a stray formatted cell far away
    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", "label::English (en)", "label::Indonesian (id)"])
    for code, en, idn in (("yes", "Yes", "Ya"), ("no", "No", "Tidak"), ("dk", "Don't know", "Tidak tahu")):
        choices.append(["yn", code, en, idn])
    for code, en, idn in (
        ("money", "Money", "Uang"),
        ("goods", "Goods", "Barang"),
        ("none", "None", "Tidak ada"),
    ):
        choices.append(["given", code, en, idn])
    for value in range(1, 6):
        choices.append(["agree5", str(value), f"Agree {value}", f"Setuju {value}"])
    for village in range(villages):
        choices.append(["village", f"v{village:05d}", f"Village {village}", f"Desa {village}"])
    settings = workbook.create_sheet("settings")
    settings.append(["form_id", "form_title", "version", "default_language", "instance_name", "spi_group"])
    settings.append(["field_form_275", "Field survey", "2024.1", "English (en)", "concat(${q5})", "external"])
    workbook.save(path)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--questions", type=int, default=275)
    parser.add_argument("--villages", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "field_form.xlsx"
        build_form(path, args.questions, args.villages)
        print(
            f"form: {path.stat().st_size / 1024:.0f} KB, {args.questions} questions, "
            f"{args.villages} villages; load average {os.getloadavg()[0]:.2f}"
        )
        runs = []
        for _ in range(args.runs):
            done = subprocess.run(
                [sys.executable, "-c", _CHILD, str(path), str(ROOT)],
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        first = runs[0]
        if first["problems"]:
            print("problems:", *first["problems"], sep="\n  ")
            return 1
        times = [r["seconds"] for r in runs]
        cpu = [r["cpu"] for r in runs]
        print(f"questions imported: {first['questions']}, warnings: {first['warnings']}")
        print(
            f"import time: median {statistics.median(times):.2f} s, worst {max(times):.2f} s "
            f"over {len(times)} runs (CPU time: median {statistics.median(cpu):.2f} s)"
        )
        print(
            f"peak RSS: {max(r['peak_mb'] for r in runs):.0f} MB "
            f"(interpreter with the importer loaded: {first['baseline_mb']:.0f} MB)"
        )
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
