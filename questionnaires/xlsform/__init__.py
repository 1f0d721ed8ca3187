"""XLSForm (ODK / KoboToolbox) import and export.

:func:`import_xlsform` reads a workbook (within :mod:`questionnaires.limits`) into a questionnaire, with
every problem and warning by sheet and cell (``form.xlsx:12:3: survey!C12 (label::English (en)): ...``);
:func:`export_xlsform` writes one that pyxform converts and ODK Validate accepts. What is supported, imported
with a warning or refused, and why, is the table in docs/questionnaire-format.md.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from questionnaires.loader import build_questionnaire
from questionnaires.model import Questionnaire
from questionnaires.problems import N_, Label, Msg, Problem, QuestionnaireInvalid
from questionnaires.xlsform.columns import language_header
from questionnaires.xlsform.document import document_nodes, questionnaire_document, to_yaml
from questionnaires.xlsform.export import export_xlsform
from questionnaires.xlsform.findings import Finding, Place, Severity, to_problems
from questionnaires.xlsform.importer import Importer
from questionnaires.xlsform.sheets import ImportOptions, Origins, Record

__all__ = [
    "ImportOptions",
    "XLSFormImport",
    "attachments_beside",
    "export_xlsform",
    "import_xlsform",
    "language_header",
    "load_xlsform",
    "questionnaire_document",
    "read_xlsform",
    "to_yaml",
]


@dataclass
class XLSFormImport:
    """The result of importing a workbook."""

    #: The questionnaire, when the import has no errors (and no refused rows, unless they were skipped).
    questionnaire: Questionnaire | None
    #: The questionnaire as a document of the YAML format (``None`` when the workbook could not be read).
    document: dict[str, Any] | None
    #: What stops the import, sorted by sheet, row and column.
    problems: list[Problem] = field(default_factory=list)
    #: What was imported differently or not at all; the import still succeeds.
    warnings: list[Problem] = field(default_factory=list)
    #: True when every problem is a refused row: importing without the refused rows would succeed.
    only_refused: bool = False

    @functools.cached_property
    def yaml(self) -> str | None:
        """The questionnaire as YAML, even when it has problems, so a user can fix it in either form."""
        return to_yaml(self.document) if self.document is not None else None


_UNKNOWN_REFERENCE = re.compile(r"refers to unknown item \$\{([^}]+)\}(?:; did you mean \$\{[^}]+\}\?)?")


@contextlib.contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the duration of one import.

    An import allocates some hundred thousand small objects (cells, nodes, marks) that all stay alive until
    it ends; each full collection meanwhile walks all of them again, which made up two thirds of the import
    time of a 275-question form with a 5,000-row choices sheet. Reference counting still frees everything
    as usual; only cycles wait until the collector is back on, after the import (bounded by the limits).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_xlsform(source: str | os.PathLike[str], options: ImportOptions | None = None) -> XLSFormImport:
    """Import an XLSForm workbook; never raises on bad content (every problem is in the result)."""
    with _without_cyclic_gc():
        return _import(source, options or ImportOptions())


def _import(source: str | os.PathLike[str], options: ImportOptions) -> XLSFormImport:
    importer = Importer(str(source), options)
    document = importer.read(Path(source))
    findings = list(importer.findings.items)
    questionnaire = None
    if document is not None:
        # The graph composing the document's YAML would give, through the validator of hand-written files.
        root = document_nodes(document, str(source))
        questionnaire, found = build_questionnaire(root, str(source))
        findings += _mapped(found, _origins(root, importer.origins, importer), importer)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    refused = [f for f in findings if f.severity is Severity.REFUSED]
    if errors or refused:
        questionnaire = None
    return XLSFormImport(
        questionnaire=questionnaire,
        document=document,
        problems=to_problems(str(source), errors + refused),
        warnings=to_problems(str(source), [f for f in findings if f.severity is Severity.WARNING]),
        only_refused=bool(refused) and not errors,
    )


def attachments_beside(path: str | os.PathLike[str], limit: int = 20_000_000) -> dict[str, bytes]:
    """The CSV files in the workbook's folder, by name: what ``select_one_from_file`` may name."""
    found: dict[str, bytes] = {}
    total = 0
    for csv_path in sorted(Path(path).parent.glob("*.csv")):
        total += csv_path.stat().st_size
        if total > limit:
            break
        found[csv_path.name] = csv_path.read_bytes()
    return found


def read_xlsform(
    source: str | os.PathLike[str], options: ImportOptions | None = None
) -> tuple[str | None, list[Problem]]:
    """The questionnaire YAML built from an XLSForm, and every problem (warnings are left out)."""
    result = import_xlsform(source, options)
    return result.yaml, result.problems


def load_xlsform(source: str | os.PathLike[str], options: ImportOptions | None = None) -> Questionnaire:
    """Import an XLSForm; raises :class:`QuestionnaireInvalid` with every problem."""
    result = import_xlsform(source, options)
    if result.questionnaire is None:
        raise QuestionnaireInvalid(
            result.problems or [Problem.of(str(source), 0, 0, Msg(N_("nothing to import")))]
        )
    return result.questionnaire


def _mapped(problems: list[Problem], origins: dict[int, Place], importer: Importer) -> list[Finding]:
    """The validator's problems at the cells they came from; follow-ons of a reported cause dropped."""
    findings = []
    for problem in problems:
        place = origins.get(problem.line, Place(""))
        message = problem.message
        # The English text and the same as a message to translate, rewritten alike.
        msg = problem.text
        match = _UNKNOWN_REFERENCE.search(message)
        if match:
            name = match.group(1)
            if name in importer.failed:
                continue  # the question itself is reported where it is
            if name in importer.dropped:
                cause, why = importer.dropped[name]
                if not importer.options.skip_refused and "refused" in str(why):
                    continue  # reported once, at the refused row
                message = message.replace(
                    match.group(0), f"refers to ${{{name}}}, {why} ({cause.describe()})"
                )
                if msg is not None:
                    msg = _dropped_reference(msg, name, why, cause.describe())
        # "first defined on line 12" names a line of the generated YAML; the user knows the sheet row.
        message = re.sub(
            r"\bline (\d+)",
            lambda m: str(origins[int(m.group(1))].describe()) if int(m.group(1)) in origins else m.group(0),
            message,
        )
        if msg is not None:
            msg = _sheet_lines(msg, origins)
        if message.startswith("sections: a questionnaire needs at least one section"):
            if any(f.severity is not Severity.WARNING for f in importer.findings.items):
                continue  # every question was refused or has a problem of its own, reported there
            findings.append(Finding(place, Msg(N_("the survey sheet has no question to import"))))
            continue
        english = _xlsform_words(message)
        text: Label = english
        if msg is not None:
            # The same words as a message to translate, where the template-level rewriting says exactly
            # what the text-level one does (else the English text is shown as it is).
            candidate = _xlsform_msg(msg)
            if str(candidate) == english:
                text = candidate
        findings.append(Finding(place, text))
    return findings


_UNKNOWN_REFERENCE_TEMPLATE = "%(what)s: refers to unknown item ${%(ref)s}%(hint)s"


def _dropped_reference(message: Msg, name: str, why: Msg, place: Label) -> Msg:
    """``message`` with its reference to the row ``name``, which was not imported, saying why and where."""
    params = dict(message.params)
    if message.template == _UNKNOWN_REFERENCE_TEMPLATE and params.get("ref") == name:
        return Msg(
            N_("%(what)s: refers to ${%(ref)s}, %(why)s (%(place)s)"),
            what=params["what"],
            ref=name,
            why=why,
            place=place,
        )
    inner = {
        k: _dropped_reference(v, name, why, place) if isinstance(v, Msg) else v for k, v in params.items()
    }
    return Msg(message.template, **inner)


#: The validator's templates that name a line of the generated YAML, with the field holding it, and the
#: same in XLSForm's words naming the sheet's cell instead (:func:`_sheet_lines`).
_LINE_TEMPLATES = {
    "%(kind)s id '%(value)s' is already used by the %(other_kind)s on line %(other)s": (
        "other",
        N_("%(kind)s id '%(value)s' is already used by the %(other_kind)s on %(other)s"),
    ),
    "item '%(id)s' (line %(line)s)": ("line", N_("question '%(id)s' (%(line)s)")),
    "%(what)s: refers to ${%(ref)s}, which comes later (line %(line)s); only earlier items can be used": (
        "line",
        N_("%(what)s: refers to ${%(ref)s}, which comes later (%(line)s); only earlier items can be used"),
    ),
    "%(what)s: duplicate scale id (first defined on line %(first)s)": (
        "first",
        N_("%(what)s: duplicate list_name (first defined on %(first)s)"),
    ),
    "%(what)s: the %(value)s code '%(code)s' clashes with the option on line %(line)s": (
        "line",
        N_("%(what)s: the %(value)s code '%(code)s' clashes with the option on %(line)s"),
    ),
    "%(what)s: duplicate option code (first used on line %(line)s)": (
        "line",
        N_("%(what)s: duplicate choice name (first used on %(line)s)"),
    ),
    "%(what)s: duplicate key '%(key)s' (first given on line %(first)s)": (
        "first",
        N_("%(what)s: duplicate key '%(key)s' (first given on %(first)s)"),
    ),
}


def _sheet_lines(message: Msg, origins: dict[int, Place]) -> Msg:
    """``message`` naming the sheet's cells where it names a line of the generated YAML."""
    params = {k: _sheet_lines(v, origins) if isinstance(v, Msg) else v for k, v in message.params}
    found = _LINE_TEMPLATES.get(message.template)
    if found is not None:
        key, template = found
        line = params.get(key)
        if isinstance(line, int) and line in origins:
            return Msg(template, **{**params, key: origins[line].describe()})
    return Msg(message.template, **params)


#: The validator's words for the questionnaire YAML, and XLSForm's for the same things.
_WORDS = (
    (re.compile(r"\bitem '([^']*)'\.scoring\.([a-z_]+)"), r"question '\1' (spi_\2)"),
    (re.compile(r"\bitem '([^']*)'\.scoring\b"), r"question '\1' (spi_dimension)"),
    (re.compile(r"\bitem '([^']*)'\.([a-z_]+)"), r"question '\1' (\2)"),
    (re.compile(r"\bitem '"), "question '"),
    (re.compile(r"\bunknown item\b"), "unknown question"),
    (re.compile(r"\bunknown scale\b"), "unknown list"),
    (re.compile(r"\bdefined scales\b"), "lists on the choices sheet"),
    (re.compile(r"\bscale '"), "list '"),
    (re.compile(r"\bduplicate scale id\b"), "duplicate list_name"),
    (re.compile(r"\bduplicate option code\b"), "duplicate choice name"),
    (re.compile(r"\ba scale needs at least one option\b"), "a list needs at least one choice"),
)


#: The same renaming for the validator's message templates (:func:`_xlsform_msg`).
_TEMPLATES = {
    "item '%(id)s'": N_("question '%(id)s'"),
    "scale '%(id)s'": N_("list '%(id)s'"),
    "%(what)s: refers to unknown item ${%(ref)s}%(hint)s": N_(
        "%(what)s: refers to unknown question ${%(ref)s}%(hint)s"
    ),
    "%(what)s: unknown scale '%(scale)s' (defined scales: %(known)s)": N_(
        "%(what)s: unknown list '%(scale)s' (lists on the choices sheet: %(known)s)"
    ),
    "%(what)s.options: a scale needs at least one option": N_(
        "%(what)s.options: a list needs at least one choice"
    ),
    "%(what)s: scale '%(scale)s' needs at least two different option values to score": N_(
        "%(what)s: list '%(scale)s' needs at least two different option values to score"
    ),
    "%(what)s: scale '%(id)s' of ${%(ref)s} has no option '%(code)s'": N_(
        "%(what)s: list '%(id)s' of ${%(ref)s} has no option '%(code)s'"
    ),
}


def _xlsform_msg(message: Msg) -> Msg:
    """A validator message in XLSForm's words: ``item 'q1'.relevant`` becomes ``question 'q1' (relevant)``."""
    params = {k: _xlsform_msg(v) if isinstance(v, Msg) else v for k, v in message.params}
    if message.template == "%(what)s.%(key)s":
        what, key = dict(message.params)["what"], str(params["key"])
        if isinstance(what, Msg) and what.template == "item '%(id)s'":
            key = "spi_dimension" if key == "scoring" else key
            return Msg(N_("question '%(id)s' (%(key)s)"), id=dict(what.params)["id"], key=key)
        if (
            isinstance(what, Msg)
            and what.template == "%(what)s.%(key)s"
            and dict(what.params)["key"] == "scoring"
        ):
            inner = dict(what.params)["what"]
            if isinstance(inner, Msg) and inner.template == "item '%(id)s'":
                return Msg(N_("question '%(id)s' (%(key)s)"), id=dict(inner.params)["id"], key=f"spi_{key}")
    return Msg(_TEMPLATES.get(message.template, message.template), **params)


def _xlsform_words(message: str) -> str:
    """``item 'q1'.relevant: refers to unknown item ${x}`` -> ``question 'q1' (relevant): refers to ...``."""
    for pattern, replacement in _WORDS:
        message = pattern.sub(replacement, message)
    return message


def _origins(root: Node, origins: Origins, importer: Importer) -> dict[int, Place]:
    """YAML line (1-based) of the generated document -> the cell it came from."""
    lines: dict[int, Place] = {}
    if not isinstance(root, MappingNode):
        return lines
    top = _fields(root)
    survey = importer.survey

    def mark(node: Node, place: Place) -> None:
        for line in range(node.start_mark.line + 1, node.end_mark.line + 2):
            lines[line] = place

    for key in ("id", "version", "group", "access", "title", "introduction", "consent", "missing_codes"):
        if key in top and origins.settings is not None:
            mark(top[key], origins.settings)
    sections = top.get("sections")
    item_rows = iter(origins.items)
    if isinstance(sections, SequenceNode):
        for index, section in enumerate(sections.value):
            place = origins.sections[index] if index < len(origins.sections) else Place("survey")
            mark(section, place)
            items = _fields(section).get("items")
            if not isinstance(items, SequenceNode):
                continue
            for item in items.value:
                row, record = next(item_rows, (0, {}))
                mark(item, Place(place.sheet, row))
                for key, value in _fields(item).items():
                    mark(value, _cell(survey, row, record, key) if survey else Place("survey", row))
    scales = top.get("scales")
    if isinstance(scales, SequenceNode):
        for scale in scales.value:
            sid = _fields(scale).get("id")
            places = origins.options.get(str(sid.value), []) if isinstance(sid, ScalarNode) else []
            mark(scale, places[0] if places else Place("choices"))
            options = _fields(scale).get("options")
            if isinstance(options, SequenceNode):
                for offset, option in enumerate(options.value):
                    if offset < len(places):
                        mark(option, places[offset])
    return lines


_COLUMN_OF = {
    "id": "name",
    "scale": "type",
    "scoring": "spi_dimension",
    "min": "spi_min",
    "max": "spi_max",
}


def _cell(survey: object, row: int, record: Record, key: str) -> Place:
    place = survey.place(row, _COLUMN_OF.get(key, key), record)  # type: ignore[attr-defined]
    assert isinstance(place, Place)
    return place


def _fields(node: Node) -> dict[str, Node]:
    if not isinstance(node, MappingNode):
        return {}
    return {str(k.value): v for k, v in node.value if isinstance(k, ScalarNode)}
