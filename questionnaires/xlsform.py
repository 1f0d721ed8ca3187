"""XLSForm (ODK / KoboToolbox) import and export for the supported subset.

Import reads the ``survey``, ``choices`` and ``settings`` sheets into a document in this product's YAML
format, then loads that document through the same validator as a hand-written file, so both paths obey one
set of rules. Problems are reported by sheet, row and column (``form.xlsx:12:6: survey!F12 (relevant): ...``);
anything outside the supported subset (another question type, an unknown column with content, a nested
group, another sheet) is reported, never dropped silently. Scoring metadata, bounds, scale kinds, option
values and "don't know" markers travel in extra columns, so an export followed by an import gives back the
same questionnaire (same content hash). The supported subset is documented in docs/questionnaire-format.md.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import yaml
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from questionnaires.loader import DEFAULT_MISSING, build_questionnaire
from questionnaires.model import ItemType, Missing, Questionnaire
from questionnaires.problems import Problem, QuestionnaireInvalid
from questionnaires.yamlsource import compose

#: Names shown in ``label::Name (code)`` headers on export; import reads the code in parentheses.
LANGUAGE_NAMES: Mapping[str, str] = {"id": "Bahasa Indonesia", "en": "English"}
_NAME_TO_CODE = {name.lower(): code for code, name in LANGUAGE_NAMES.items()} | {"indonesian": "id"}

SURVEY_COLUMNS = (
    "type",
    "name",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "appearance",
    "min",
    "max",
    "dimension",
    "indicator",
    "direction",
    "weight",
)
CHOICES_COLUMNS = ("list_name", "name", "label", "value", "missing", "kind")
SETTINGS_COLUMNS = (
    "form_id",
    "version",
    "form_title",
    "default_language",
    "group",
    "access",
    "title",
    "introduction",
    "consent",
    "dont_know_code",
    "not_applicable_code",
)
#: Columns that may carry a language suffix (``label::English (en)``).
TRANSLATABLE = frozenset({"label", "hint", "constraint_message", "title", "introduction", "consent"})
#: Spellings ODK tools accept for the same column.
COLUMN_ALIASES = {
    "list name": "list_name",
    "constraint message": "constraint_message",
    "form title": "form_title",
}
YES = frozenset({"yes", "true", "1", "true()"})
NO = frozenset({"", "no", "false", "0", "false()"})

_QUESTION_TYPES = {
    "integer": ItemType.INTEGER,
    "decimal": ItemType.DECIMAL,
    "text": ItemType.TEXT,
    "note": ItemType.NOTE,
}


@dataclass(frozen=True)
class Column:
    index: int
    name: str
    language: str | None


@dataclass(frozen=True)
class Cell:
    """Where a value came from, for problems."""

    sheet: str
    row: int
    column: int
    header: str

    def describe(self) -> str:
        letter = get_column_letter(self.column) if self.column else ""
        where = f"{self.sheet}!{letter}{self.row}" if letter else f"{self.sheet} row {self.row}"
        return f"{where} ({self.header})" if self.header else where


class _Sheet:
    """One sheet's header row understood as columns; rows as ``{column name: {language: value}}``."""

    def __init__(self, importer: _Importer, ws: Worksheet, known: tuple[str, ...]) -> None:
        self.importer = importer
        self.title = ws.title
        self.rows = [list(r) for r in ws.iter_rows(values_only=True)]
        self.columns: list[Column] = []
        self.unknown: list[Column] = []
        header = self.rows[0] if self.rows else []
        for index, raw in enumerate(header, start=1):
            if raw is None or not str(raw).strip():
                continue
            column = self._column(index, str(raw).strip(), known)
            if column is None:
                continue
            if column.name in known:
                self.columns.append(column)
            else:
                self.unknown.append(column)
        for column in self.unknown:
            # Only a column that holds something is a loss worth reporting.
            if any(_text(row[column.index - 1]) for row in self.rows[1:] if len(row) >= column.index):
                importer.report(
                    Cell(self.title, 1, column.index, _header_text(header[column.index - 1])),
                    f"column '{column.name}' is not supported by this product and would be lost; "
                    "remove it or move its content elsewhere",
                )

    def _column(self, index: int, raw: str, known: tuple[str, ...]) -> Column | None:
        name, _, suffix = raw.partition("::")
        name = COLUMN_ALIASES.get(name.strip().lower(), name.strip().lower())
        if not suffix or name not in known:
            return Column(index, name, None)
        if name not in TRANSLATABLE:
            self.importer.report(Cell(self.title, 1, index, raw), f"column '{name}' cannot have a language")
            return None
        language = _language_code(suffix.strip())
        if language is None:
            self.importer.report(
                Cell(self.title, 1, index, raw),
                f"cannot tell the language code of '{suffix.strip()}'; write it as '{name}::English (en)'",
            )
            return None
        return Column(index, name, language)

    def records(self) -> Iterator[tuple[int, dict[str, dict[str | None, str]]]]:
        for number, row in enumerate(self.rows[1:], start=2):
            record: dict[str, dict[str | None, str]] = {}
            for column in self.columns:
                value = _text(row[column.index - 1]) if len(row) >= column.index else ""
                if value:
                    record.setdefault(column.name, {})[column.language] = value
            if record:
                yield number, record

    def cell(self, row: int, name: str) -> Cell:
        column = next((c for c in self.columns if c.name == name), None)
        return Cell(self.title, row, column.index if column else 0, name)


def _header_text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _text(value: Any) -> str:
    """A cell as text; whole numbers lose their '.0' (choice names typed as 1, 2, 3)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _language_code(suffix: str) -> str | None:
    match = re.search(r"\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)\)\s*$", suffix)
    if match:
        return match.group(1)
    if re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]+)*", suffix):
        return suffix
    return _NAME_TO_CODE.get(suffix.lower())


class _Importer:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[Problem] = []
        #: For mapping validator problems in the generated YAML back to cells.
        self.item_origin: dict[int, tuple[int, dict[str, Cell]]] = {}

    def report(self, cell: Cell, message: str) -> None:
        self.problems.append(Problem(self.filename, cell.row, cell.column, f"{cell.describe()}: {message}"))

    # Reading ---------------------------------------------------------------------------------------------

    def read(self, path: Path) -> tuple[dict[str, Any], list[tuple[str, Cell | None]]] | None:
        try:
            workbook = openpyxl.load_workbook(path, data_only=True)
        except Exception as exc:
            self.problems.append(Problem(self.filename, 0, 0, f"cannot read the workbook: {exc}"))
            return None
        sheets = {ws.title.strip().lower(): ws for ws in workbook.worksheets}
        for name, ws in sheets.items():
            if name not in ("survey", "choices", "settings"):
                self.report(
                    Cell(ws.title, 1, 0, ""), f"sheet '{ws.title}' is not supported and would be lost"
                )
        if "survey" not in sheets:
            self.problems.append(Problem(self.filename, 0, 0, "the workbook has no 'survey' sheet"))
            return None
        survey = _Sheet(self, sheets["survey"], SURVEY_COLUMNS)
        choices = _Sheet(self, sheets["choices"], CHOICES_COLUMNS) if "choices" in sheets else None
        settings = _Sheet(self, sheets["settings"], SETTINGS_COLUMNS) if "settings" in sheets else None
        return self._document(survey, choices, settings)

    def _document(
        self, survey: _Sheet, choices: _Sheet | None, settings: _Sheet | None
    ) -> tuple[dict[str, Any], list[tuple[str, Cell | None]]]:
        setting: dict[str, dict[str | None, str]] = {}
        setting_row = 2
        if settings is not None:
            records = list(settings.records())
            if records:
                setting_row, setting = records[0]
            for row, _ in records[1:]:
                self.report(Cell(settings.title, row, 0, ""), "only the first row of 'settings' is read")
        languages = self._languages(survey, choices, settings, setting)
        default = languages[0] if languages else "id"

        def text(values: Mapping[str | None, str]) -> dict[str, str]:
            return {(lang or default): value for lang, value in values.items()}

        def one(values: Mapping[str | None, str] | None) -> str | None:
            if not values:
                return None
            return values.get(None) or next(iter(values.values()))

        doc: dict[str, Any] = {"kind": "questionnaire"}
        doc["id"] = one(setting.get("form_id")) or Path(self.filename).stem
        doc["version"] = one(setting.get("version")) or "1"
        doc["group"] = one(setting.get("group")) or "external"
        access = one(setting.get("access"))
        if access:
            # Space-separated, as ODK writes select_multiple answers: "invitation open".
            doc["access"] = access.split()
        doc["languages"] = languages or [default]
        if "title" in setting:
            doc["title"] = text(setting["title"])
        else:
            # ODK's form_title has no translations; every declared language shows it as written.
            plain = one(setting.get("form_title")) or doc["id"]
            doc["title"] = {lang: plain for lang in doc["languages"]}
        for key in ("introduction", "consent"):
            if key in setting:
                doc[key] = text(setting[key])
        scales, missing_codes = self._scales(choices, text, setting)
        if missing_codes:
            doc["missing_codes"] = missing_codes
        doc["scales"] = scales
        doc["sections"] = self._sections(survey, text, doc["title"])
        origins: list[tuple[str, Cell | None]] = []
        if settings is not None:
            origins.append(("settings", Cell(settings.title, setting_row, 0, "")))
        return doc, origins

    def _languages(
        self,
        survey: _Sheet,
        choices: _Sheet | None,
        settings: _Sheet | None,
        setting: Mapping[str, Mapping[str | None, str]],
    ) -> list[str]:
        found: list[str] = []
        for sheet in (survey, choices, settings):
            for column in sheet.columns if sheet else []:
                if column.language and column.language not in found:
                    found.append(column.language)
        default_raw = (setting.get("default_language") or {}).get(None)
        if default_raw:
            default = _language_code(default_raw)
            if default is None and settings is not None:
                self.report(
                    settings.cell(2, "default_language"), f"cannot tell the language code of '{default_raw}'"
                )
            elif default is not None:
                found = [default] + [lang for lang in found if lang != default]
        return found

    def _scales(
        self,
        choices: _Sheet | None,
        text: Any,
        setting: Mapping[str, Mapping[str | None, str]],
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        scales: dict[str, dict[str, Any]] = {}
        missing_codes: dict[str, Any] = {}
        self.choice_rows: dict[str, int] = {}
        for missing, key in (
            (Missing.DONT_KNOW, "dont_know_code"),
            (Missing.NOT_APPLICABLE, "not_applicable_code"),
        ):
            code = (setting.get(key) or {}).get(None)
            if code:
                missing_codes[missing.value] = {"code": code, "label": dict(DEFAULT_MISSING[missing][1])}
        if choices is None:
            return [], missing_codes
        for row, record in choices.records():
            list_name = (record.get("list_name") or {}).get(None)
            if not list_name:
                self.report(choices.cell(row, "list_name"), "a choice needs a list_name")
                continue
            scale = scales.setdefault(list_name, {"id": list_name, "kind": None, "options": []})
            self.choice_rows.setdefault(list_name, row)
            option: dict[str, Any] = {
                "code": (record.get("name") or {}).get(None, ""),
                "label": text(record.get("label", {})),
            }
            if "value" in record:
                option["value"] = _number_or_text(record["value"][None])
            if "missing" in record:
                option["missing"] = record["missing"][None]
                missing_codes.setdefault(
                    record["missing"][None], {"code": option["code"], "label": option["label"]}
                )
            scale["options"].append(option)
            if "kind" in record:
                kind = record["kind"][None]
                if scale["kind"] not in (None, kind):
                    self.report(
                        choices.cell(row, "kind"), f"list '{list_name}' is both {scale['kind']} and {kind}"
                    )
                scale["kind"] = kind
        built = []
        for scale in scales.values():
            # Lists from other tools have no kind: ordinal when every non-missing option has a value.
            if scale["kind"] is None:
                valued = [o for o in scale["options"] if "missing" not in o]
                scale["kind"] = "ordinal" if valued and all("value" in o for o in valued) else "nominal"
            built.append(scale)
        return built, missing_codes

    def _sections(self, survey: _Sheet, text: Any, title: dict[str, str]) -> list[dict[str, Any]]:
        sections: list[dict[str, Any]] = []
        current: dict[str, Any] | None = None
        implicit = 0
        self.section_rows: list[int] = []
        self.item_rows: list[tuple[int, list[str]]] = []
        for row, record in survey.records():
            raw_type = (record.get("type") or {}).get(None, "")
            kind, _, rest = re.sub(r"\s+", " ", raw_type).partition(" ")
            kind = {"begin group": "begin_group", "end group": "end_group"}.get(raw_type.strip(), kind)
            name = (record.get("name") or {}).get(None)
            if kind == "begin_group":
                if current is not None and current.get("_explicit"):
                    self.report(
                        survey.cell(row, "type"), "nested groups are not supported; a group is one page"
                    )
                    continue
                current = {"_explicit": True, "id": name or f"group_{row}"}
                if "label" in record:
                    current["title"] = text(record["label"])
                if "hint" in record:
                    current["description"] = text(record["hint"])
                if "relevant" in record:
                    current["relevant"] = record["relevant"][None]
                for unsupported in ("required", "constraint", "appearance", "dimension"):
                    if unsupported in record:
                        self.report(
                            survey.cell(row, unsupported), f"'{unsupported}' is not supported on a group"
                        )
                current["items"] = []
                sections.append(current)
                self.section_rows.append(row)
                continue
            if kind == "end_group":
                if current is None or not current.get("_explicit"):
                    self.report(survey.cell(row, "type"), "end_group without a matching begin_group")
                current = None
                continue
            if not raw_type:
                self.report(survey.cell(row, "type"), "the row has content but no type")
                continue
            item = self._item(survey, row, record, kind, rest, text)
            if item is None:
                continue
            if current is None:
                # Questions outside any group form a page of their own, as ODK shows them.
                implicit += 1
                current = {"_explicit": False, "id": f"section_{implicit}", "title": dict(title), "items": []}
                sections.append(current)
                self.section_rows.append(row)
            current["items"].append(item)
        if current is not None and current.get("_explicit"):
            self.report(
                Cell(survey.title, len(survey.rows), 0, ""), f"group '{current['id']}' has no end_group"
            )
        for section in sections:
            section.pop("_explicit", None)
        return sections

    def _item(
        self,
        survey: _Sheet,
        row: int,
        record: Mapping[str, Mapping[str | None, str]],
        kind: str,
        rest: str,
        text: Any,
    ) -> dict[str, Any] | None:
        item: dict[str, Any] = {"id": (record.get("name") or {}).get(None, "")}
        appearance = (record.get("appearance") or {}).get(None)
        if kind in ("select_one", "select_multiple"):
            if not rest or " " in rest.strip():
                self.report(
                    survey.cell(row, "type"), f"'{kind}' needs exactly one list name, e.g. '{kind} agree5'"
                )
                return None
            item["type"], item["scale"] = kind, rest.strip()
        elif kind in _QUESTION_TYPES and not rest:
            item["type"] = _QUESTION_TYPES[kind].value
            if kind == "text" and appearance == "multiline":
                item["type"] = ItemType.LONG_TEXT.value
                appearance = None
        else:
            self.report(
                survey.cell(row, "type"),
                f"question type '{(kind + ' ' + rest).strip()}' is not supported (supported: select_one, "
                "select_multiple, integer, decimal, text, note, begin_group, end_group)",
            )
            return None
        if appearance:
            self.report(survey.cell(row, "appearance"), f"appearance '{appearance}' is not supported")
        if "label" in record:
            item["label"] = text(record["label"])
        if "hint" in record:
            item["hint"] = text(record["hint"])
        required = (record.get("required") or {}).get(None, "").lower()
        if required in YES:
            item["required"] = True
        elif required in NO:
            item["required"] = False
        else:
            self.report(survey.cell(row, "required"), f"required must be yes or no, got '{required}'")
        for key in ("relevant", "constraint"):
            if key in record:
                item[key] = record[key][None]
        if "constraint_message" in record:
            item["constraint_message"] = text(record["constraint_message"])
        for key in ("min", "max"):
            if key in record:
                item[key] = _number_or_text(record[key][None])
        if "dimension" in record or "indicator" in record or "direction" in record:
            scoring: dict[str, Any] = {}
            for key in ("dimension", "indicator", "direction"):
                if key in record:
                    scoring[key] = record[key][None]
            if "weight" in record:
                scoring["weight"] = _number_or_text(record["weight"][None])
            item["scoring"] = scoring
        elif "weight" in record:
            self.report(survey.cell(row, "weight"), "a weight without a dimension has no effect")
        self.item_rows.append((row, [c.name for c in survey.columns]))
        self._survey = survey
        return item


def _number_or_text(value: str) -> float | int | str:
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() else number


# YAML output ------------------------------------------------------------------------------------------------


class _BlockDumper(yaml.SafeDumper):
    """Block style everywhere, multi-line text as literal blocks: a file a methodologist can edit."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


def to_yaml(document: Mapping[str, Any]) -> str:
    """Readable YAML: block style, unicode as is, keys in the documented order (the dict's order)."""
    return yaml.dump(
        dict(document),
        Dumper=_BlockDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=110,
    )


def questionnaire_document(q: Questionnaire) -> dict[str, Any]:
    """A questionnaire as a YAML-format document (explicit options, including the "don't know" ones)."""
    doc: dict[str, Any] = {
        "kind": "questionnaire",
        "id": q.id,
        "version": q.version,
        "group": q.group.value,
        **({"access": [m.value for m in q.access]} if q.access is not None else {}),
        "languages": list(q.languages),
        "title": dict(q.title),
    }
    if q.introduction:
        doc["introduction"] = dict(q.introduction)
    if q.consent:
        doc["consent"] = dict(q.consent)
    labels = {o.missing: o.label for s in q.scales.values() for o in s.options if o.missing is not None}
    missing_codes = {}
    for missing in Missing:
        code = q.special_codes.get(missing.value, DEFAULT_MISSING[missing][0])
        label = labels.get(missing, DEFAULT_MISSING[missing][1])
        missing_codes[missing.value] = {"code": code, "label": dict(label)}
    doc["missing_codes"] = missing_codes
    doc["scales"] = [
        {
            "id": scale.id,
            "kind": scale.kind.value,
            "options": [
                {"code": o.code, "label": dict(o.label)}
                | ({"value": o.value} if o.value is not None else {})
                | ({"missing": o.missing.value} if o.missing is not None else {})
                for o in scale.options
            ],
        }
        for scale in q.scales.values()
    ]
    sections = []
    for section in q.sections:
        s: dict[str, Any] = {"id": section.id, "title": dict(section.title)}
        if section.description:
            s["description"] = dict(section.description)
        if section.relevant:
            s["relevant"] = section.relevant
        s["items"] = [_item_document(item) for item in section.items]
        sections.append(s)
    doc["sections"] = sections
    return doc


def _item_document(item: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"id": item.id, "type": item.type.value}
    if item.scale:
        d["scale"] = item.scale
    d["label"] = dict(item.label)
    if item.hint:
        d["hint"] = dict(item.hint)
    if item.required != (item.type is not ItemType.NOTE):
        d["required"] = item.required
    for key in ("relevant", "constraint"):
        if getattr(item, key):
            d[key] = getattr(item, key)
    if item.constraint_message:
        d["constraint_message"] = dict(item.constraint_message)
    if item.minimum is not None:
        d["min"] = item.minimum
    if item.maximum is not None:
        d["max"] = item.maximum
    if item.scoring is not None:
        d["scoring"] = {
            "dimension": item.scoring.dimension,
            "indicator": item.scoring.indicator,
            "direction": item.scoring.direction.value,
            "weight": item.scoring.weight,
        }
    elif item.type is not ItemType.NOTE:
        d["scoring"] = "none"
    return d


# Import -----------------------------------------------------------------------------------------------------


def read_xlsform(source: str | os.PathLike[str]) -> tuple[str | None, list[Problem]]:
    """The questionnaire YAML built from an XLSForm, and every problem (by sheet, row and column).

    The YAML is returned even when the questionnaire has problems, so a user can fix it in either form.
    """
    path = Path(source)
    importer = _Importer(str(source))
    result = importer.read(path)
    if result is None:
        return None, importer.problems
    document, _ = result
    text = to_yaml(document)
    root, yaml_problems = compose(text, str(source))
    problems = list(importer.problems)
    if root is None:  # cannot happen for YAML we dumped ourselves; reported rather than hidden
        return text, problems + yaml_problems
    _, found = build_questionnaire(root, str(source))
    origins = _origins(root, importer)
    for problem in found:
        cell = origins.get(problem.line)
        # "first defined on line 12" names a line of the generated YAML; the user knows the sheet row instead.
        message = re.sub(
            r"\bline (\d+)",
            lambda m: origins[int(m.group(1))].describe() if int(m.group(1)) in origins else m.group(0),
            problem.message,
        )
        if cell is None:
            problems.append(Problem(str(source), 0, 0, message))
        else:
            problems.append(Problem(str(source), cell.row, cell.column, f"{cell.describe()}: {message}"))
    return text, sorted(set(problems), key=lambda p: (p.line, p.column, p.message))


def load_xlsform(source: str | os.PathLike[str]) -> Questionnaire:
    """Import an XLSForm; raises :class:`QuestionnaireInvalid` with every problem."""
    text, problems = read_xlsform(source)
    if problems or text is None:
        raise QuestionnaireInvalid(problems or [Problem(str(source), 0, 0, "nothing to import")])
    root, _ = compose(text, str(source))
    assert root is not None
    questionnaire, problems = build_questionnaire(root, str(source))
    if questionnaire is None:
        raise QuestionnaireInvalid(problems)
    return questionnaire


def _origins(root: Node, importer: _Importer) -> dict[int, Cell]:
    """YAML line (1-based) of the generated document -> the cell it came from."""
    origins: dict[int, Cell] = {}
    if not isinstance(root, MappingNode):
        return origins
    top = {str(k.value): v for k, v in root.value if isinstance(k, ScalarNode)}
    survey = getattr(importer, "_survey", None)
    survey_title = survey.title if survey is not None else "survey"

    def mark(node: Node, cell: Cell) -> None:
        for line in range(node.start_mark.line + 1, node.end_mark.line + 2):
            origins[line] = cell

    sections = top.get("sections")
    item_rows = iter(getattr(importer, "item_rows", []))
    if isinstance(sections, SequenceNode):
        for index, section in enumerate(sections.value):
            row = importer.section_rows[index] if index < len(importer.section_rows) else 0
            mark(section, Cell(survey_title, row, 0, ""))
            fields = _fields(section)
            items = fields.get("items")
            if not isinstance(items, SequenceNode):
                continue
            for item in items.value:
                item_row, _ = next(item_rows, (0, []))
                mark(item, Cell(survey_title, item_row, 0, ""))
                for key, value in _fields(item).items():
                    header = _column_for(key)
                    mark(
                        value,
                        survey.cell(item_row, header) if survey else Cell(survey_title, item_row, 0, header),
                    )
    scales = top.get("scales")
    if isinstance(scales, SequenceNode):
        for scale in scales.value:
            sid = _fields(scale).get("id")
            row = importer.choice_rows.get(str(sid.value), 0) if isinstance(sid, ScalarNode) else 0
            mark(scale, Cell("choices", row, 0, ""))
            options = _fields(scale).get("options")
            if isinstance(options, SequenceNode):
                for offset, option in enumerate(options.value):
                    mark(option, Cell("choices", row + offset, 0, ""))
    return origins


def _fields(node: Node) -> dict[str, Node]:
    if not isinstance(node, MappingNode):
        return {}
    return {str(k.value): v for k, v in node.value if isinstance(k, ScalarNode)}


def _column_for(key: str) -> str:
    return {"id": "name", "scale": "type", "scoring": "dimension"}.get(key, key)


# Export -----------------------------------------------------------------------------------------------------


def _language_header(name: str, code: str) -> str:
    return f"{name}::{LANGUAGE_NAMES.get(code, code)} ({code})"


def export_xlsform(q: Questionnaire, target: str | os.PathLike[str]) -> None:
    """Write ``q`` as an XLSForm workbook that :func:`load_xlsform` reads back to an equal questionnaire."""
    workbook = openpyxl.Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    langs = list(q.languages)

    def texts(values: Mapping[str, str]) -> list[str | None]:
        return [values.get(lang) for lang in langs]

    survey.append(
        ["type", "name"]
        + [_language_header("label", c) for c in langs]
        + [_language_header("hint", c) for c in langs]
        + ["required", "relevant", "constraint"]
        + [_language_header("constraint_message", c) for c in langs]
        + ["appearance", "min", "max", "dimension", "indicator", "direction", "weight"]
    )
    for section in q.sections:
        survey.append(
            [
                "begin_group",
                section.id,
                *texts(section.title),
                *texts(section.description),
                None,
                section.relevant,
            ]
        )
        for item in section.items:
            item_type = item.type.value
            appearance = None
            if item.type.is_choice:
                item_type = f"{item.type.value} {item.scale}"
            elif item.type is ItemType.LONG_TEXT:
                item_type, appearance = "text", "multiline"
            scoring = item.scoring
            survey.append(
                [item_type, item.id, *texts(item.label), *texts(item.hint)]
                + ["yes" if item.required else "no", item.relevant, item.constraint]
                + texts(item.constraint_message)
                + [appearance, item.minimum, item.maximum]
                + (
                    [scoring.dimension, scoring.indicator, scoring.direction.value, scoring.weight]
                    if scoring
                    else [None, None, None, None]
                )
            )
        survey.append(["end_group", section.id])
    choices = workbook.create_sheet("choices")
    choices.append(
        ["list_name", "name", *[_language_header("label", c) for c in langs], "value", "missing", "kind"]
    )
    for scale in q.scales.values():
        for option in scale.options:
            choices.append(
                [
                    scale.id,
                    option.code,
                    *texts(option.label),
                    option.value,
                    option.missing.value if option.missing else None,
                    scale.kind.value,
                ]
            )
    settings = workbook.create_sheet("settings")
    settings.append(
        ["form_id", "version", "form_title", "default_language", "group", "access"]
        + [_language_header(key, c) for key in ("title", "introduction", "consent") for c in langs]
        + ["dont_know_code", "not_applicable_code"]
    )
    settings.append(
        [
            q.id,
            q.version,
            q.title.get(q.default_language),
            _language_header("x", q.default_language)[3:],
            q.group.value,
            " ".join(m.value for m in q.access_modes),
        ]
        + [getattr(q, key).get(c) for key in ("title", "introduction", "consent") for c in langs]
        + [q.special_codes.get("dont_know"), q.special_codes.get("not_applicable")]
    )
    workbook.save(target)
