"""XLSForm (ODK / KoboToolbox) import: the forms people write, into this product's questionnaire document.

The ``survey``, ``choices`` and ``settings`` sheets become a document in the YAML format, which is then loaded
through the same validator as a hand-written file, so both paths obey one set of rules; the validator's
problems are mapped back to the cells they came from. What the import does with each part of a form is in
docs/questionnaire-format.md (section "XLSForm"):

* kept: questions of the supported types, groups (nested ones flattened into pages, relevance combined),
  choices, relevance, constraints, languages (``label::Any name (code)``), ``or_other``,
  ``select_one_from_file`` with the CSV attached;
* imported with a warning: what does not change what a respondent answers (appearances, settings, metadata,
  defaults, media, old spellings, curly quotes in expressions);
* refused, naming the rows: what would identify the respondent (a location, a photo, a recording), repeats,
  and the types this product cannot ask yet. ``skip_refused=True`` imports the rest, each left-out row a
  warning.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter

from questionnaires.builder import CODE_PATTERN, DEFAULT_MISSING, ID_PATTERN
from questionnaires.limits import DEFAULT_LIMITS, LimitExceeded, ReadLimits
from questionnaires.model import ItemType, Missing
from questionnaires.problems import N_, Label, Msg
from questionnaires.xlsform import columns as cols
from questionnaires.xlsform.columns import Column, language_code, parse_header
from questionnaires.xlsform.findings import Findings, Place
from questionnaires.xlsform.workbook import Sheet, read_workbook

YES = frozenset({"yes", "true", "1", "true()", "y"})
NO = frozenset({"no", "false", "0", "false()", "n"})

#: XLSForm type spellings (pyxform's aliases) to the name used here.
TYPE_ALIASES = {
    "select one": "select_one",
    "select_one": "select_one",
    "select all that apply": "select_multiple",
    "select multiple": "select_multiple",
    "select_multiple": "select_multiple",
    "select one from file": "select_one_from_file",
    "select multiple from file": "select_multiple_from_file",
    "select one external": "select_one_external",
    "begin group": "begin_group",
    "end group": "end_group",
    "begin repeat": "begin_repeat",
    "end repeat": "end_repeat",
    "begin_group": "begin_group",
    "end_group": "end_group",
    "begin_repeat": "begin_repeat",
    "end_repeat": "end_repeat",
    "int": "integer",
    "string": "text",
    "gps": "geopoint",
    "location": "geopoint",
    "photo": "image",
    "q picture": "image",
    "datetime": "datetime",
    "trigger": "acknowledge",
}
_PLAIN_TYPES = {
    "integer": ItemType.INTEGER,
    "decimal": ItemType.DECIMAL,
    "text": ItemType.TEXT,
    "note": ItemType.NOTE,
}
#: Collected by the device, never asked; an anonymous survey records none of it.
METADATA = {
    "start": N_("the time the form was opened"),
    "end": N_("the time it was finished"),
    "today": N_("the date"),
    "deviceid": N_("the device id"),
    "subscriberid": N_("the SIM's subscriber id"),
    "simserial": N_("the SIM serial number"),
    "phonenumber": N_("the phone number"),
    "phone_number": N_("the phone number"),
    "username": N_("the user name"),
    "email": N_("the e-mail address"),
    "audit": N_("an audit log of the answering"),
    "start-geopoint": N_("the location"),
    "background-geopoint": N_("the location"),
    "uri:deviceid": N_("the device id"),
    "instanceid": N_("the instance id"),
}
#: Refused because they would identify the respondent, or cannot be analysed as one row per response.
ANONYMITY = {
    "geopoint": N_("a location would identify the respondent"),
    "geotrace": N_("a path on a map would identify the respondent"),
    "geoshape": N_("an area on a map would identify the respondent"),
    "image": N_("a photo can show the respondent or their surroundings"),
    "audio": N_("a voice recording identifies the respondent"),
    "video": N_("a video shows the respondent"),
    "background-audio": N_("a voice recording identifies the respondent"),
    "file": N_("an uploaded file can carry its author's name"),
    "begin_repeat": N_(
        "a repeat (a roster of people or visits) asks about identifiable others and has no fixed "
        "columns for the analysis"
    ),
}
#: Refused because this product cannot ask them (yet); importable without them.
NOT_YET = {
    "calculate": N_("calculations are not supported yet"),
    "date": N_("date questions are not supported yet"),
    "time": N_("time questions are not supported yet"),
    "datetime": N_("date-and-time questions are not supported yet"),
    "range": N_("range questions are not supported yet"),
    "rank": N_("ranking questions are not supported yet"),
    "barcode": N_("barcode questions are not supported yet"),
    "acknowledge": N_("acknowledge questions are not supported yet"),
    "hidden": N_("hidden questions are not supported yet"),
    "select_one_external": N_("external selects are not supported"),
    "select_multiple_external": N_("external selects are not supported"),
    "xml-external": N_("external data is not supported"),
    "csv-external": N_("external data is not supported"),
}
#: What the respondent sees for the "other" option an ``or_other`` adds (pyxform's English text).
OTHER_LABEL = {"id": "Lainnya", "en": "Other"}
SPECIFY_LABEL = {"id": "Sebutkan lainnya.", "en": "Specify other."}
_CURLY = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})
_REFERENCE = re.compile(r"\$\{([^}]*)\}")
#: The group and notes an export writes for the title, introduction and consent (see export.py).
WELCOME_GROUP = "spi_welcome"
INTRODUCTION_NOTE = "spi_introduction"
CONSENT_NOTE = "spi_consent"
#: Stands in the welcome group of a questionnaire without introduction and consent (a group needs a row).
TITLE_NOTE = "spi_title"
DESCRIPTION_PREFIX = "spi_description_"


@dataclass(frozen=True)
class ImportOptions:
    #: The language of columns without a language suffix (a form that does not say its language).
    language: str | None = None
    #: Import the rest of a form whose refused rows (locations, media, repeats...) are left out.
    skip_refused: bool = False
    #: Files uploaded with the form (``select_one_from_file``), by file name.
    attachments: Mapping[str, bytes] = field(default_factory=dict)
    limits: ReadLimits = DEFAULT_LIMITS


@dataclass
class Value:
    text: str
    column: Column
    sheet: str = ""
    row: int = 0


Record = dict[str, dict[str | None, Value]]


class _SheetReader:
    """One sheet's header understood as columns; its rows as ``{name: {language suffix: value}}``."""

    def __init__(
        self,
        importer: Importer,
        sheet: Sheet,
        read: frozenset[str],
        ignored: Mapping[str, str],
        ours: tuple[str, ...],
    ) -> None:
        self.importer = importer
        self.title = sheet.title
        self.columns: dict[int, Column] = {}
        found = importer.findings
        rows = sheet.rows
        header_row, header = (rows[0][0], rows[0][1]) if rows else (1, {})
        self.header_row = header_row
        self.data = [(number, values) for number, values in rows[1:]]
        used = {index for _, values in self.data for index in values}
        seen: dict[tuple[str, str | None], Column] = {}
        legacy = _legacy(header, ours)
        for index in sorted(header):
            raw = header[index]
            column = parse_header(index, str(raw))
            place = Place(self.title, header_row, index, column.header)
            name = column.name
            if name.startswith("spi_") and name[4:] in ours:
                pass
            elif name in ours and name in legacy:
                column = Column(index, "spi_" + name, column.suffix, column.header, "spi_" + name)
            elif name in read or name in cols.SURVEY_REFUSING or name in ignored:
                if name in ignored and index in used and ignored[name]:
                    found.warn(
                        place,
                        Msg(
                            N_("column '%(header)s' is not imported: %(ignored)s"),
                            header=column.header,
                            ignored=Msg(ignored[name]),
                        ),
                    )
            else:
                if index in used:
                    found.warn(
                        place,
                        Msg(
                            N_(
                                "column '%(header)s' is not an XLSForm column this product reads; its "
                                "content is not imported"
                            ),
                            header=column.header,
                        ),
                    )
                continue
            if column.respell and index in used:
                found.warn(
                    place,
                    Msg(
                        N_("read as '%(respell)s'; write '%(respell2)s'"),
                        respell=column.respell,
                        respell2=column.respell,
                    ),
                    kind="respell",
                )
            if column.suffix is not None and column.name.removeprefix("spi_") not in cols.TRANSLATABLE:
                found.error(place, Msg(N_("column '%(name)s' cannot have a language"), name=column.name))
                continue
            key = (column.name, column.suffix)
            if key in seen:
                first = get_column_letter(seen[key].index)
                found.error(
                    place,
                    Msg(
                        N_(
                            "a second column headed '%(header)s' (the first is column %(first)s); "
                            "pyxform refuses such a form: delete or rename one"
                        ),
                        header=column.header,
                        first=first,
                    ),
                )
                continue
            seen[key] = column
            self.columns[index] = column
        for index in sorted(used - set(header)):
            first = next(number for number, values in self.data if index in values)
            found.warn(
                Place(self.title, first, index),
                Msg(
                    N_("column %(index)s has values but no header; they are not imported"),
                    index=get_column_letter(index),
                ),
                kind="headerless",
            )

    def records(self) -> Iterator[tuple[int, Record, dict[int, Any]]]:
        for number, values in self.data:
            record: Record = {}
            for index, raw in values.items():
                column = self.columns.get(index)
                text = _text(raw)
                if column is None or not text:
                    continue
                record.setdefault(column.name, {})[column.suffix] = Value(text, column, self.title, number)
            if record or values:
                yield number, record, values

    def place(self, row: int, name: str, record: Record | None = None) -> Place:
        if record and name in record:
            column = next(iter(record[name].values())).column
            return Place(self.title, row, column.index, column.header)
        column_found = next((c for c in self.columns.values() if c.name == name), None)
        if column_found is None:
            return Place(self.title, row, 0, name)
        return Place(self.title, row, column_found.index, column_found.header)


def _legacy(header: Mapping[int, Any], ours: tuple[str, ...]) -> set[str]:
    """Bare column names read as ours: only in a sheet this product exported before the ``spi_`` prefix.

    A bare ``indicator`` in someone else's form is their documentation column; it is ours only beside a bare
    ``dimension`` (survey) or, for ``value``, beside ``name`` (pyxform itself reads a lone ``value`` as the
    choice's name).
    """
    names = {parse_header(i, str(v)).name for i, v in header.items()}
    if "dimension" in ours and "dimension" in names:
        return set(ours) & names
    if "value" in ours and "name" in names:
        return set(ours) & names
    if "dont_know_code" in ours and ("group" in names or "dont_know_code" in names):
        return set(ours) & names
    return set()


def _text(value: Any) -> str:
    """A cell as text; whole numbers lose their '.0' (choice names typed as 1, 2, 3)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number_or_text(value: str) -> float | int | str:
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() else number


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(float(number))


def bounds_clause(minimum: float | None, maximum: float | None) -> str | None:
    """The constraint an export writes for an item's bounds, which import strips again."""
    parts = []
    if minimum is not None:
        parts.append(f". >= {_fmt(minimum)}")
    if maximum is not None:
        parts.append(f". <= {_fmt(maximum)}")
    return " and ".join(parts) or None


@dataclass
class _Group:
    name: str
    row: int
    title: dict[str, str] | None
    description: dict[str, str] | None
    relevant: str | None
    pages: int = 0


@dataclass
class Origins:
    """Where each part of the generated document came from, for mapping validator problems to cells."""

    sections: list[Place] = field(default_factory=list)
    #: Per item in document order: the row and the columns of the survey sheet it was read from.
    items: list[tuple[int, Record]] = field(default_factory=list)
    options: dict[str, list[Place]] = field(default_factory=dict)
    settings: Place | None = None


class Importer:
    def __init__(self, filename: str, options: ImportOptions) -> None:
        self.filename = filename
        self.options = options
        self.findings = Findings(filename)
        self.origins = Origins()
        #: Names of rows not imported, with the finding's place: references to them are follow-on problems.
        self.dropped: dict[str, tuple[Place, str]] = {}
        self.failed: set[str] = set()
        self.names: dict[str, Place] = {}
        self.survey: _SheetReader | None = None
        self.languages: tuple[str, ...] = ()
        self.scales: dict[str, dict[str, Any]] = {}

    # Reading ---------------------------------------------------------------------------------------------

    def read(self, path: Path) -> dict[str, Any] | None:
        try:
            workbook = read_workbook(path, self.options.limits)
        except LimitExceeded as exc:
            self.findings.error(Place(""), Msg(N_("refused: %(exc)s"), exc=exc.text))
            return None
        except Exception as exc:  # openpyxl and zipfile raise many kinds for a damaged file
            reason = str(exc) or type(exc).__name__
            self.findings.error(
                Place(""),
                Msg(N_("cannot read the workbook: %(reason)s (expected an .xlsx file)"), reason=reason),
            )
            return None
        sheets = workbook.sheets
        for name, sheet in sheets.items():
            if name not in ("survey", "choices", "settings") and sheet.rows:
                self.findings.warn(
                    Place(sheet.title),
                    Msg(
                        N_("sheet '%(title)s' is not an XLSForm sheet; it is not imported"), title=sheet.title
                    ),
                )
        if "survey" not in sheets:
            self.findings.error(Place(""), Msg(N_("the workbook has no 'survey' sheet")))
            return None
        survey = _SheetReader(self, sheets["survey"], cols.SURVEY_READ, cols.SURVEY_IGNORED, cols.SPI_SURVEY)
        self.survey = survey
        choices = (
            _SheetReader(self, sheets["choices"], cols.CHOICES_READ, cols.CHOICES_IGNORED, cols.SPI_CHOICES)
            if "choices" in sheets
            else None
        )
        settings = (
            _SheetReader(
                self, sheets["settings"], cols.SETTINGS_READ, cols.SETTINGS_IGNORED, cols.SPI_SETTINGS
            )
            if "settings" in sheets
            else None
        )
        return self._document(survey, choices, settings)

    def _document(
        self, survey: _SheetReader, choices: _SheetReader | None, settings: _SheetReader | None
    ) -> dict[str, Any] | None:
        setting: Record = {}
        setting_row = 2
        if settings is not None:
            records = [(row, rec) for row, rec, _ in settings.records() if rec]
            if records:
                setting_row, setting = records[0]
            for row, _ in records[1:]:
                self.findings.warn(
                    Place(settings.title, row), Msg(N_("only the first row of 'settings' is read"))
                )
            self.origins.settings = Place(settings.title, setting_row)
        languages = self._languages(survey, choices, settings, setting, setting_row)
        if languages is None:
            return None
        self.languages = languages
        doc: dict[str, Any] = {"kind": "questionnaire"}

        def one(name: str) -> str | None:
            values = setting.get(name)
            return values.get(None, next(iter(values.values()))).text if values else None

        form_id = one("form_id") or Path(self.filename).stem
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", form_id):
            cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", form_id).strip("-_.") or "form"
            self.findings.warn(
                settings.place(setting_row, "form_id", setting) if settings else Place(""),
                Msg(N_("form id '%(form_id)s' is stored as '%(cleaned)s'"), form_id=form_id, cleaned=cleaned),
            )
            form_id = cleaned
        doc["id"] = form_id
        doc["version"] = one("version") or "1"
        group = one("spi_group")
        if group is None:
            self.findings.warn(
                Place(settings.title if settings else "settings"),
                Msg(
                    N_(
                        "no spi_group in settings: imported as a questionnaire for the "
                        "'external' group (service users); add spi_group (internal, external "
                        "or expert) to choose"
                    )
                ),
            )
        doc["group"] = group or "external"
        access = one("spi_access")
        if access:
            doc["access"] = access.split()
        doc["languages"] = list(self.languages)
        plain_title = one("form_title") or form_id
        doc["title"] = {lang: plain_title for lang in self.languages}
        if "spi_title" in setting:
            doc["title"] = self.text(setting["spi_title"])
        for key in ("introduction", "consent"):
            if f"spi_{key}" in setting:
                doc[key] = self.text(setting[f"spi_{key}"])
        scales, missing_codes = self._scales(choices, setting)
        doc["missing_codes"] = missing_codes
        self.scales = scales
        sections = self._sections(survey, doc)
        doc["scales"] = list(self.scales.values())
        doc["sections"] = sections
        if not doc.get("missing_codes"):
            del doc["missing_codes"]
        return doc

    # Languages -------------------------------------------------------------------------------------------

    def _languages(
        self,
        survey: _SheetReader,
        choices: _SheetReader | None,
        settings: _SheetReader | None,
        setting: Record,
        setting_row: int,
    ) -> tuple[str, ...] | None:
        """The declared languages; ``self.codes`` maps each suffix as written (``None``: none) to a code."""
        self.codes: dict[str | None, str] = {}
        found: list[str] = []
        problems = False
        for sheet in (survey, choices, settings):
            for column in sheet.columns.values() if sheet else []:
                if column.suffix is None or column.suffix in self.codes:
                    continue
                if column.suffix.lower() == "default":
                    continue
                code = language_code(column.suffix)
                if code is None:
                    self.findings.error(
                        Place(sheet.title, sheet.header_row, column.index, column.header),  # type: ignore[union-attr]
                        Msg(
                            N_(
                                "cannot tell the language of '%(suffix)s'; write it as "
                                "'%(name)s::%(suffix2)s (xx)' with its two-letter code"
                            ),
                            suffix=column.suffix,
                            name=column.name,
                            suffix2=column.suffix,
                        ),
                    )
                    problems = True
                    continue
                self.codes[column.suffix] = code
                if code not in found:
                    found.append(code)
        bare = any(
            column.suffix is None or column.suffix.lower() == "default"
            for sheet in (survey, choices)
            for column in (sheet.columns.values() if sheet else [])
            if column.name in ("label", "hint", "constraint_message")
        )
        default: str | None = None
        default_raw = (setting.get("default_language") or {}).get(None)
        if default_raw is not None:
            default = self.codes.get(default_raw.text) or language_code(default_raw.text)
            if default is None:
                self.findings.error(
                    settings.place(setting_row, "default_language", setting) if settings else Place(""),
                    Msg(
                        N_(
                            "cannot tell the language of '%(text)s'; write it as 'Name (xx)' with "
                            "its two-letter code, as in the label columns"
                        ),
                        text=default_raw.text,
                    ),
                )
                problems = True
        chosen = None
        if self.options.language is not None:
            chosen = language_code(self.options.language)
            if chosen is None:
                self.findings.error(
                    Place(""),
                    Msg(
                        N_("'%(language)s' is not a language code such as 'id' or 'en'"),
                        language=self.options.language,
                    ),
                )
                return None
        if bare or not found:
            language = chosen or default
            if language is None:
                beside: Label = (
                    Msg(N_(" (beside the columns in %(languages)s)"), languages=", ".join(found))
                    if found
                    else ""
                )
                self.findings.error(
                    Place(""),
                    Msg(
                        N_(
                            "the form's columns without a language suffix (label, "
                            "hint...)%(beside)s do not say which language they are in: choose the "
                            "language when uploading (or give --language), or add default_language "
                            "to the settings sheet"
                        ),
                        beside=beside,
                    ),
                )
                return None
            if language in found:
                label = next(
                    (c for c in survey.columns.values() if c.name == "label" and c.suffix is None), None
                )
                self.findings.error(
                    Place(survey.title, survey.header_row, label.index if label else 0, "label"),
                    Msg(
                        N_(
                            "the columns without a language suffix are in '%(language)s', and so "
                            "are those headed '…::…(%(language2)s)': keep one of them, or give the "
                            "unsuffixed ones their language"
                        ),
                        language=language,
                        language2=language,
                    ),
                )
                return None
            self.codes[None] = language
            self.codes["default"] = language
            self.codes["Default"] = language
            found.insert(0, language)
        elif default is not None:
            if default in found:
                found = [default] + [lang for lang in found if lang != default]
            else:
                self.findings.warn(
                    settings.place(setting_row, "default_language", setting) if settings else Place(""),
                    Msg(
                        N_("default_language '%(default)s' is not the language of any column; ignored"),
                        default=default,
                    ),
                )
        if problems:
            return None
        return tuple(found)

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
                    N_("no %(missing)s text: the %(source)s text is shown in %(missing2)s too"),
                    missing=", ".join(missing),
                    source=source,
                    missing2=", ".join(missing),
                ),
                kind="translation",
            )
        return {lang: out[lang] for lang in self.languages if lang in out} if self.languages else out

    # Choices ---------------------------------------------------------------------------------------------

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

    # Survey ----------------------------------------------------------------------------------------------

    def _sections(self, survey: _SheetReader, doc: dict[str, Any]) -> list[dict[str, Any]]:
        sections: list[dict[str, Any]] = []
        stack: list[_Group] = []
        current: dict[str, Any] | None = None
        implicit = 0
        skip_depth = 0  # inside a refused repeat
        skip_start: Place | None = None
        welcome = False
        rows = list(survey.records())
        for row, record, _values in rows:
            raw_type = (record.get("type") or {}).get(None)
            type_text = re.sub(r"\s+", " ", raw_type.text.strip()) if raw_type else ""
            kind, rest = _split_type(type_text)
            name_value = (record.get("name") or {}).get(None)
            name = name_value.text if name_value else ""
            type_place = survey.place(row, "type", record)
            if skip_depth:
                if kind == "begin_repeat":
                    skip_depth += 1
                elif kind == "end_repeat":
                    skip_depth -= 1
                if name:
                    self.dropped[name] = (skip_start or type_place, "inside a refused repeat")
                continue
            if not record:
                continue
            written = type_text[: len(type_text) - len(rest)].strip().lower() if rest else type_text.lower()
            if raw_type and written != kind and kind in _CANONICAL:
                self.findings.warn(
                    type_place,
                    Msg(N_("'%(written)s' read as '%(kind)s'"), written=written, kind=kind),
                    kind="respell-type",
                )
            if kind == "begin_group":
                if name == WELCOME_GROUP and not sections and not stack:
                    welcome = True
                    if "label" in record:
                        doc["title"] = self.text(record["label"])
                    continue
                group = _Group(
                    name=name or f"group_{row}",
                    row=row,
                    title=self.text(record["label"]) if "label" in record else None,
                    description=self.text(record["hint"]) if "hint" in record else None,
                    relevant=self._expression(survey, row, record, "relevant"),
                )
                if not name:
                    self.findings.warn(
                        type_place,
                        Msg(N_("a group without a name; its page is called '%(name)s'"), name=group.name),
                    )
                for other in ("required", "constraint", "spi_dimension"):
                    if other in record:
                        self.findings.warn(
                            survey.place(row, other, record),
                            Msg(N_("'%(other)s' on a group is not imported"), other=other),
                        )
                self._appearance(survey, row, record, group=True)
                stack.append(group)
                current = None
                continue
            if kind == "end_group":
                if welcome and not stack:
                    welcome = False
                    continue
                if not stack:
                    self.findings.error(type_place, Msg(N_("end_group without a matching begin_group")))
                    continue
                closed = stack.pop()
                self._leftover(survey, row, record, ("type", "name"), "end_group")
                if closed.pages == 0:
                    self.findings.warn(
                        Place(survey.title, closed.row),
                        Msg(N_("group '%(name)s' has no questions; no page"), name=closed.name),
                    )
                current = None
                continue
            if kind == "end_repeat":
                self.findings.error(type_place, Msg(N_("end_repeat without a matching begin_repeat")))
                continue
            if not raw_type:
                self.findings.error(type_place, Msg(N_("the row has content but no type")), kind="no-type")
                continue
            if welcome and not stack and kind == "note" and name == TITLE_NOTE:
                continue
            if welcome and not stack and kind == "note" and name in (INTRODUCTION_NOTE, CONSENT_NOTE):
                key = "introduction" if name == INTRODUCTION_NOTE else "consent"
                if "label" in record:
                    doc[key] = self.text(record["label"])
                continue
            if (
                kind == "note"
                and name.startswith(DESCRIPTION_PREFIX)
                and stack
                and current is None
                and "label" in record
                and stack[-1].pages == 0
            ):
                stack[-1].description = self.text(record["label"])
                continue
            if kind in METADATA:
                reason = Msg(
                    N_("a location would identify the respondent")
                    if "geopoint" in kind
                    else N_("an anonymous survey keeps no device ids, user names or times")
                )
                self.findings.warn(
                    type_place,
                    Msg(
                        N_("'%(kind)s' (%(meaning)s) is not recorded: %(reason)s"),
                        kind=kind,
                        meaning=Msg(METADATA[kind]),
                        reason=reason,
                    ),
                )
                if name:
                    self.dropped[name] = (type_place, f"'{kind}' metadata, which is not recorded")
                continue
            refusal = ANONYMITY.get(kind) or NOT_YET.get(kind)
            what: Label = f"'{kind}'" if kind != "begin_repeat" else Msg(N_("a repeat"))
            if refusal is None and "choice_filter" in record:
                refusal = N_("cascading selects (choice_filter) are not supported yet")
                type_place = survey.place(row, "choice_filter", record)
                what = Msg(N_("question '%(name)s' with a choice_filter"), name=name)
            if refusal is not None:
                message = Msg(N_("%(what)s is refused: %(refusal)s"), what=what, refusal=Msg(refusal))
                if self.options.skip_refused:
                    extent: Label = (
                        Msg(N_(" (the whole repeat is left out)")) if kind == "begin_repeat" else ""
                    )
                    self.findings.warn(
                        type_place, Msg(N_("left out%(extent)s: %(message)s"), extent=extent, message=message)
                    )
                else:
                    self.findings.refuse(
                        type_place,
                        Msg(
                            N_("%(message)s; import without the refused rows to keep the rest"),
                            message=message,
                        ),
                    )
                if name:
                    self.dropped[name] = (
                        type_place,
                        f"{what}, which is refused"
                        if not self.options.skip_refused
                        else f"{what}, which was left out",
                    )
                if kind == "begin_repeat":
                    skip_depth = 1
                    skip_start = type_place
                continue
            items = self._item(survey, row, record, kind, rest, name)
            if items is None:
                if name:
                    self.failed.add(name)
                continue
            if current is None:
                if stack:
                    group = stack[-1]
                    group.pages += 1
                    title = next((g.title for g in reversed(stack) if g.title), None)
                    if group.title is None and group.pages == 1:
                        shown = Msg(
                            N_("the form's title")
                            if title is None
                            else N_("the title of the group around it")
                        )
                        self.findings.warn(
                            Place(survey.title, group.row),
                            Msg(
                                N_("group '%(name)s' has no label; its page shows %(shown)s"),
                                name=group.name,
                                shown=shown,
                            ),
                            kind="group-label",
                        )
                    if title is None:
                        title = dict(doc["title"])
                    section_id = group.name if group.pages == 1 else f"{group.name}_{group.pages}"
                    if len(stack) > 1 and group.pages == 1:
                        self.findings.warn(
                            Place(survey.title, group.row),
                            Msg(
                                N_(
                                    "group '%(name)s' is inside group '%(name2)s': it becomes a page of "
                                    "its own, shown when both groups are relevant"
                                ),
                                name=group.name,
                                name2=stack[-2].name,
                            ),
                            kind="nested",
                        )
                    current = {"id": section_id, "title": title}
                    if group.description and group.pages == 1:
                        current["description"] = group.description
                    relevants = [g.relevant for g in stack if g.relevant]
                    if len(relevants) == 1:
                        current["relevant"] = relevants[0]
                    elif relevants:
                        current["relevant"] = " and ".join(f"({r})" for r in relevants)
                    self.origins.sections.append(Place(survey.title, group.row))
                else:
                    implicit += 1
                    current = {"id": f"section_{implicit}", "title": dict(doc["title"])}
                    self.origins.sections.append(Place(survey.title, row))
                current["items"] = []
                sections.append(current)
            for item in items:
                current["items"].append(item)
                self.origins.items.append((row, record))
            if name:
                self.names.setdefault(name, type_place)
        if skip_depth and skip_start is not None:
            self.findings.error(skip_start, Msg(N_("the repeat has no end_repeat")))
        for group in stack:
            self.findings.error(
                Place(survey.title, group.row, survey.place(group.row, "type").column, "type"),
                Msg(N_("group '%(name)s' has no end_group"), name=group.name),
            )
        self._check_labels(survey, rows)
        return sections

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
        else:
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
        elif item["type"] != "note":
            # XLSForm's default: a question without 'required' may be left empty.
            item["required"] = False
        for key in ("relevant", "constraint"):
            expression = self._expression(survey, row, record, key)
            if expression is not None:
                item[key] = expression
        if "constraint_message" in record:
            item["constraint_message"] = self.text(record["constraint_message"])
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
            options.append({"code": code, "label": label})
        self.scales[list_name] = {"id": list_name, "kind": "nominal", "options": options}
        self.origins.options[list_name] = [place] * len(options)
        return list_name

    def _check_labels(self, survey: _SheetReader, rows: list[tuple[int, Record, dict[int, Any]]]) -> None:
        """``${name}`` in labels and hints: a name that does not exist is an error, as in expressions."""
        known = set(self.names) | set(self.dropped)
        for row, record, _ in rows:
            for key in ("label", "hint", "constraint_message"):
                for value in (record.get(key) or {}).values():
                    for ref in _REFERENCE.findall(value.text):
                        place = Place(survey.title, row, value.column.index, value.column.header)
                        if ref not in known:
                            close = difflib.get_close_matches(ref, sorted(self.names), n=1)
                            hint: Label = (
                                Msg(N_("; did you mean ${%(name)s}?"), name=close[0]) if close else ""
                            )
                            self.findings.error(
                                place,
                                Msg(
                                    N_("refers to ${%(ref)s}, which is not a question of this form%(hint)s"),
                                    ref=ref,
                                    hint=hint,
                                ),
                            )
                        else:
                            self.findings.warn(
                                place,
                                Msg(
                                    N_(
                                        "${%(ref)s} is shown as written: answers are not inserted into texts "
                                        "yet"
                                    ),
                                    ref=ref,
                                ),
                                kind="piping",
                            )


_CANONICAL = frozenset(TYPE_ALIASES.values()) | frozenset(_PLAIN_TYPES)


def _split_type(text: str) -> tuple[str, str]:
    """``select one agree5`` -> ``("select_one", "agree5")``; aliases resolved, case kept for list names."""
    lowered = text.lower()
    for alias in sorted(TYPE_ALIASES, key=len, reverse=True):
        if lowered == alias or lowered.startswith(alias + " "):
            return TYPE_ALIASES[alias], text[len(alias) :].strip()
    kind, _, rest = text.partition(" ")
    return kind.lower(), rest.strip()
