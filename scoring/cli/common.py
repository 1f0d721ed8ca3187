"""What every ``python -m scoring`` subcommand shares: errors, input, output and the design options.

Exit codes: 0 success; 2 a usage error (:class:`UsageError`: bad option, DATA file not found, unknown column
named on the command line); 1 the data cannot be analysed as asked (a ``ValueError``: non-numeric value
column, missing design values, a lonely PSU, ...).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from scoring.design import LONELY_PSU_OPTIONS
from scoring.index import DEFAULT_SEED

__all__ = [
    "DEFAULT_SEED",
    "Subparsers",
    "UsageError",
    "add_design_arguments",
    "check_variance_options",
    "json_records",
    "json_value",
    "read_csv",
    "require_columns",
    "write_frame",
]

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
        out.write(json.dumps(json_records(frame), allow_nan=False))
        out.write("\n")
    else:
        frame.to_csv(out, index=False, lineterminator="\n")


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON-ready dicts (see :func:`json_value`)."""
    return [{str(k): json_value(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def json_value(v: object) -> object:
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


def check_variance_options(args: argparse.Namespace) -> None:
    """``--level`` and ``--replicates`` out of range are usage errors, caught before any file is read."""
    if not 0 < args.level < 1:
        raise UsageError(f"--level must be between 0 and 1, not {args.level}")
    if args.method == "bootstrap" and args.replicates < 2:
        raise UsageError("--replicates must be at least 2")
