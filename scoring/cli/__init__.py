"""Command line for the statistics: ``python -m scoring COMMAND ...``.

Each subcommand is one ``register_<name>(subparsers)`` function that adds its parser and sets
``handler`` (a function of the parsed arguments returning the exit code); :data:`REGISTRARS` lists
them. To add a subcommand, write its ``register_...`` function in a module of its own (``scoring/cli/``,
importing what it shares with the others from :mod:`scoring.cli.common`, never from this package) and
append it to :data:`REGISTRARS`.

Exit codes: 0 success; 2 a usage error (bad option, DATA file not found, unknown column named on the
command line); 1 the data cannot be analysed as asked (non-numeric value column, missing design
values, a lonely PSU, ...). Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from scoring.cli.common import DEFAULT_SEED as DEFAULT_SEED
from scoring.cli.common import Subparsers, UsageError, read_csv, write_frame
from scoring.cli.common import add_design_arguments as add_design_arguments
from scoring.cli.common import require_columns as require_columns
from scoring.cli.index import register_index
from scoring.cli.mean import register_mean
from scoring.cli.mean import run_mean as run_mean
from scoring.cli.sampling import register_draw, register_sample_size

__all__ = ["REGISTRARS", "UsageError", "build_parser", "main", "read_csv", "register_mean", "write_frame"]

REGISTRARS: list[Callable[[Subparsers], None]] = [
    register_mean,
    register_index,
    register_sample_size,
    register_draw,
]


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
        # A file with several problems gives one line each.
        for line in str(exc).splitlines() or [""]:
            print(f"{parser.prog} {args.command}: error: {line}", file=sys.stderr)
        return 1
