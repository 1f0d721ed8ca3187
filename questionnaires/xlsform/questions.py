"""The XLSForm importer's state, the choices sheet's lists, and what it does with a question's row: texts
in every language, appearances, expressions, the item itself, ``or_other``, ``select_one_from_file`` and
the labels' ``${name}`` references. :class:`questionnaires.xlsform.importer.Importer` builds on it."""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Mapping
from typing import Any

from questionnaires.builder import CODE_PATTERN, DEFAULT_MISSING, ID_PATTERN
from questionnaires.model import ItemType, Missing
from questionnaires.problems import N_, Label, Msg
from questionnaires.xlsform import columns as cols
from questionnaires.xlsform import features
from questionnaires.xlsform.columns import parse_header
from questionnaires.xlsform.findings import Findings, Place
from questionnaires.xlsform.sheets import (
    _CANONICAL,
    _CURLY,
    _PLAIN_TYPES,
    ANONYMITY,
    METADATA,
    NO,
    NOT_YET,
    OTHER_LABEL,
    SPECIFY_LABEL,
    YES,
    ImportOptions,
    Origins,
    Record,
    Value,
    _number_or_text,
    _SheetReader,
    bounds_clause,
)


class _QuestionReader:
    def __init__(self, filename: str, options: ImportOptions) -> None:
        self.filename = filename
        self.options = options
        self.findings = Findings(filename)
        self.origins = Origins()
        #: Names of rows not imported, with the finding's place: references to them are follow-on problems.
        self.dropped: dict[str, tuple[Place, Msg]] = {}
        self.failed: set[str] = set()
        self.names: dict[str, Place] = {}
        self.survey: _SheetReader | None = None
        self.languages: tuple[str, ...] = ()
        self.scales: dict[str, dict[str, Any]] = {}
        self.filter_columns: frozenset[str] = frozenset()
        #: Each language suffix as written (``None``: none) to its code; set when the languages are read.
        self.codes: dict[str | None, str] = {}

    def text(self, values: Mapping[str | None, Value]) -> dict[str, str]:
        """A text in every declared language; one missing in some language shows another's, with a warning.

        Forms from the field often translate labels but not every hint or message; ODK shows what it has,
        and so does the import, saying where.
        """
        out: dict[str, str] = {}
        for suffix, value in values.items():
            code = self.codes.get(suffix)
            if code is not None:
                out[code] = value.text
        missing = [lang for lang in self.languages if lang not in out]
        if out and missing and self.languages:
            source = next(lang for lang in self.languages if lang in out)
            first = next(iter(values.values()))
            for lang in missing:
                out[lang] = out[source]
            self.findings.warn(
                Place(first.sheet, first.row, first.column.index, first.column.header),
                Msg(
                    N_("no %(missing)s text: the %(source)s text is shown in %(missing)s too"),
                    missing=", ".join(missing),
                    source=source,
                ),
                kind="translation",
            )
        return {lang: out[lang] for lang in self.languages if lang in out} if self.languages else out

    # Choices ---------------------------------------------------------------------------------------------

    # Choices -------------------------------------------------------------------------------------------

    def _scales(
        self, choices: _SheetReader | None, setting: Record
    ) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
        scales: dict[str, dict[str, Any]] = {}
        missing_codes: dict[str, Any] = {}
        for missing, key in (
            (Missing.DONT_KNOW, "spi_dont_know_code"),
            (Missing.NOT_APPLICABLE, "spi_not_applicable_code"),
        ):
            value = (setting.get(key) or {}).get(None)
            if value:
                missing_codes[missing.value] = {"code": value.text, "label": self._default_label(missing)}
        if choices is None:
            return scales, missing_codes
        for row, record, _ in choices.records():
            list_value = (record.get("list_name") or {}).get(None)
            if not record:
                continue
            if list_value is None:
                self.findings.error(choices.place(row, "list_name"), Msg(N_("a choice needs a list_name")))
                continue
            list_name = list_value.text
            scale = scales.setdefault(list_name, {"id": list_name, "kind": None, "options": []})
            places = self.origins.options.setdefault(list_name, [])
            name_value = (record.get("name") or {}).get(None)
            code = name_value.text if name_value else ""
            if not code:
                self.findings.error(
                    choices.place(row, "name"),
                    Msg(N_("a choice of list '%(list_name)s' needs a name"), list_name=list_name),
                )
                continue
            if " " in code:
                fixed = re.sub(r"\s+", "_", code)
                self.findings.warn(
                    choices.place(row, "name", record),
                    Msg(
                        N_(
                            "choice name '%(code)s' has spaces, which a select_multiple answer "
                            "cannot hold; stored as '%(fixed)s'"
                        ),
                        code=code,
                        fixed=fixed,
                    ),
                    kind="choice-spaces",
                )
                code = fixed
            label = self.text(record.get("label", {}))
            if not label:
                self.findings.error(
                    choices.place(row, "label", record),
                    Msg(
                        N_(
                            "choice '%(code)s' of list '%(list_name)s' has no label; every choice "
                            "needs one (ODK Validate refuses a choice without)"
                        ),
                        code=code,
                        list_name=list_name,
                    ),
                )
            option: dict[str, Any] = {"code": code, "label": label}
            if "spi_value" in record:
                option["value"] = _number_or_text(record["spi_value"][None].text)
            option.update(features.option_attributes(record, self.filter_columns))
            if "spi_missing" in record:
                option["missing"] = record["spi_missing"][None].text
                missing_codes.setdefault(option["missing"], {"code": code, "label": label})
            scale["options"].append(option)
            places.append(Place(choices.title, row))
            if "spi_kind" in record:
                kind = record["spi_kind"][None].text
                if scale["kind"] not in (None, kind):
                    self.findings.error(
                        choices.place(row, "spi_kind", record),
                        Msg(
                            N_("list '%(list_name)s' is both %(scale)s and %(kind)s"),
                            list_name=list_name,
                            scale=scale["kind"],
                            kind=kind,
                        ),
                    )
                scale["kind"] = kind
        for scale in scales.values():
            # Lists from other tools have no kind: ordinal when every non-missing option has a value.
            if scale["kind"] is None:
                valued = [o for o in scale["options"] if "missing" not in o]
                scale["kind"] = "ordinal" if valued and all("value" in o for o in valued) else "nominal"
        return scales, missing_codes

    def _default_label(self, missing: Missing) -> dict[str, str]:
        label = DEFAULT_MISSING[missing][1]
        return {lang: label.get(lang, label["en"]) for lang in self.languages}

    # Questions -----------------------------------------------------------------------------------------

    def _leftover(
        self, survey: _SheetReader, row: int, record: Record, keep: tuple[str, ...], what: str
    ) -> None:
        for name, values in record.items():
            if name not in keep:
                for value in values.values():
                    self.findings.warn(
                        Place(survey.title, row, value.column.index, value.column.header),
                        Msg(N_("a cell on an %(what)s row is not imported"), what=what),
                        kind="end-cells",
                    )

    def _appearance(self, survey: _SheetReader, row: int, record: Record, group: bool = False) -> None:
        value = (record.get("appearance") or {}).get(None)
        if value is None:
            return
        if group:
            reason = Msg(
                N_("each group is one page already")
                if value.text == "field-list"
                else N_("pages are laid out by the console")
            )
        else:
            reason = Msg(
                N_(
                    "each question is shown as a list of labelled options or a field, "
                    "which works on every phone"
                )
            )
        self.findings.warn(
            survey.place(row, "appearance", record),
            Msg(N_("appearance '%(text)s' is not imported: %(reason)s"), text=value.text, reason=reason),
            kind="appearance-group" if group else "appearance",
        )

    def _expression(self, survey: _SheetReader, row: int, record: Record, key: str) -> str | None:
        value = (record.get(key) or {}).get(None)
        if value is None:
            return None
        text = value.text
        straight = text.translate(_CURLY)
        if straight != text:
            self.findings.warn(
                survey.place(row, key, record),
                Msg(N_("curly quotes in %(key)s read as straight quotes"), key=key),
                kind="curly",
            )
        return straight

    def _item(
        self, survey: _SheetReader, row: int, record: Record, kind: str, rest: str, name: str
    ) -> list[dict[str, Any]] | None:
        type_place = survey.place(row, "type", record)
        item: dict[str, Any] = {"id": name}
        extra: list[dict[str, Any]] = []
        appearance = (record.get("appearance") or {}).get(None)
        or_other = False
        if kind in ("select_one", "select_multiple", "select_one_from_file", "select_multiple_from_file"):
            words = rest.split()
            if words and words[-1] == "or_other":
                or_other = True
                words = words[:-1]
            if len(words) != 1:
                example = "select_one yes_no" if kind.startswith("select_one") else "select_multiple given"
                self.findings.error(
                    type_place,
                    Msg(
                        N_("'%(kind)s' needs one list name after it, e.g. '%(example)s'"),
                        kind=kind,
                        example=example,
                    ),
                )
                return None
            list_name = words[0]
            if kind.endswith("_from_file"):
                from_file = self._from_file(survey, row, record, list_name)
                if from_file is None:
                    return None
                list_name = from_file
                kind = kind.removesuffix("_from_file")
            item["type"], item["scale"] = kind, list_name
            if or_other:
                item["scale"] = self._or_other(list_name, type_place)
                extra.append(
                    {
                        "id": f"{name}_other",
                        "type": "text",
                        "label": {
                            lang: SPECIFY_LABEL.get(lang, SPECIFY_LABEL["en"]) for lang in self.languages
                        },
                        "required": False,
                        "relevant": f"selected(${{{name}}}, 'other')",
                        "scoring": "none",
                    }
                )
        elif kind in features.ANSWERED_TYPES and not rest:
            item["type"] = features.ANSWERED_TYPES[kind]
        elif kind in _PLAIN_TYPES and not rest:
            item["type"] = _PLAIN_TYPES[kind].value
            if kind == "text" and appearance is not None and appearance.text == "multiline":
                item["type"] = ItemType.LONG_TEXT.value
                appearance = None
        else:
            known = ", ".join(sorted({"select_one", "select_multiple", *_PLAIN_TYPES}))
            everything = sorted(_CANONICAL | set(METADATA) | set(ANONYMITY) | set(NOT_YET))
            close = difflib.get_close_matches(kind.lower(), everything, n=1, cutoff=0.75)
            hint: Label = Msg(N_("; did you mean '%(hint)s'?"), hint=close[0]) if close else ""
            self.findings.error(
                type_place,
                Msg(
                    N_(
                        "'%(rest)s' is not an XLSForm question type%(hint)s (types read: "
                        "%(known)s, begin_group, end_group and the ODK metadata types)"
                    ),
                    rest=(kind + " " + rest).strip(),
                    hint=hint,
                    known=known,
                ),
            )
            return None
        if appearance is not None:
            self._appearance(survey, row, record)
        if not name:
            self.findings.error(type_place, Msg(N_("the question has no name")))
            return None
        if "label" in record:
            item["label"] = self.text(record["label"])
        elif item["type"] != "calculate":
            self.findings.error(
                survey.place(row, "label"), Msg(N_("question '%(name)s' has no label"), name=name)
            )
            return None
        if "hint" in record:
            item["hint"] = self.text(record["hint"])
        required = (record.get("required") or {}).get(None)
        if required is not None:
            flag = required.text.lower()
            if flag in YES:
                item["required"] = True
            elif flag in NO:
                item["required"] = False
            else:
                self.findings.error(
                    survey.place(row, "required", record),
                    Msg(
                        N_("required must be yes or no, got '%(text)s' (a condition is not supported)"),
                        text=required.text,
                    ),
                )
        elif item["type"] not in ("note", "calculate"):
            # XLSForm's default: a question without 'required' may be left empty.
            item["required"] = False
        for key in ("relevant", "constraint"):
            expression = self._expression(survey, row, record, key)
            if expression is not None:
                item[key] = expression
        if "constraint_message" in record:
            item["constraint_message"] = self.text(record["constraint_message"])
        features.add_item_features(self, survey, row, record, item, self._expression)
        for key in ("min", "max"):
            if f"spi_{key}" in record:
                item[key] = _number_or_text(record[f"spi_{key}"][None].text)
        clause = bounds_clause(
            *(item.get(k) if isinstance(item.get(k), int | float) else None for k in ("min", "max"))
        )
        if clause and "constraint" in item:
            if item["constraint"] == clause:
                del item["constraint"]
            elif item["constraint"].startswith(f"{clause} and (") and item["constraint"].endswith(")"):
                item["constraint"] = item["constraint"][len(clause) + 6 : -1]
        if any(f"spi_{key}" in record for key in ("dimension", "indicator", "direction")):
            scoring: dict[str, Any] = {}
            for key in ("dimension", "indicator", "direction"):
                if f"spi_{key}" in record:
                    scoring[key] = record[f"spi_{key}"][None].text
            if "spi_weight" in record:
                scoring["weight"] = _number_or_text(record["spi_weight"][None].text)
            item["scoring"] = scoring
        elif "spi_weight" in record:
            self.findings.error(
                survey.place(row, "spi_weight", record),
                Msg(N_("a weight without a spi_dimension has no effect")),
            )
        elif item["type"] != "note":
            item["scoring"] = "none"
        for key, reason in cols.SURVEY_IGNORED.items():
            if key in record and reason and key not in ("repeat_count",):
                for value in record[key].values():
                    self.findings.warn(
                        Place(survey.title, row, value.column.index, value.column.header),
                        Msg(N_("not imported: %(reason)s"), reason=Msg(reason)),
                        kind=f"ignored-{key}",
                    )
        return [item, *extra]

    def _or_other(self, list_name: str, place: Place) -> str:
        """A copy of the list with pyxform's 'other' option added (the list itself stays as it is)."""
        scale = self.scales.get(list_name)
        target = f"{list_name}_or_other"
        if scale is None:
            return list_name  # reported by the validator as an unknown list
        if target not in self.scales:
            options = [dict(o) for o in scale["options"]]
            if any(o["code"] == "other" for o in options):
                self.findings.error(
                    place,
                    Msg(
                        N_("list '%(list_name)s' already has a choice 'other'; or_other adds one"),
                        list_name=list_name,
                    ),
                )
            options.append(
                {
                    "code": "other",
                    "label": {lang: OTHER_LABEL.get(lang, OTHER_LABEL["en"]) for lang in self.languages},
                }
            )
            self.scales[target] = {"id": target, "kind": "nominal", "options": options}
            self.origins.options[target] = [*self.origins.options.get(list_name, []), place]
        return target

    def _from_file(self, survey: _SheetReader, row: int, record: Record, filename: str) -> str | None:
        place = survey.place(row, "type", record)
        if not filename.lower().endswith(".csv"):
            self.findings.refuse(
                place,
                Msg(
                    N_("'%(filename)s': only CSV files can be attached to select_one_from_file"),
                    filename=filename,
                ),
            )
            return None
        data = self.options.attachments.get(filename)
        if data is None:
            self.findings.error(
                place,
                Msg(
                    N_("'%(filename)s' is not attached: upload it with the form (its columns: name, label)"),
                    filename=filename,
                ),
            )
            return None
        list_name = re.sub(r"\W+", "_", filename.rsplit(".", 1)[0]).strip("_") or "list"
        if not ID_PATTERN.match(list_name):
            list_name = f"file_{list_name}"
        if list_name in self.scales:
            return list_name
        try:
            reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
            rows = list(reader)
        except (UnicodeDecodeError, csv.Error) as exc:
            self.findings.error(
                place, Msg(N_("'%(filename)s' is not a UTF-8 CSV file (%(exc)s)"), filename=filename, exc=exc)
            )
            return None
        fields = [f.strip() for f in reader.fieldnames or []]
        if "name" not in fields or not any(f == "label" or f.startswith("label::") for f in fields):
            self.findings.error(
                place, Msg(N_("'%(filename)s' needs the columns 'name' and 'label'"), filename=filename)
            )
            return None
        options = []
        for number, line in enumerate(rows, start=2):
            code = (line.get("name") or "").strip()
            label: dict[str, str] = {}
            for key, value in line.items():
                if key is None or not value:
                    continue
                column = parse_header(0, key)
                if column.name == "label":
                    lang = self.codes.get(column.suffix)
                    if lang is not None:
                        label[lang] = value.strip()
            if not code or not CODE_PATTERN.match(code) or not label:
                self.findings.error(
                    place,
                    Msg(
                        N_("'%(filename)s' line %(number)s: a choice needs a name (no spaces) and a label"),
                        filename=filename,
                        number=number,
                    ),
                )
                return None
            option: dict[str, Any] = {"code": code, "label": label}
            # The file's columns that a choice_filter reads, as on the choices sheet.
            kept = {
                c: str(line[c]).strip() for c in sorted(self.filter_columns) if (line.get(c) or "").strip()
            }
            if kept:
                option["attributes"] = kept
            options.append(option)
        self.scales[list_name] = {"id": list_name, "kind": "nominal", "options": options}
        self.origins.options[list_name] = [place] * len(options)
        return list_name
