"""Command line for the statistics: ``python -m scoring COMMAND ...``.

Each subcommand is one ``register_<name>(subparsers)`` function that adds its parser and sets
``handler`` (a function of the parsed arguments returning the exit code); :data:`REGISTRARS` lists
them. To add a subcommand, write its ``register_...`` function and append it to :data:`REGISTRARS`.

Exit codes: 0 success; 2 a usage error (bad option, DATA file not found, unknown column named on the
command line); 1 the data cannot be analysed as asked (non-numeric value column, missing design
values, a lonely PSU, ...). Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from scoring.cli_index import register_index
from scoring.design import LONELY_PSU_OPTIONS, SurveyDesign, svydesign
from scoring.estimators import svymean
from scoring.replicates import as_replicate_design

__all__ = ["REGISTRARS", "UsageError", "build_parser", "main", "read_csv", "register_mean", "write_frame"]

DEFAULT_SEED = 20240601

Subparsers = Any  # argparse's _SubParsersAction is private; its type is not worth importing


class UsageError(Exception):
    """A problem with the command line itself (exit code 2)."""


def read_csv(path: str) -> pd.DataFrame:
    """Read a CSV file; a missing or unreadable file is a :class:`UsageError`."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"data file {path!r} not found")
    try:
        return pd.read_csv(p)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path!r} as CSV: {exc}") from exc


def require_columns(frame: pd.DataFrame, columns: Sequence[str | None], path: str) -> None:
    """A column named on the command line but absent from the file is a usage error."""
    for col in columns:
        if col is not None and col not in frame.columns:
            shown = ", ".join(map(str, frame.columns[:20]))
            raise UsageError(f"column {col!r} not found in {path} (columns: {shown})")


def write_frame(frame: pd.DataFrame, fmt: str, out: TextIO) -> None:
    """Write a result table as CSV or as a JSON list of objects (NaN as null)."""
    if fmt == "json":
        records = [
            {str(k): _json_value(v) for k, v in row.items()} for row in frame.to_dict(orient="records")
        ]
        out.write(json.dumps(records, allow_nan=False))
        out.write("\n")
    else:
        frame.to_csv(out, index=False, lineterminator="\n")


def _json_value(v: object) -> object:
    """Plain JSON scalars: numpy numbers to Python, NaN/NA to null."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float | np.floating):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, str | int | bool):
        return v
    return str(v)


def _design_from_args(frame: pd.DataFrame, args: argparse.Namespace) -> SurveyDesign:
    design = svydesign(
        frame,
        ids=args.cluster,
        strata=args.strata,
        weights=args.weight,
        fpc=args.fpc,
        nest=args.nest,
        lonely_psu=args.lonely_psu,
    )
    if args.method == "jackknife":
        return as_replicate_design(design, "auto")
    if args.method == "bootstrap":
        return as_replicate_design(design, "subbootstrap", replicates=args.replicates, seed=args.seed)
    return design


def add_design_arguments(p: argparse.ArgumentParser) -> None:
    """Options describing the sampling design and the variance method (shared by subcommands)."""
    g = p.add_argument_group("design")
    g.add_argument(
        "--weight", metavar="COL", help="sampling weight column (default: implied by --fpc, else 1)"
    )
    g.add_argument("--strata", metavar="COL", help="stratum column")
    g.add_argument(
        "--cluster",
        metavar="COL",
        action="append",
        help="PSU column; repeat for later stages (default: every row is its own PSU)",
    )
    g.add_argument(
        "--fpc",
        metavar="COL",
        action="append",
        help="finite population correction: population size, or sampling fraction if all <= 1; "
        "repeat per stage",
    )
    g.add_argument("--nest", action="store_true", help="cluster ids are unique only within strata")
    g.add_argument(
        "--lonely-psu",
        choices=LONELY_PSU_OPTIONS,
        default="fail",
        help="strata with one PSU, as R's survey.lonely.psu (default: fail)",
    )
    v = p.add_argument_group("variance")
    v.add_argument(
        "--method",
        choices=("linearization", "jackknife", "bootstrap"),
        default="linearization",
        help="Taylor linearization (default), delete-one-PSU jackknife (JK1/JKn), "
        "or Rao-Wu rescaled bootstrap",
    )
    v.add_argument("--replicates", type=int, default=500, metavar="N", help="bootstrap replicates (500)")
    v.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, metavar="N", help=f"bootstrap seed ({DEFAULT_SEED})"
    )
    v.add_argument("--level", type=float, default=0.95, help="confidence level (0.95)")
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (csv)")


def run_mean(args: argparse.Namespace) -> int:
    """Handler of ``mean``."""
    if not 0 < args.level < 1:
        raise UsageError(f"--level must be between 0 and 1, not {args.level}")
    if args.method == "bootstrap" and args.replicates < 2:
        raise UsageError("--replicates must be at least 2")
    frame = read_csv(args.data)
    named = [args.value, args.weight, args.strata, *(args.by or []), *(args.cluster or []), *(args.fpc or [])]
    require_columns(frame, named, args.data)
    col = frame[args.value]
    if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        raise ValueError(f"value column {args.value!r} must be numeric, found {col.dtype}")
    design = _design_from_args(frame, args)
    result = svymean(design, args.value, by=args.by, level=args.level)
    write_frame(result, args.format, sys.stdout)
    return 0


def register_mean(subparsers: Subparsers) -> None:
    """Add ``mean``: domain means with design-based SEs and t intervals."""
    p = subparsers.add_parser(
        "mean",
        help="design-based mean per domain with SE and CI",
        description="Weighted mean of --value per domain (--by) with its design-based standard error "
        "and a t confidence interval at the design's degrees of freedom. Matches R: "
        "svyby(~VALUE, ~BY, svydesign(...), svymean) and confint(..., df=degf(design)). "
        "Rows with a missing value drop out of the estimate but stay in the design.",
    )
    p.add_argument("data", metavar="DATA.csv", help="one row per response")
    p.add_argument("--value", required=True, metavar="COL", help="numeric column to average")
    p.add_argument("--by", action="append", metavar="COL", help="domain column; repeat for crossed domains")
    add_design_arguments(p)
    p.set_defaults(handler=run_mean)


REGISTRARS: list[Callable[[Subparsers], None]] = [register_mean, register_index]


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m scoring`` parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m scoring",
        description="Design-based survey statistics on CSV files (see docs/statistics.md).",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in REGISTRARS:
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (argparse exits 2 itself on bad options)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except UsageError as exc:
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as exc:
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)
        return 1
