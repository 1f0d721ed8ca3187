"""``python -m scoring sample-size`` and ``python -m scoring draw``: plan and draw a stratified sample.

Both read population lists with :func:`scoring.frames.read_table` (CSV with ``,``/``;``/tab, UTF-8
with or without a BOM, or XLSX), so a bad file gives one line per problem naming the file, the row
and the column, and exit code 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from scoring.cli.common import Subparsers, UsageError, write_frame
from scoring.frames import read_table
from scoring.sampling import ALLOCATION_METHODS, DRAW_METHODS, draw_sample, plan_sample

__all__ = ["register_draw", "register_sample_size"]


class FrameFileError(ValueError):
    """Problems in a list file, one line each."""


def _read_list(path: str) -> pd.DataFrame:
    if not Path(path).is_file():
        raise UsageError(f"file {path!r} not found")
    table, problems = read_table(path)
    if table is None or problems:
        raise FrameFileError("\n".join(f"{path}: {p}" for p in problems) or f"{path}: cannot be read")
    return table


def _require(table: pd.DataFrame, columns: list[str], path: str) -> None:
    for c in columns:
        if c not in table.columns:
            raise UsageError(
                f"column {c!r} not found in {path} (columns: {', '.join(map(str, table.columns[:20]))})"
            )


def _number_or_column(value: str) -> float | str:
    try:
        return float(value)
    except ValueError:
        return value


def _numeric_column(table: pd.DataFrame, col: str, path: str, *, whole: bool = False) -> pd.Series:
    vals = pd.to_numeric(table[col].str.strip(), errors="coerce")
    bad = vals.isna() | (~np.isfinite(vals))
    if whole:
        bad |= vals != vals.round()
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        what = "a whole number" if whole else "a number"
        raise ValueError(f"{path}: row {table.index[i]}, column {col!r}: {table[col].iat[i]!r} is not {what}")
    return vals


def run_sample_size(args: argparse.Namespace) -> int:
    """Handler of ``sample-size``."""
    if not 0 < args.moe < 1:
        raise UsageError(f"--moe must be between 0 and 1, not {args.moe}")
    if not 0 < args.confidence < 1:
        raise UsageError(f"--confidence must be between 0 and 1, not {args.confidence}")
    if args.total is not None and args.allocation is None:
        raise UsageError("--total needs --allocation")
    p = _number_or_column(args.p)
    rate = _number_or_column(args.response_rate)
    strata = args.strata or []
    if args.list is None:
        if not args.N:
            raise UsageError("give a FILE (a frame, or one row per stratum with --population) or --N")
        table = pd.DataFrame({"stratum": [str(i + 1) for i in range(len(args.N))], "N": args.N})
        if isinstance(p, str) or isinstance(rate, str):
            raise UsageError("--p and --response-rate must be numbers with --N")
        path = "--N"
    else:
        path = args.list
        raw = _read_list(args.list)
        named = [*strata, *([args.population] if args.population else [])]
        named += [c for c in (p, rate, args.sd) if isinstance(c, str)]
        _require(raw, named, path)
        if args.population:
            table = raw.copy()
            table["N"] = _numeric_column(raw, args.population, path, whole=True).astype(np.int64)
            if args.population != "N":
                table = table.drop(columns=[args.population])
        else:
            if not strata:
                raise UsageError("a frame needs --strata (or give --population COL for one row per stratum)")
            table = raw.groupby(strata, sort=True).size().rename("N").reset_index()
        for c in (p, rate, args.sd):
            if isinstance(c, str):
                if args.population is None:
                    raise UsageError(f"column {c!r} for a prior needs one row per stratum (--population COL)")
                table[c] = _numeric_column(raw, c, path)
    result = plan_sample(
        table,
        moe=args.moe,
        confidence=args.confidence,
        p=p,
        response_rate=rate,
        minimum=args.minimum,
        census_below=args.census_below,
        allocation=args.allocation,
        total=args.total,
        sd=args.sd,
    )
    write_frame(result, args.format, sys.stdout)
    return 0


def register_sample_size(subparsers: Subparsers) -> None:
    """Add ``sample-size``."""
    p = subparsers.add_parser(
        "sample-size",
        help="sample size per stratum for a target margin of error, and its allocation",
        description="Respondents and invitations needed per stratum (unit x group) for a proportion "
        "with a target margin of error: n0 = z^2 p(1-p)/e^2, n = n0 N/(N+n0-1), at least --minimum, "
        "invitations n/response rate; or, with --allocation, a total allocated over the strata. "
        "Prints N, n, n_invite and expected_moe per stratum (see docs/statistics.md).",
    )
    p.add_argument(
        "list",
        nargs="?",
        metavar="FILE",
        help="a frame (one row per person; counted by --strata) or, with --population, one row per stratum",
    )
    p.add_argument(
        "--strata", action="append", metavar="COL", help="stratum column of a frame; repeat to cross"
    )
    p.add_argument(
        "--population", metavar="COL", help="column with N per stratum (FILE has one row per stratum)"
    )
    p.add_argument("--N", type=int, action="append", metavar="N", help="a population size (no FILE); repeat")
    p.add_argument("--moe", type=float, default=0.05, help="target margin of error (0.05)")
    p.add_argument("--confidence", type=float, default=0.95, help="confidence level (0.95)")
    p.add_argument(
        "--p", default="0.5", metavar="P|COL", help="expected proportion, or a column of priors (0.5)"
    )
    p.add_argument(
        "--response-rate", default="1", metavar="R|COL", help="expected response rate, or a column (1)"
    )
    p.add_argument("--minimum", type=int, default=0, metavar="N", help="respondents at least per stratum (0)")
    p.add_argument(
        "--census-below", type=int, default=0, metavar="N", help="take strata with N <= this whole (0)"
    )
    p.add_argument("--allocation", choices=ALLOCATION_METHODS, help="allocate a total over the strata")
    p.add_argument(
        "--total",
        type=int,
        metavar="N",
        help="total respondents to allocate (default: the size for --moe overall)",
    )
    p.add_argument("--sd", metavar="COL", help="prior standard deviation per stratum for neyman allocation")
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (csv)")
    p.set_defaults(handler=run_sample_size)


def run_draw(args: argparse.Namespace) -> int:
    """Handler of ``draw``."""
    if args.seed < 0:
        raise UsageError("--seed must be a non-negative integer")
    table = _read_list(args.frame)
    _require(table, args.strata, args.frame)
    size: int | str
    try:
        size = int(args.n)
    except ValueError:
        column = str(args.n)
        _require(table, [column], args.frame)
        _numeric_column(table, column, args.frame, whole=True)
        size = column
    for c in args.strata:
        empty = table[c].str.strip() == ""
        if empty.any():
            rows = ", ".join(str(r) for r in table.index[empty.to_numpy()][:20])
            raise ValueError(f"{args.frame}: row(s) {rows}, column {c!r}: the stratum is empty")
    # The index is each person's spreadsheet row (read_table); the draw returns it.
    sample, record = draw_sample(table, args.strata, size, seed=args.seed, method=args.method)
    out = table.loc[sample["row"].to_numpy()].reset_index()
    for c in ("N_h", "n_h", "weight"):
        out[c] = sample[c].to_numpy()
    write_frame(out, args.format, sys.stdout)
    if args.record:
        Path(args.record).write_text(json.dumps(record.to_dict(), indent=2, ensure_ascii=False) + "\n")
    print(
        f"drew {len(sample)} of {len(table)} rows in {len(record.sizes)} strata ({record.method}, seed "
        f"{record.seed}); frame sha256 {record.frame_hash}",
        file=sys.stderr,
    )
    return 0


def register_draw(subparsers: Subparsers) -> None:
    """Add ``draw``."""
    p = subparsers.add_parser(
        "draw",
        help="seeded stratified random sample from a frame",
        description="Draw a stratified simple random sample without replacement (or a systematic "
        "sample) from FRAME, reproducible from --seed (algorithm in docs/statistics.md). Prints the "
        "selected rows with their file row number, N_h, n_h and the design weight N_h/n_h.",
    )
    p.add_argument("frame", metavar="FRAME", help="population list, CSV or XLSX, one row per person")
    p.add_argument(
        "--strata", action="append", required=True, metavar="COL", help="stratum column; repeat to cross"
    )
    p.add_argument(
        "--n", required=True, metavar="COL|N", help="sample size per stratum: a number or a column"
    )
    p.add_argument("--seed", type=int, required=True, metavar="N", help="seed (record it)")
    p.add_argument("--method", choices=DRAW_METHODS, default="srs", help="srs (default) or systematic")
    p.add_argument(
        "--record", metavar="RECORD.json", help="write the draw's record (seed, frame hash, sizes)"
    )
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (csv)")
    p.set_defaults(handler=run_draw)
