"""``mean --calibrate poststratify|rake|linear --margins MARGINS.csv``: the options and their use.

Kept apart from :mod:`scoring.cli.mean` so that any subcommand building a design can offer them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scoring.calibration import CALIBRATION_METHODS, calibrate, read_margins
from scoring.cli.common import UsageError
from scoring.design import SurveyDesign

__all__ = ["add_calibration_arguments", "apply_calibration", "check_calibration_options"]


def add_calibration_arguments(p: argparse.ArgumentParser) -> None:
    """``--calibrate`` and ``--margins``."""
    g = p.add_argument_group("calibration")
    g.add_argument(
        "--calibrate",
        choices=CALIBRATION_METHODS,
        help="calibrate the weights to --margins: poststratify (R: postStratify), rake (R: rake) or "
        'linear (R: calibrate(..., calfun="linear")); SEs use the calibration residuals as R does',
    )
    g.add_argument(
        "--margins",
        metavar="MARGINS.csv",
        help="population totals, columns variable,level,total (an empty level: the total of a numeric "
        "column, for linear calibration)",
    )


def check_calibration_options(args: argparse.Namespace) -> None:
    """Both options or neither; linearization only; the margins file exists."""
    if (args.calibrate is None) != (args.margins is None):
        raise UsageError("--calibrate and --margins go together")
    if args.calibrate is None:
        return
    if args.method != "linearization":
        raise UsageError("--calibrate works with --method linearization only")
    if not Path(args.margins).is_file():
        raise UsageError(f"margins file {args.margins!r} not found")


def apply_calibration(design: SurveyDesign, args: argparse.Namespace) -> SurveyDesign:
    """The design calibrated as the options ask (unchanged without ``--calibrate``)."""
    if args.calibrate is None:
        return design
    margins = read_margins(args.margins)
    try:
        return calibrate(design, margins, args.calibrate)
    except ValueError as exc:
        raise ValueError(f"{args.margins}: {exc}") from exc
