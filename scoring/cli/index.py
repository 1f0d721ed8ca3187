"""``python -m scoring index``: the SPI-style index from a responses CSV export.

Output (CSV): one row per ``--by`` cell with the composite (``estimate, se, ci_low, ci_high, df, n``), its
category and whether the CI straddles a cut-off, the correction when ``--corrections`` is given, the
probability of reaching ``--target``, the groups used and missing, publication flags, then per group
``<group>_estimate, <group>_ci_low, <group>_ci_high, <group>_n`` and per dimension (combined over groups)
``<dimension>_estimate, <dimension>_ci_low, <dimension>_ci_high``. JSON: a list of objects, one per cell, with
``groups`` and ``dimensions`` as nested lists holding every column of those tables.

Exit codes as :mod:`scoring.cli.common`: 2 for usage errors (missing file, unknown ``--by`` column), 1 when
the inputs cannot be scored (invalid questionnaire or profile, answers that do not match, bad design values).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from questionnaires import load_profile, load_questionnaire
from questionnaires.model import Questionnaire
from questionnaires.problems import QuestionnaireInvalid
from questionnaires.profile import ScoringProfile
from scoring.cli.common import (
    Subparsers,
    UsageError,
    check_variance_options,
    json_records,
    require_columns,
    write_frame,
)
from scoring.design import LONELY_PSU_OPTIONS
from scoring.index import DEFAULT_SEED, IndexResult, compute_index

__all__ = ["register_index", "run_index", "wide_table"]

_SUMMARY = ("estimate", "ci_low", "ci_high")


def _invalid(exc: QuestionnaireInvalid) -> ValueError:
    more = len(exc.problems) - 1
    first = str(exc.problems[0]) if exc.problems else str(exc)
    return ValueError(first + (f" (and {more} more problem{'s' * (more > 1)})" if more > 0 else ""))


def _load(paths: list[str], profile_path: str) -> tuple[list[Questionnaire], ScoringProfile]:
    for p in [*paths, profile_path]:
        if not Path(p).is_file():
            raise UsageError(f"file {p!r} not found")
    try:
        profile = load_profile(profile_path)
        questionnaires = [load_questionnaire(p) for p in paths]
    except QuestionnaireInvalid as exc:
        raise _invalid(exc) from exc
    return questionnaires, profile


def _read_responses(path: str) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"responses file {path!r} not found")
    try:
        # Every column as text: option codes such as "1" or "05" must not become numbers; the pipeline
        # converts the design columns (weight, fpc) itself and says which row is wrong.
        return pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path!r} as CSV: {exc}") from exc


def wide_table(result: IndexResult) -> pd.DataFrame:
    """One row per ``by`` cell: the index columns, then group sub-indices and dimension scores side by side.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from scoring.examples import tiny_profile, tiny_questionnaire
    >>> from scoring.index import compute_index
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"group": np.repeat(["internal", "external"], 20),
    ...                    "t1": rng.choice(list("345"), 40),
    ...                    "t2": "4", "b1": "n", "b2": rng.choice(["n", "y"], 40)})
    >>> qs = [tiny_questionnaire("internal"), tiny_questionnaire("external")]
    >>> w = wide_table(compute_index(df, qs, tiny_profile()))
    >>> [c for c in w.columns if c.startswith(("internal_", "transparansi_"))]
    ['internal_estimate', 'internal_ci_low', 'internal_ci_high', 'internal_n', 'transparansi_estimate', \
'transparansi_ci_low', 'transparansi_ci_high']
    """
    by = list(result.settings.get("by", []))  # type: ignore[call-overload]
    out = result.index.copy()
    key = by if by else None
    parts: list[pd.DataFrame] = []
    g = result.groups
    for name in g["group"].drop_duplicates().tolist():
        sub = g[g["group"] == name][[*by, *_SUMMARY, "n"]]
        sub = sub.rename(columns={c: f"{name}_{c}" for c in (*_SUMMARY, "n")})
        parts.append(sub)
    d = result.dimensions
    d = d[d["group"] == "all"]
    for name in d["dimension"].drop_duplicates().tolist():
        sub = d[d["dimension"] == name][[*by, *_SUMMARY]]
        parts.append(sub.rename(columns={c: f"{name}_{c}" for c in _SUMMARY}))
    for part in parts:
        if key is None:
            for col in part.columns:
                out[col] = part[col].iloc[0] if len(part) else np.nan
        else:
            out = out.merge(part, on=key, how="left")
    return out


def _nested_records(result: IndexResult) -> list[dict[str, Any]]:
    by = list(result.settings.get("by", []))  # type: ignore[call-overload]

    def key_of(row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(row[c] for c in by)

    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in json_records(result.groups):
        groups.setdefault(key_of(row), []).append({k: v for k, v in row.items() if k not in by})
    dims: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in json_records(result.dimensions):
        dims.setdefault(key_of(row), []).append({k: v for k, v in row.items() if k not in by})
    out = []
    for row in json_records(result.index):
        k = key_of(row)
        out.append({**row, "groups": groups.get(k, []), "dimensions": dims.get(k, [])})
    return out


def run_index(args: argparse.Namespace) -> int:
    """Handler of ``index``."""
    check_variance_options(args)
    questionnaires, profile = _load(args.questionnaire, args.profile)
    responses = _read_responses(args.responses)
    by = list(args.by) if args.by else ["institution"]
    require_columns(responses, [c for c in by if c != "institution"], args.responses)
    corrections = None
    if args.corrections:
        if not Path(args.corrections).is_file():
            raise UsageError(f"corrections file {args.corrections!r} not found")
        corrections = pd.read_csv(args.corrections, dtype={"institution": str, "rule": str})
    result = compute_index(
        responses,
        questionnaires,
        profile,
        by=by,
        method=args.method,
        replicates=args.replicates,
        seed=args.seed,
        level=args.level,
        target=args.target,
        corrections=corrections,
        lonely_psu=args.lonely_psu,
    )
    if args.format == "json":
        sys.stdout.write(json.dumps(_nested_records(result), allow_nan=False, ensure_ascii=False))
        sys.stdout.write("\n")
    else:
        write_frame(wide_table(result), "csv", sys.stdout)
    return 0


def register_index(subparsers: Subparsers) -> None:
    """Add ``index``: the SPI-style composite index with CIs per institution/unit."""
    p = subparsers.add_parser(
        "index",
        help="SPI-style integrity index per institution/unit with CIs",
        description="Score a responses export with its questionnaire version(s) and a scoring profile: "
        "respondent scores, design-based group sub-indices, the composite index with its CI "
        "(linearization with Welch-Satterthwaite df, or a seeded Rao-Wu bootstrap), dimension scores, "
        "category, correction, minimum-n and small-cell suppression. See docs/scoring-method.md.",
    )
    p.add_argument("responses", metavar="RESPONSES.csv", help="the export: one row per response")
    p.add_argument(
        "--questionnaire",
        required=True,
        nargs="+",
        action="extend",
        metavar="Q.yaml",
        help="questionnaire version(s) answered; matched by questionnaire_hash, else by group",
    )
    p.add_argument("--profile", required=True, metavar="P.yaml", help="scoring profile")
    p.add_argument(
        "--by",
        nargs="+",
        action="extend",
        metavar="COL",
        help="reporting cells (default: institution; e.g. --by institution unit)",
    )
    p.add_argument(
        "--method",
        choices=("linearization", "bootstrap"),
        default="linearization",
        help="linearization (default) or Rao-Wu rescaled bootstrap of the whole pipeline",
    )
    p.add_argument("--replicates", type=int, default=500, metavar="N", help="bootstrap replicates (500)")
    p.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, metavar="N", help=f"bootstrap seed ({DEFAULT_SEED})"
    )
    p.add_argument("--level", type=float, default=0.95, help="confidence level (0.95)")
    p.add_argument("--target", type=float, metavar="X", help="add P(true index >= X), e.g. 74")
    p.add_argument(
        "--corrections", metavar="CASES.csv", help="correction cases: columns institution, rule, cases"
    )
    p.add_argument(
        "--lonely-psu",
        choices=LONELY_PSU_OPTIONS,
        default="adjust",
        help="strata with one respondent (default: adjust)",
    )
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (csv)")
    p.set_defaults(handler=run_index)
