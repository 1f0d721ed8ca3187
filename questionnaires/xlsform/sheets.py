"""The XLSForm importer's tables (types, metadata, refused types, reserved names) and its sheet reader:
rows as records of values, each with its cell, the place a finding names."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from openpyxl.utils import get_column_letter

from questionnaires.limits import DEFAULT_LIMITS, ReadLimits
from questionnaires.model import ItemType
from questionnaires.problems import N_, Msg
from questionnaires.xlsform import columns as cols
from questionnaires.xlsform.columns import Column, parse_header
from questionnaires.xlsform.findings import Place
from questionnaires.xlsform.workbook import Sheet

if TYPE_CHECKING:  # the importer builds on these; only its type is named here
    from questionnaires.xlsform.questions import _QuestionReader

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
        importer: _QuestionReader,
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
            elif name in read or name in ignored:
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
                        N_("read as '%(respell)s'; write '%(respell)s'"),
                        respell=column.respell,
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


_CANONICAL = frozenset(TYPE_ALIASES.values()) | frozenset(_PLAIN_TYPES)


def _split_type(text: str) -> tuple[str, str]:
    """``select one agree5`` -> ``("select_one", "agree5")``; aliases resolved, case kept for list names."""
    lowered = text.lower()
    for alias in sorted(TYPE_ALIASES, key=len, reverse=True):
        if lowered == alias or lowered.startswith(alias + " "):
            return TYPE_ALIASES[alias], text[len(alias) :].strip()
    kind, _, rest = text.partition(" ")
    return kind.lower(), rest.strip()
