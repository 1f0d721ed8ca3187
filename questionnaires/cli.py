"""``python -m questionnaires``: validate, import and export XLSForm, and show a questionnaire's outline.

Exit status: 0 when everything is valid, 1 when a file has problems (each printed as
``file:line:column: message``), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from questionnaires.loader import load_questionnaire
from questionnaires.model import Questionnaire
from questionnaires.problems import Problem, QuestionnaireInvalid
from questionnaires.profile import ScoringProfile
from questionnaires.profile_loader import load_profile
from questionnaires.validate import validate_file
from questionnaires.xlsform import export_xlsform, load_xlsform, read_xlsform


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m questionnaires",
        description="Validate questionnaires and scoring profiles; convert to and from XLSForm.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = commands.add_parser(
        "validate", help="report every problem of questionnaire, profile or XLSForm files"
    )
    validate.add_argument("files", nargs="+", metavar="FILE", type=Path)
    validate.add_argument(
        "--profile", type=Path, help="also check that scored items use dimensions this profile knows"
    )
    importer = commands.add_parser("import-xlsform", help="convert an XLSForm .xlsx to questionnaire YAML")
    importer.add_argument("source", metavar="IN.xlsx", type=Path)
    importer.add_argument("-o", "--output", required=True, metavar="OUT.yaml", type=Path)
    exporter = commands.add_parser("export-xlsform", help="convert questionnaire YAML to an XLSForm .xlsx")
    exporter.add_argument("source", metavar="IN.yaml", type=Path)
    exporter.add_argument("-o", "--output", required=True, metavar="OUT.xlsx", type=Path)
    show = commands.add_parser("show", help="print a readable outline: sections, items, skip logic")
    show.add_argument("source", metavar="FILE", type=Path)
    show.add_argument("--language", help="language of the labels shown (default: the first declared)")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args.files, args.profile, out)
        if args.command == "import-xlsform":
            return _import(args.source, args.output, out)
        if args.command == "export-xlsform":
            return _export(args.source, args.output, out)
        return _show(args.source, args.language, out)
    except QuestionnaireInvalid as exc:
        _print_problems(exc.problems, out)
        return 1
    except OSError as exc:  # an output that cannot be written: say which and why, no traceback
        print(f"{exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1


def _print_problems(problems: Sequence[Problem], out: TextIO) -> None:
    for problem in problems:
        print(problem, file=out)


def _is_xlsx(path: Path) -> bool:
    return path.suffix.lower() in (".xlsx", ".xlsm")


def _validate(files: Sequence[Path], profile_path: Path | None, out: TextIO) -> int:
    profile: ScoringProfile | None = load_profile(profile_path) if profile_path is not None else None
    failed = 0
    for path in files:
        problems = read_xlsform(path)[1] if _is_xlsx(path) else validate_file(path, profile=profile)
        if problems:
            failed += 1
            _print_problems(problems, out)
        else:
            print(f"{path}: valid", file=out)
    if failed:
        print(f"{failed} of {len(files)} file(s) have problems", file=out)
    return 1 if failed else 0


def _import(source: Path, target: Path, out: TextIO) -> int:
    text, problems = read_xlsform(source)
    if problems or text is None:
        _print_problems(problems, out)
        print(f"{target} was not written", file=out)
        return 1
    target.write_text(text, encoding="utf-8")
    print(f"{source} -> {target}", file=out)
    return 0


def _export(source: Path, target: Path, out: TextIO) -> int:
    questionnaire = load_questionnaire(source)
    export_xlsform(questionnaire, target)
    print(f"{source} -> {target}", file=out)
    return 0


def _show(source: Path, language: str | None, out: TextIO) -> int:
    questionnaire = load_xlsform(source) if _is_xlsx(source) else load_questionnaire(source)
    print(outline(questionnaire, language), file=out)
    return 0


def outline(q: Questionnaire, language: str | None = None) -> str:
    """A readable outline of a questionnaire: its sections, items, scales and skip logic.

    >>> from questionnaires.bundled import load_bundled_questionnaire
    >>> print(outline(load_bundled_questionnaire("spi-internal")).splitlines()[0])
    spi-internal 2024.2 (internal) — Survei Penilaian Integritas — Pegawai
    """
    lang = language or q.default_language

    def t(text: object) -> str:
        values = dict(text)  # type: ignore[call-overload]
        return str(values.get(lang) or next(iter(values.values()), ""))

    lines = [f"{q.id} {q.version} ({q.group.value}) — {t(q.title)}"]
    lines.append(f"languages: {', '.join(q.languages)}; content hash: {q.content_hash}")
    scored = len(q.scored_items)
    lines.append(f"{len(q.sections)} sections, {len(q.items)} items ({scored} scored)")
    for number, section in enumerate(q.sections, start=1):
        lines.append("")
        lines.append(f"[{number}] {section.id}: {t(section.title)}")
        if section.relevant:
            lines.append(f"    shown only if {section.relevant}")
        for item in section.items:
            kind = f"{item.type.value} {item.scale}" if item.scale else item.type.value
            flags = [] if item.required or item.type.value == "note" else ["optional"]
            if item.minimum is not None or item.maximum is not None:
                flags.append(f"{_bound(item.minimum)}..{_bound(item.maximum)}")
            if item.scoring:
                s = item.scoring
                flags.append(f"{s.dimension}/{s.indicator}, {s.direction.value}, weight {s.weight:g}")
            suffix = f" [{'; '.join(flags)}]" if flags else ""
            lines.append(f"  - {item.id} ({kind}){suffix}: {_short(t(item.label))}")
            if item.relevant:
                lines.append(f"      if {item.relevant}")
            if item.constraint:
                lines.append(f"      must satisfy {item.constraint}")
    lines.append("")
    lines.append("scales:")
    for scale in q.scales.values():
        options = ", ".join(f"{o.code}={o.value:g}" if o.value is not None else o.code for o in scale.options)
        lines.append(f"  {scale.id} ({scale.kind.value}): {options}")
    return "\n".join(lines)


def _bound(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _short(text: str, width: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
