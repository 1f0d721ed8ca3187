"""``python -m scoring mean``: design-based domain means with SEs and t intervals from a CSV file."""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd

from scoring.cli.calibrate import add_calibration_arguments, apply_calibration, check_calibration_options
from scoring.cli.common import (
    Subparsers,
    add_design_arguments,
    check_variance_options,
    read_csv,
    require_columns,
    write_frame,
)
from scoring.design import SurveyDesign, svydesign
from scoring.estimators import svymean
from scoring.replicates import as_replicate_design

__all__ = ["register_mean", "run_mean"]


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
    design = apply_calibration(design, args)
    if args.method == "jackknife":
        return as_replicate_design(design, "auto")
    if args.method == "bootstrap":
        return as_replicate_design(design, "subbootstrap", replicates=args.replicates, seed=args.seed)
    return design


def run_mean(args: argparse.Namespace) -> int:
    """Handler of ``mean``."""
    check_variance_options(args)
    check_calibration_options(args)
    frame = read_csv(args.data)
    named = [args.value, args.weight, args.strata, *(args.by or []), *(args.cluster or []), *(args.fpc or [])]
    require_columns(frame, named, args.data)
    if len(frame) == 0:
        raise ValueError(f"{args.data} has no rows (only a header line)")
    col = frame[args.value]
    if pd.api.types.is_bool_dtype(col):
        # True/False is 0/1, as the Python API's svymean treats a boolean column.
        frame = frame.assign(**{args.value: col.astype(np.float64)})
    elif not pd.api.types.is_numeric_dtype(col):
        raise ValueError(f"value column {args.value!r} must be numeric, found {col.dtype}")
    else:
        inf = np.isinf(col.to_numpy(dtype=np.float64, na_value=np.nan))
        if inf.any():
            line = int(np.flatnonzero(inf)[0]) + 2  # the header is line 1
            raise ValueError(
                f"{args.data}, line {line}: value column {args.value!r} is {float(col.iloc[line - 2])!r}"
            )
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
    add_calibration_arguments(p)
    p.set_defaults(handler=run_mean)
