"""Benchmark: a national population list validated, allocated and drawn (not a test).

Usage::

    .venv/bin/python bench/frame_draw.py                       # 1,000,000 rows, 600 units
    .venv/bin/python bench/frame_draw.py --rows 200000 --units 100 --format xlsx

A synthetic frame (``--rows`` people across ``--units`` units, groups internal/external, an e-mail
address and a phone number each, sex and rank as auxiliary columns) is written to a temporary CSV in
the format Excel writes under the Indonesian locale (``;``, UTF-8 with BOM), or to an XLSX workbook.
A fresh subprocess then does what the console does with an upload, and is measured alone (wall time
per step, the process's CPU time, which the machine's load disturbs less, and peak RSS,
``ru_maxrss``):

1. ``read_table`` + ``validate_frame`` (mapping, known unit codes, every check) → frame and hash;
2. ``plan_sample`` per unit × group (5 % margin, p = 0.5, expected response rate 0.6, minimum 30,
   census below 40);
3. ``draw_sample`` (stratified SRS, seeded; the record takes the hash computed at validation).

Target (issue 13): under 20 s and 1 GB for 1,000,000 rows across 600 units.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def write_frame(path: Path, rows: int, units: int, seed: int, fmt: str) -> None:
    """A synthetic frame: unit sizes from a log-normal (a few large units, many small ones)."""
    rng = np.random.default_rng(seed)
    size = rng.lognormal(0, 1.0, units)
    unit = rng.choice(units, size=rows, p=size / size.sum())
    unit[:units] = np.arange(units)  # every unit present
    codes = np.array([f"U{u:04d}" for u in range(units)])
    group = np.where(rng.random(rows) < 0.7, "internal", "external")
    person = np.arange(rows)
    email = np.char.add(np.char.add("p", person.astype(str)), "@instansi.go.id")
    phone = np.char.add("08", (1_000_000_000 + person).astype(str))
    frame = pd.DataFrame(
        {
            "Kode Satker": codes[unit],
            "Kelompok": group,
            "Surel": email,
            "No HP": phone,
            "Jenis Kelamin": np.where(rng.random(rows) < 0.5, "L", "P"),
            "Golongan": rng.choice(["II", "III", "IV"], size=rows),
        }
    )
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet()
        ws.append(list(frame.columns))
        for r in frame.itertuples(index=False, name=None):
            ws.append(list(r))
        wb.save(path)
    else:
        frame.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    (path.parent / "units.txt").write_text("\n".join(codes) + "\n")


def child(path: Path) -> dict[str, float | int | str]:
    """The measured part, in its own process."""
    from scoring.frames import ColumnMapping, read_table, validate_frame
    from scoring.sampling import draw_sample, plan_sample

    units = (path.parent / "units.txt").read_text().split()
    mapping = ColumnMapping(
        unit="Kode Satker",
        group="Kelompok",
        email="Surel",
        phone="No HP",
        auxiliary=("Jenis Kelamin", "Golongan"),
    )
    t0 = time.perf_counter()
    table, problems = read_table(path)
    t_read = time.perf_counter()
    assert table is not None, problems[:5]
    assert not problems, problems[:5]
    result = validate_frame(table, mapping, known_units=units)
    assert result.frame is not None, [str(p) for p in result.problems[:5]]
    del table
    t_valid = time.perf_counter()
    assert result.counts is not None
    plan = plan_sample(result.counts, response_rate=0.6, minimum=30, census_below=40)
    t_plan = time.perf_counter()
    frame = result.frame
    sizes = {(r.unit, r.group): int(r.n_invite) for r in plan.itertuples()}
    sample, record = draw_sample(
        frame, ["unit", "group"], sizes, seed=20261201, id_column="row", known_hash=result.hash
    )
    t_draw = time.perf_counter()
    assert record.frame_hash == result.hash
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "rows": len(frame),
        "strata": len(plan),
        "sampled": len(sample),
        "read_s": round(t_read - t0, 2),
        "validate_s": round(t_valid - t_read, 2),
        "plan_s": round(t_plan - t_valid, 3),
        "draw_s": round(t_draw - t_plan, 2),
        "total_s": round(t_draw - t0, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "frame_hash": record.frame_hash,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--units", type=int, default=600)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    ap.add_argument("--child", metavar="PATH", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child))))
        return 0
    with tempfile.TemporaryDirectory(prefix="frame_draw_") as tmp:
        path = Path(tmp) / f"frame.{args.format}"
        t0 = time.perf_counter()
        write_frame(path, args.rows, args.units, args.seed, args.format)
        made = time.perf_counter() - t0
        size_mb = path.stat().st_size / 1e6
        load = os.getloadavg()
        proc = subprocess.run(
            [sys.executable, __file__, "--child", str(path)], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return proc.returncode
        res = json.loads(proc.stdout)
    res.update(
        {
            "format": args.format,
            "file_mb": round(size_mb, 1),
            "generate_s": round(made, 1),
            "loadavg_before": [round(x, 2) for x in load],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            "cpus": os.cpu_count() or 0,
        }
    )
    print(json.dumps(res, indent=2))
    ok = res["total_s"] < 20 and res["peak_rss_mb"] < 1024
    print(f"target (< 20 s and < 1 GB): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
