"""Benchmarks of the scoring package at national scale (not a test).

Usage::

    .venv/bin/python bench/scoring_bench.py                 # every problem
    .venv/bin/python bench/scoring_bench.py --problem a     # selected problems

Problems are functions registered in :data:`PROBLEMS`; each prints its own report.

(a) Design-based estimation: a synthetic national campaign (1,000,000 responses, 600 institutions x
    10 units, respondent groups internal/external/expert, strata = institution x group, sampling
    weights N_h/n_h and fpc N_h, a 0-100 ``score``); domain means with linearization SEs by
    institution (600 domains) and by unit (6,000 domains). Every measurement runs in a fresh
    subprocess, so its peak RSS (``ru_maxrss``) is its own. When ``Rscript`` with the ``survey``
    package is installed, R's ``svydesign`` + ``svyby(~score, ~institution, design, svymean)`` is
    timed on a campaign of ``--r-rows`` responses with the same structure, and the two results are
    compared to 1e-6.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GROUPS = np.array(["internal", "external", "expert"])
GROUP_SHARE = np.array([0.45, 0.45, 0.10])


def generate_campaign(
    rows: int = 1_000_000, institutions: int = 600, units: int = 10, seed: int = 2024
) -> pd.DataFrame:
    """A synthetic SPI campaign: one row per response, stratified by institution x group."""
    rng = np.random.default_rng(seed)
    inst = rng.integers(0, institutions, rows)
    unit = inst * units + rng.integers(0, units, rows)
    group = rng.choice(3, size=rows, p=GROUP_SHARE)
    # Two responses per stratum for certain, so small campaigns have no lonely PSU.
    fixed = min(rows, institutions * 3 * 2)
    inst[:fixed] = (np.arange(fixed) // 2) // 3
    group[:fixed] = (np.arange(fixed) // 2) % 3
    unit[:fixed] = inst[:fixed] * units + rng.integers(0, units, fixed)
    inst_effect = rng.normal(72, 6, institutions)
    group_effect = np.array([4.0, -2.0, -6.0])
    score = np.clip(inst_effect[inst] + group_effect[group] + rng.normal(0, 15, rows), 0, 100).round(2)
    stratum = inst * 3 + group
    n_h = np.bincount(stratum, minlength=institutions * 3)
    pop_h = np.maximum(n_h, np.ceil(n_h * rng.uniform(5, 50, n_h.size)))
    return pd.DataFrame(
        {
            "institution": pd.array(
                np.array([f"I{i + 1}" for i in range(institutions)], dtype=object)[inst], dtype="str"
            ),
            "unit": pd.array(
                np.array([f"U{i + 1}" for i in range(institutions * units)], dtype=object)[unit], dtype="str"
            ),
            "group": GROUPS[group],
            "stratum": stratum,
            "weight": (pop_h / np.maximum(n_h, 1))[stratum],
            "fpc": pop_h[stratum],
            "score": score,
        }
    )


def _measure(by: str, rows: int, seed: int, out: str | None) -> None:
    """Child process: generate, then time design + domain means; print one JSON line."""
    from scoring import svydesign, svymean

    frame = generate_campaign(rows, seed=seed)
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    design = svydesign(frame, strata="stratum", weights="weight", fpc="fpc")
    t1 = time.perf_counter()
    result = svymean(design, "score", by=by)
    t2 = time.perf_counter()
    if out:
        result.to_csv(out, index=False)
    print(
        json.dumps(
            {
                "by": by,
                "rows": rows,
                "domains": len(result),
                "design_s": t1 - t0,
                "estimate_s": t2 - t1,
                "total_s": t2 - t0,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "rss_after_data_mb": rss_data / 1024,
            }
        )
    )


def _child(by: str, rows: int, seed: int, out: str | None = None) -> dict[str, float]:
    cmd = [sys.executable, __file__, "_measure", "--by", by, "--rows", str(rows), "--seed", str(seed)]
    if out:
        cmd += ["--out", out]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


R_SCRIPT = r"""
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
t0 <- proc.time()[["elapsed"]]
des <- svydesign(id = ~1, strata = ~stratum, weights = ~weight, fpc = ~fpc, data = d)
b <- svyby(~score, ~institution, des, svymean)
el <- proc.time()[["elapsed"]] - t0
write.csv(data.frame(institution = b$institution, estimate = coef(b), se = SE(b)), args[2], row.names = FALSE)
cat(sprintf("%.3f\n", el))
"""


def _r_available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(
        ["Rscript", "-e", "quit(status = !requireNamespace('survey', quietly = TRUE))"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def _compare_with_r(rows: int, seed: int) -> None:
    if not _r_available():
        print("R: Rscript with the 'survey' package is not installed; R comparison skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "campaign.csv"
        generate_campaign(rows, seed=seed).to_csv(data, index=False)
        ours_csv = Path(tmp) / "ours.csv"
        ours = _child("institution", rows, seed, str(ours_csv))
        script = Path(tmp) / "bench.R"
        script.write_text(R_SCRIPT)
        r_out = Path(tmp) / "r.csv"
        # A fresh Python parent whose only child is R, so RUSAGE_CHILDREN is R's own peak.
        wrapper = (
            "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
            "sys.exit(r.returncode)"
        )
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", wrapper, "Rscript", str(script), str(data), str(r_out)],
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            print(f"R: failed: {proc.stderr.strip().splitlines()[-2:]}")
            return
        r_rss = int(proc.stderr.strip().splitlines()[-1]) / 1024
        r_seconds = float(proc.stdout.split()[-1])
        r = pd.read_csv(r_out).set_index("institution").sort_index()
        py = pd.read_csv(ours_csv).set_index("institution").sort_index()
        rel_est = float(np.max(np.abs(py.estimate - r.estimate) / np.abs(r.estimate)))
        rel_se = float(np.max(np.abs(py.se - r.se) / np.abs(r.se)))
        ok = rel_est < 1e-6 and rel_se < 1e-6 and len(r) == len(py)
        print(
            f"R survey on {rows:,} rows, {len(r)} domains: svydesign+svyby {r_seconds:.1f} s "
            f"(Rscript wall {wall:.1f} s incl. read.csv, R peak RSS {r_rss:,.0f} MB); "
            f"python on the same data {ours['total_s']:.3f} s"
        )
        print(
            f"agreement with R: max relative difference estimate {rel_est:.2e}, se {rel_se:.2e} -> "
            f"{'OK (< 1e-6)' if ok else 'MISMATCH'}"
        )


def problem_a(args: argparse.Namespace) -> None:
    """Domain means with linearization SEs at national scale (and R when installed)."""
    print(
        f"(a) design-based estimation, {args.rows:,} responses, strata = institution x group, weights + fpc"
    )
    for by in ("institution", "unit"):
        m = _child(by, args.rows, args.seed)
        print(
            f"  by {by:<11} {m['domains']:>5} domains: svymean {m['estimate_s']:.3f} s "
            f"(+ svydesign {m['design_s']:.3f} s), peak RSS {m['peak_rss_mb']:,.0f} MB "
            f"(of which data generation {m['rss_after_data_mb']:,.0f} MB)"
        )
    _compare_with_r(args.r_rows or args.rows, args.seed)


# ------------------------------------------------------------------------- (b) the index pipeline

B_ITEMS = 60
B_DIMENSIONS = (
    "transparansi",
    "integritas_pelaksanaan_tugas",
    "pengadaan",
    "pengelolaan_sdm",
    "trading_in_influence",
    "pengelolaan_anggaran",
    "sosialisasi_antikorupsi",
)


def _b_instruments() -> tuple[list[object], object]:
    """Three group questionnaires of 60 scored items (40 frequency 1-5 + dk, 20 yes/no + dk/na) and a
    spi-2024-like profile, built with the model constructors."""
    from questionnaires.model import Questionnaire
    from questionnaires.profile import ScoringProfile
    from scoring.examples import tiny_profile, tiny_questionnaire

    base = tiny_questionnaire("internal").to_dict()
    freq_item, yn_item = base["sections"][0]["items"][1], base["sections"][1]["items"][0]
    sections = []
    for s in range(6):
        items = []
        for j in range(10):
            i = s * 10 + j
            template = freq_item if j < 7 else yn_item
            dim = B_DIMENSIONS[i % len(B_DIMENSIONS)]
            scoring = {**template["scoring"], "dimension": dim, "indicator": f"ind{i % 3}"}
            items.append(
                {**template, "id": f"q{i + 1:02d}", "label": {"en": f"q{i + 1}"}, "scoring": scoring}
            )
        sections.append({"id": f"s{s}", "title": {"en": f"s{s}"}, "items": items})
    qs = []
    for g in ("internal", "external", "expert"):
        qs.append(Questionnaire.from_dict({**base, "id": f"bench-{g}", "group": g, "sections": sections}))
    prof = tiny_profile().to_dict()
    prof["group_weights"] = {"internal": 0.45, "external": 0.45, "expert": 0.10}
    prof["dimensions"] = [{"id": d, "label": {"en": d}, "weight": 1.0} for d in B_DIMENSIONS]
    prof["min_respondents_per_group"] = 10
    prof["min_cell"] = 5
    return qs, ScoringProfile.from_dict(prof)


def generate_responses(rows: int = 1_000_000, seed: int = 2024) -> pd.DataFrame:
    """Problem (a)'s campaign as the web app exports it: design columns + 60 item columns of option codes."""
    design = generate_campaign(rows, seed=seed)
    rng = np.random.default_rng(seed + 1)
    # Answers lean with the institution's latent score, so the index varies between institutions.
    lean = (design["score"].to_numpy() / 100.0)[:, None]
    freq = np.array(["1", "2", "3", "4", "5", "dk"], dtype=object)
    yesno = np.array(["y", "n", "dk", "na"], dtype=object)
    cols: dict[str, object] = {
        "response_id": pd.array(np.char.add("r", np.arange(rows).astype(str)), dtype="str"),
        "campaign": "national-2024",
        "institution": design["institution"],
        "unit": design["unit"],
        "group": pd.array(design["group"].to_numpy(), dtype="str"),
        "stratum": design["stratum"].astype(str),
        "weight": design["weight"],
        "fpc": design["fpc"],
        "open_access": "false",
        "duration_seconds": rng.integers(200, 1800, rows),
    }
    for i in range(B_ITEMS):
        u = rng.random(rows)
        if i % 10 < 7:
            idx = np.clip((lean[:, 0] * 5 + rng.normal(0, 1.2, rows)).astype(np.int64), 0, 4)
            idx = np.where(u < 0.05, 5, idx)
            cols[f"q{i + 1:02d}"] = pd.array(freq[idx], dtype="str")
        else:
            idx = np.where(rng.random(rows) < lean[:, 0], 1, 0)
            idx = np.where(u < 0.04, 2, np.where(u < 0.06, 3, idx))
            cols[f"q{i + 1:02d}"] = pd.array(yesno[idx], dtype="str")
    return pd.DataFrame(cols)


def _measure_b(argv: list[str]) -> int:
    """Child process for (b): generate, then time the whole index pipeline; print one JSON line."""
    p = argparse.ArgumentParser(prog="scoring_bench.py _measure_b")
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--by", nargs="+", required=True)
    a = p.parse_args(argv)
    from scoring.index import compute_index

    qs, profile = _b_instruments()
    frame = generate_responses(a.rows, a.seed)
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    result = compute_index(frame, qs, profile, by=a.by, target=74)  # type: ignore[arg-type]
    t1 = time.perf_counter()
    print(
        json.dumps(
            {
                "rows": a.rows,
                "items": B_ITEMS,
                "by": a.by,
                "index_rows": len(result.index),
                "group_rows": len(result.groups),
                "dimension_rows": len(result.dimensions),
                "published": int(result.index["published"].sum()),
                "total_s": t1 - t0,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "rss_after_data_mb": rss_data / 1024,
            }
        )
    )
    return 0


def problem_b(args: argparse.Namespace) -> None:
    """The full index pipeline from the wide responses table to the results tables with CIs."""
    print(f"(b) index pipeline, {args.rows:,} responses x {B_ITEMS} items, 600 institutions x 10 units")
    for by in (["institution"], ["institution", "unit"]):
        cmd = [sys.executable, __file__, "_measure_b", "--rows", str(args.rows), "--seed", str(args.seed)]
        proc = subprocess.run([*cmd, "--by", *by], capture_output=True, text=True, check=True, cwd=ROOT)
        m = json.loads(proc.stdout.strip().splitlines()[-1])
        print(
            f"  by {' x '.join(by):<18} {m['index_rows']:>5} index rows, {m['group_rows']:>6} group rows, "
            f"{m['dimension_rows']:>6} dimension rows: {m['total_s']:.2f} s, peak RSS "
            f"{m['peak_rss_mb']:,.0f} MB (of which data generation {m['rss_after_data_mb']:,.0f} MB)"
        )


PROBLEMS: dict[str, Callable[[argparse.Namespace], None]] = {"a": problem_a, "b": problem_b}


def main(argv: list[str] | None = None) -> int:
    """Run the selected problems (default: all)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_measure_b"]:
        return _measure_b(argv[1:])
    if argv[:1] == ["_measure"]:
        p = argparse.ArgumentParser(prog="scoring_bench.py _measure")
        p.add_argument("_measure")
        p.add_argument("--by", required=True)
        p.add_argument("--rows", type=int, required=True)
        p.add_argument("--seed", type=int, required=True)
        p.add_argument("--out")
        a = p.parse_args(argv)
        _measure(a.by, a.rows, a.seed, a.out)
        return 0
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--problem", nargs="+", choices=sorted(PROBLEMS), default=sorted(PROBLEMS))
    parser.add_argument("--rows", type=int, default=1_000_000, help="responses (1,000,000)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--r-rows",
        type=int,
        default=100_000,
        help="responses for the R comparison (100,000; 0 = --rows: R needs ~15 GB for 1M rows)",
    )
    args = parser.parse_args(argv)
    for name in args.problem:
        PROBLEMS[name](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
