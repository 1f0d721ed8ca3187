"""Benchmark: calibrated domain means at national scale (not a test).

Usage::

    .venv/bin/python bench/calibration_bench.py                    # 1,000,000 responses
    .venv/bin/python bench/calibration_bench.py --rows 100000

The synthetic campaign of ``bench/scoring_bench.py`` (600 institutions x 10 units, 1,800 strata with
weights ``N_h/n_h`` and fpc ``N_h``) with two auxiliary columns (``sex``; ``years``, numeric), then
per method, each in a fresh process (peak RSS is its own): the adjustment, and ``svymean(by=)`` with
linearization SEs for 600 institutions and 6,000 units. Methods: nonresponse post-stratification to
the 1,800 strata; raking on group + sex; linear calibration on sex + years.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "bench"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))


def child(method: str, rows: int) -> dict[str, object]:
    from scoring_bench import generate_campaign

    from scoring.calibration import calibrate, poststratify
    from scoring.design import svydesign
    from scoring.estimators import svymean

    df = generate_campaign(rows)
    rng = np.random.default_rng(7)
    df["sex"] = np.where(rng.random(len(df)) < 0.45, "F", "M")
    df["years"] = rng.integers(1, 31, len(df)).astype(float)
    design = svydesign(df, strata="stratum", weights="weight", fpc="fpc")
    big_n = float(design.weights.sum())
    t0 = time.perf_counter()
    if method == "poststratify":
        cal = poststratify(
            design, "stratum", pd.Series(design.weights).groupby(df["stratum"]).sum().to_dict()
        )
    else:
        groups = pd.Series(design.weights).groupby(df["group"]).sum()
        rows_ = [("sex", "F", 0.5 * big_n), ("sex", "M", 0.5 * big_n)]
        if method == "rake":
            rows_ += [("group", str(g), float(t)) for g, t in groups.items()]
        else:
            rows_ += [("years", "", float((design.weights * df["years"]).sum()) * 1.02)]
        cal = calibrate(design, pd.DataFrame(rows_, columns=["variable", "level", "total"]), method)  # type: ignore[arg-type]
    t1 = time.perf_counter()
    by_inst = svymean(cal, "score", by="institution")
    t2 = time.perf_counter()
    by_unit = svymean(cal, "score", by="unit")
    t3 = time.perf_counter()
    assert len(by_inst) == 600
    assert len(by_unit) == 6000
    assert by_unit["se"].notna().all()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "method": method,
        "rows": len(df),
        "calibrate_s": round(t1 - t0, 2),
        "svymean_600_s": round(t2 - t1, 2),
        "svymean_6000_s": round(t3 - t2, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--child", choices=("poststratify", "rake", "linear"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.rows)))
        return 0
    for method in ("poststratify", "rake", "linear"):
        load = os.getloadavg()[0]
        proc = subprocess.run(
            [sys.executable, __file__, "--child", method, "--rows", str(args.rows)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return proc.returncode
        res = json.loads(proc.stdout)
        res["loadavg_1min"] = round(load, 2)
        print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
