"""Read an XLSForm workbook's sheets as sparse rows, streaming, within :mod:`questionnaires.limits`.

openpyxl's read-only mode streams each sheet's XML, but its row iterator pads every row to the width the
sheet *declares* and yields every missing row in between: one value typed at ``XFD1048576`` becomes a million
rows of 16,384 cells. Here the sheet is read through openpyxl's own streaming parser, which yields only the
cells that exist, so a stray cell far down costs one cell; a cell that holds a value beyond the row or column
limit is refused with its place, an empty (formatted) cell anywhere is ignored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

# The streaming parser behind openpyxl's ReadOnlyWorksheet (stable since openpyxl 2.6); its public row
# iterator would pad rows (see the module docstring).
from openpyxl.worksheet._reader import WorkSheetParser

from questionnaires.limits import DEFAULT_LIMITS, Deadline, LimitExceeded, ReadLimits, check_zip
from questionnaires.problems import N_, Msg


@dataclass
class Sheet:
    """One sheet: its title as written and the rows that hold a value, as ``(row, {column: value})``."""

    title: str
    rows: list[tuple[int, dict[int, Any]]] = field(default_factory=list)


@dataclass
class Workbook:
    #: Sheets by lower-cased, stripped title, in workbook order.
    sheets: dict[str, Sheet]


def read_workbook(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> Workbook:
    """Every sheet of the workbook as sparse rows; :class:`LimitExceeded` when it is over a limit.

    Other failures (not a workbook, a damaged part) raise what openpyxl or zipfile raise; the caller turns
    them into a problem.
    """
    check_zip(path, limits)
    deadline = Deadline(limits.max_seconds)
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheets: dict[str, Sheet] = {}
        cells = 0
        seen = 0
        for ws in workbook.worksheets:
            sheet = Sheet(ws.title)
            sheets.setdefault(ws.title.strip().lower(), sheet)
            if not hasattr(ws, "_get_source"):  # a chartsheet has no cells
                continue
            with ws._get_source() as source:
                parser = WorkSheetParser(
                    source,
                    ws._shared_strings,
                    data_only=True,
                    epoch=workbook.epoch,
                    date_formats=workbook._date_formats,
                    timedelta_formats=workbook._timedelta_formats,
                )
                for number, row in parser.parse():
                    values: dict[int, Any] = {}
                    for cell in row:
                        value = cell["value"]
                        if value is None or (isinstance(value, str) and not value.strip()):
                            continue
                        column = cell["column"]
                        if number > limits.max_rows or column > limits.max_columns:
                            raise LimitExceeded(
                                Msg(
                                    N_(
                                        "%(title)s!%(column)s%(number)s holds a value, beyond the "
                                        "%(max_rows)s rows and %(max_columns)s columns read from a sheet; "
                                        "delete that cell"
                                    ),
                                    title=ws.title,
                                    column=get_column_letter(column),
                                    number=number,
                                    max_rows=format(limits.max_rows, ","),
                                    max_columns=limits.max_columns,
                                )
                            )
                        values[column] = _plain(value)
                    if values:
                        cells += len(values)
                        if cells > limits.max_cells:
                            raise LimitExceeded(
                                Msg(
                                    N_(
                                        "the workbook holds more than %(max_cells)s cells with values; "
                                        "at most that many are read"
                                    ),
                                    max_cells=format(limits.max_cells, ","),
                                )
                            )
                        sheet.rows.append((number, values))
                    seen += 1
                    if seen % 256 == 0:
                        deadline.check()
            deadline.check()
        return Workbook(sheets)
    finally:
        workbook.close()


def _plain(value: Any) -> Any:
    """Dates and times as ISO text (a default or a choice name typed as a date), the rest as read."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value
