"""Reading a population list: bytes to a table of text (UTF-8, UTF-16, the separator, .xlsx sheets), and
the :class:`FrameProblem` every step reports. :mod:`scoring.frames` maps and validates the table."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from questionnaires.problems import N_, Label, Msg

SEPARATORS = (",", ";", "\t")


@dataclass(frozen=True)
class FrameProblem:
    """One problem in a frame file: where (row, column) and what.

    ``row`` is the spreadsheet row (header = 1), ``None`` for the whole file; ``column`` the file's
    column header, ``None`` for the whole row.
    """

    row: int | None
    column: str | None
    message: str
    #: The message as a template with its fields, for a console to translate (``None``: shown as it is).
    text: Msg | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, row: int | None, column: str | None, message: Label) -> FrameProblem:
        if isinstance(message, Msg):
            return cls(row, column, str(message), message)
        return cls(row, column, message)

    def render(self, translate: Callable[[str], str]) -> str:
        """The message in the language of ``translate`` (a gettext)."""
        return self.message if self.text is None else self.text.render(translate)

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


def _decode(data: bytes) -> tuple[str | None, list[FrameProblem]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError as exc:
            return None, [
                FrameProblem.of(None, None, Msg(N_("not valid UTF-16 text (%(reason)s)"), reason=exc.reason))
            ]
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    problems = []
    for i, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            byte = line[exc.start : exc.start + 1].hex()
            problems.append(
                FrameProblem.of(
                    i,
                    None,
                    Msg(
                        N_(
                            "not UTF-8 text (byte 0x%(byte)s at character %(exc)s); save the file "
                            "as 'CSV UTF-8' or upload the .xlsx workbook"
                        ),
                        byte=byte,
                        exc=exc.start + 1,
                    ),
                )
            )
    return None, problems


def _separator(header: str) -> str:
    counts = {sep: next(csv.reader([header], delimiter=sep), []).__len__() for sep in SEPARATORS}
    return max(SEPARATORS, key=lambda s: (counts[s], -SEPARATORS.index(s)))


def _field_count_problems(text: str, sep: str) -> list[FrameProblem]:
    """Every record whose number of fields differs from the header's (blank lines aside)."""
    problems = []
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    header = next(reader, [])
    for row in reader:
        if row and len(row) != len(header):
            problems.append(
                FrameProblem.of(
                    reader.line_num,
                    None,
                    Msg(
                        N_("%(row)s fields where the header has %(header)s (separator %(sep)s)"),
                        row=len(row),
                        header=len(header),
                        sep=repr(sep),
                    ),
                )
            )
    return problems


def _csv_rows(text: str, sep: str) -> tuple[pd.DataFrame | None, list[FrameProblem]]:
    try:
        # Bytes and object columns: half the time of a text buffer and pandas' str dtype. Blank lines
        # are kept (as empty rows, dropped below) so that positions stay line numbers.
        table = pd.read_csv(
            io.BytesIO(text.encode("utf-8")),
            encoding="utf-8",
            sep=sep,
            dtype=object,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.EmptyDataError:
        return None, [FrameProblem.of(None, None, Msg(N_("the file is empty")))]
    except pd.errors.ParserError:
        problems = _field_count_problems(text, sep)
        if not problems:
            problems.append(
                FrameProblem.of(None, None, Msg(N_("the file is not valid CSV (an unterminated quote?)")))
            )
        return None, problems
    # The C parser pads a short row with empty fields: where the last column has an empty cell, count
    # the fields of every record (about a second per million rows, only then).
    if len(table.columns) > 1 and (table.iloc[:, -1] == "").any():
        problems = _field_count_problems(text, sep)
        if problems:
            return None, problems
    table.index = pd.RangeIndex(2, len(table) + 2, name="row")
    first_empty = table.iloc[:, 0] == ""
    if first_empty.any():
        blank = first_empty & (table == "").all(axis=1)
        table = table[~blank]
    return table, []


def _xlsx_rows(data: bytes, sheet: str | None) -> tuple[pd.DataFrame | None, list[FrameProblem]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        return None, [
            FrameProblem.of(None, None, Msg(N_("not a readable .xlsx workbook (%(exc)s)"), exc=exc))
        ]
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            return None, [
                FrameProblem.of(
                    None,
                    None,
                    Msg(
                        N_("no sheet %(sheet)s (sheets: %(sheetnames)s)"),
                        sheet=repr(sheet),
                        sheetnames=", ".join(wb.sheetnames),
                    ),
                )
            ]
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return None, [FrameProblem.of(None, None, Msg(N_("the sheet is empty")))]
        names = ["" if h is None else str(h).strip() for h in header]
        while names and names[-1] == "":
            names.pop()
        width = len(names)
        body: list[list[str]] = []
        numbers: list[int] = []
        for number, r in enumerate(rows, start=2):
            cells = ["" if v is None else _cell_text(v) for v in r[:width]]
            if not any(cells):
                continue
            cells += [""] * (width - len(cells))
            body.append(cells)
            numbers.append(number)
    finally:
        wb.close()
    return pd.DataFrame(body, columns=names, dtype=object, index=pd.Index(numbers, name="row")), []


def _cell_text(v: object) -> str:
    # Excel stores phone numbers typed without a leading apostrophe as numbers: 81234567890.0.
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def read_table(
    source: str | Path | bytes, *, filename: str | None = None, sheet: str | None = None
) -> tuple[pd.DataFrame | None, list[FrameProblem]]:
    """Read a CSV or XLSX file as a table of text, with the file-level problems.

    Parameters
    ----------
    source : path or bytes
        The file, or its content (an upload); ``filename`` then tells CSV from XLSX.
    sheet : str, optional
        XLSX sheet (default: the first).

    Returns
    -------
    (DataFrame or None, list of FrameProblem)
        All cells as ``str`` (empty cells ``""``), indexed by the spreadsheet row (``row``; blank
        lines are skipped but counted), or ``None`` with the problems.

    Examples
    --------
    >>> table, problems = read_table("unit;email\\nA1;a@example.id\\n".encode("utf-8-sig"), filename="x.csv")
    >>> table.to_dict("records"), problems
    ([{'unit': 'A1', 'email': 'a@example.id'}], [])
    """
    if isinstance(source, bytes):
        data, name = source, filename or ""
    else:
        path = Path(source)
        data, name = path.read_bytes(), filename or path.name
    if name.lower().endswith((".xlsx", ".xlsm")) or data.startswith(b"PK\x03\x04"):
        return _xlsx_rows(data, sheet)
    text, problems = _decode(data)
    if text is None:
        return None, problems
    if not text.strip():
        return None, [FrameProblem.of(None, None, Msg(N_("the file is empty")))]
    header = text.split("\n", 1)[0].rstrip("\r")
    table, problems = _csv_rows(text, _separator(header))
    if table is not None:
        table.columns = [str(c).strip() for c in table.columns]
    return table, problems
