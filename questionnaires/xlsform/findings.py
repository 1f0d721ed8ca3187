"""What an import found, by sheet and cell, in XLSForm's words: errors, warnings and refused rows.

Findings are sorted by sheet (survey, choices, settings, then the others), row and column, and a problem
repeated on many rows is shown on its first rows and then counted ("… and 40 more rows like this").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from openpyxl.utils import get_column_letter

from questionnaires.problems import N_, Label, Msg, Problem

_SHEET_ORDER = {"survey": 1, "choices": 2, "settings": 3}
#: How many rows of one kind of finding are listed before the rest are counted.
SHOWN_PER_KIND = 3


class Severity(StrEnum):
    #: The questionnaire cannot be imported.
    ERROR = "error"
    #: Refused for a reason of its own (anonymity, an unsupported type); importable without these rows.
    REFUSED = "refused"
    #: Imported; something of the form is not kept, or was read under another spelling.
    WARNING = "warning"


@dataclass(frozen=True)
class Place:
    """A cell (or a row: ``column`` 0, or the workbook: ``row`` 0)."""

    sheet: str
    row: int = 0
    column: int = 0
    header: str = ""

    def describe(self) -> Label:
        if not self.sheet:
            return ""
        if self.row == 0:
            return Msg(N_("sheet '%(sheet)s'"), sheet=self.sheet)
        letter = get_column_letter(self.column) if self.column else ""
        where: Label = (
            f"{self.sheet}!{letter}{self.row}"
            if letter
            else Msg(N_("%(sheet)s row %(row)s"), sheet=self.sheet, row=self.row)
        )
        return Msg("%(where)s (%(header)s)", where=where, header=self.header) if self.header else where

    def sort_key(self) -> tuple[int, str, int, int]:
        if not self.sheet:
            return (0, "", 0, 0)
        return (_SHEET_ORDER.get(self.sheet.strip().lower(), 4), self.sheet, self.row, self.column)


@dataclass(frozen=True)
class Finding:
    place: Place
    message: Label
    severity: Severity = Severity.ERROR
    #: Findings of one kind are collapsed when many ("appearance-ignored", "curly-quotes"...); ``""`` never.
    kind: str = ""


@dataclass
class Findings:
    filename: str
    items: list[Finding] = field(default_factory=list)

    def add(self, place: Place, message: Label, severity: Severity = Severity.ERROR, kind: str = "") -> None:
        self.items.append(Finding(place, message, severity, kind))

    def error(self, place: Place, message: Label, kind: str = "") -> None:
        self.add(place, message, Severity.ERROR, kind)

    def warn(self, place: Place, message: Label, kind: str = "") -> None:
        self.add(place, message, Severity.WARNING, kind)

    def refuse(self, place: Place, message: Label, kind: str = "") -> None:
        self.add(place, message, Severity.REFUSED, kind)

    def of(self, *severities: Severity) -> list[Problem]:
        return to_problems(self.filename, (f for f in self.items if f.severity in severities))


def to_problems(filename: str, findings: Iterable[Finding]) -> list[Problem]:
    """Sorted by sheet, row and column; each kind shown on its first rows, then counted."""
    ordered = sorted(set(findings), key=lambda f: (f.place.sort_key(), str(f.message)))
    counts: dict[tuple[str, str], int] = {}
    for finding in ordered:
        if finding.kind:
            key = (finding.kind, finding.place.sheet)
            counts[key] = counts.get(key, 0) + 1
    shown: dict[tuple[str, str], int] = {}
    problems: list[Problem] = []
    for finding in ordered:
        place = finding.place
        message = finding.message
        if finding.kind:
            key = (finding.kind, place.sheet)
            shown[key] = shown.get(key, 0) + 1
            if shown[key] > SHOWN_PER_KIND + 1:
                continue
            if shown[key] == SHOWN_PER_KIND + 1 and counts[key] > SHOWN_PER_KIND + 1:
                message = Msg(N_("… and %(n)s more rows like this"), n=counts[key] - SHOWN_PER_KIND)
        where = place.describe()
        problems.append(
            Problem.of(
                filename,
                place.row,
                place.column,
                Msg("%(where)s: %(message)s", where=where, message=message) if where else message,
            )
        )
    return problems
