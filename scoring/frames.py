"""Population lists (sampling frames): reading, column mapping, validation and a canonical hash.

A frame is one row per person of a unit (and respondent group) from which the sample is drawn. The
uploader's file is read as text (:func:`read_table`), its columns mapped to roles
(:class:`ColumnMapping`: unit, group, e-mail, phone, auxiliary columns for calibration) and validated
(:func:`validate_frame`). Every problem is reported with its row (the spreadsheet's row number: the
header is row 1) and column, and the result is all-or-nothing: a file with any problem yields no frame.

What is checked
    * the file: UTF-8 (a byte-order mark is accepted and dropped; UTF-16 with a BOM, as Excel's
      "Unicode text", is decoded), every line not valid UTF-8 reported by row; the separator
      (``,``, ``;`` as Excel writes under the Indonesian locale, or tab) detected from the header; a
      row with more or fewer fields than the header;
    * the mapping: every mapped column present in the header;
    * each row: a unit (and a group, when mapped), known when a list of unit codes is given; an
      e-mail address of the WHATWG (HTML ``input type=email``) form; a phone number that normalises
      to E.164 (``+`` and 10 to 15 digits; a national number starting with ``0`` takes the default
      country code, 62 for Indonesia); at least one contact when contact columns are mapped;
    * duplicates: the same e-mail address (case-insensitive) or phone number twice, each repeat
      reported with the row it repeats.

The validated frame has the columns ``row`` (the file's row number, the frame row id), ``unit``,
``group`` (when mapped), ``email`` (lower-cased), ``phone`` (E.164), then the auxiliary columns under
their own names, all as text. :func:`frame_hash` is the SHA-256 of its canonical CSV, recorded with a
draw so anyone can check which list a sample came from.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from questionnaires.problems import N_, Label, Msg
from scoring.frame_reading import FrameProblem, read_table

__all__ = [
    "ColumnMapping",
    "FrameProblem",
    "FrameResult",
    "canonical_csv",
    "frame_hash",
    "load_frame",
    "read_table",
    "validate_frame",
]

# WHATWG HTML "valid e-mail address" (the browser's own check for input type=email).
EMAIL_PATTERN = (
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
#: How a problem names the column a mapping asks for ("no such column for the unit").
_ROLE_WORDS: dict[str, Label] = {
    "unit": Msg(N_("unit")),
    "group": Msg(N_("group")),
    "email": Msg(N_("e-mail address")),
    "phone": Msg(N_("phone number")),
}
DEFAULT_COUNTRY_CODE = "62"


@dataclass(frozen=True)
class ColumnMapping:
    """Which column of the file holds what. ``unit`` is required, the rest optional."""

    unit: str
    group: str | None = None
    email: str | None = None
    phone: str | None = None
    auxiliary: tuple[str, ...] = ()

    def columns(self) -> list[str]:
        """The mapped file columns, in role order."""
        named = [self.unit, self.group, self.email, self.phone, *self.auxiliary]
        return [c for c in named if c is not None]


@dataclass(frozen=True)
class FrameResult:
    """A validated frame, or the problems that stopped it (never both)."""

    frame: pd.DataFrame | None
    problems: tuple[FrameProblem, ...] = ()
    hash: str | None = None
    counts: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """Whether the frame is usable (no problem at all)."""
        return self.frame is not None and not self.problems


# --------------------------------------------------------------------------------------- validation


def _resolve(columns: Sequence[str], wanted: str) -> str | None:
    if wanted in columns:
        return wanted
    folded = [c for c in columns if c.strip().casefold() == wanted.strip().casefold()]
    return folded[0] if len(folded) == 1 else None


_PHONE_SEPARATORS = re.compile(r"[\s\-.()/]")
_EMAIL = re.compile(EMAIL_PATTERN)

ObjectArray = np.ndarray  # of str


def _phone(value: str, country_code: str) -> tuple[str, bool]:
    """E.164 form of one phone number and whether it is valid (empty is valid: no phone)."""
    c = value if value.isdigit() else _PHONE_SEPARATORS.sub("", value)
    if not c:
        return "", True
    if c[0] == "+":
        digits = c[1:]
    elif c.startswith("00"):
        digits = c[2:]
    elif c[0] == "0":
        digits = country_code + c[1:]
    else:
        # Written without 0 or +: it must start with the country code (62812...).
        digits = c
        if not c.startswith(country_code):
            return "+" + c, False
    ok = digits.isascii() and digits.isdigit() and 10 <= len(digits) <= 15 and digits[0] != "0"
    return "+" + digits, ok


def _text(values: pd.Series) -> ObjectArray:
    # Plain Python over an object array: several times faster than pandas' .str on 10^6 rows.
    raw = values.tolist()
    try:
        return np.array([v.strip() for v in raw], dtype=object)
    except AttributeError:  # not all text: missing values or numbers from a caller's DataFrame
        return np.array(
            [v.strip() if isinstance(v, str) else ("" if pd.isna(v) else str(v).strip()) for v in raw],
            dtype=object,
        )


def _duplicates(values: ObjectArray, rows: np.ndarray, column: str, what: Msg) -> list[FrameProblem]:
    s = pd.Series(values)
    present = s != ""
    dup = s.duplicated(keep="first") & present
    if not dup.any():
        return []
    first: dict[str, int] = {}
    out = []
    for i in np.flatnonzero((s.isin(set(s[dup].tolist())) & present).to_numpy()):
        v = values[i]
        if v in first:
            out.append(
                FrameProblem.of(
                    int(rows[i]),
                    column,
                    Msg(N_("%(what)s %(v)s repeats row %(first)s"), what=what, v=repr(v), first=first[v]),
                )
            )
        else:
            first[v] = int(rows[i])
    return out


def validate_frame(
    table: pd.DataFrame,
    mapping: ColumnMapping,
    *,
    known_units: Collection[str] | None = None,
    known_groups: Collection[str] | None = None,
    country_code: str = DEFAULT_COUNTRY_CODE,
    require_contact: bool = True,
) -> FrameResult:
    """Validate a table read by :func:`read_table` against a column mapping.

    Parameters
    ----------
    table : DataFrame
        All cells as text, rows in file order; the index named ``row`` (as :func:`read_table` gives
        it) is each row's spreadsheet row, otherwise row = position + 2.
    mapping : ColumnMapping
    known_units, known_groups : collection of str, optional
        The campaign's unit codes (and groups); a value outside them is a problem.
    country_code : str
        For national phone numbers (``08...``): 62, Indonesia.
    require_contact : bool
        When an e-mail or phone column is mapped, every row needs at least one of them.

    Returns
    -------
    FrameResult
        ``frame`` and ``hash`` when there is no problem; otherwise ``frame is None`` and every problem,
        sorted by row. ``counts`` (rows per unit and group) is filled in either case, for a console to
        show.

    Examples
    --------
    >>> t = pd.DataFrame({"Satker": ["A1", "A1", "B9"], "Surel": ["x@kpk.go.id", "bad@", "x@KPK.go.id"],
    ...                   "HP": ["0812-3456-7890", "", "+62 812 000"]})
    >>> mapping = ColumnMapping(unit="Satker", email="Surel", phone="HP")
    >>> res = validate_frame(t, mapping, known_units={"A1", "A2"})
    >>> res.ok
    False
    >>> for p in res.problems:
    ...     print(p)
    row 3, column 'Surel': 'bad@' is not an e-mail address
    row 4, column 'Satker': unknown unit 'B9'
    row 4, column 'Surel': e-mail address 'x@kpk.go.id' repeats row 2
    row 4, column 'HP': '+62 812 000' is not a phone number (expected +62..., 08... or 62..., 10 to 15 digits)
    """
    problems: list[FrameProblem] = []
    cols = [str(c) for c in table.columns]
    resolved: dict[str, str] = {}
    for role, wanted in (
        ("unit", mapping.unit),
        ("group", mapping.group),
        ("email", mapping.email),
        ("phone", mapping.phone),
        *((f"aux:{a}", a) for a in mapping.auxiliary),
    ):
        if wanted is None:
            continue
        got = _resolve(cols, wanted)
        if got is None:
            problems.append(
                FrameProblem.of(
                    1,
                    wanted,
                    Msg(
                        N_("no such column for the %(role)s (columns: %(cols)s)"),
                        role=_ROLE_WORDS.get(role, role.removeprefix("aux:")),
                        cols=", ".join(cols),
                    ),
                )
            )
        else:
            resolved[role] = got
    if problems:
        return FrameResult(None, tuple(problems))
    n = len(table)
    # read_table names each row by its spreadsheet row; any other table is counted from row 2.
    if table.index.name == "row" and pd.api.types.is_integer_dtype(table.index):
        rows = table.index.to_numpy(dtype=np.int64)
    else:
        rows = np.arange(2, n + 2, dtype=np.int64)
    if n == 0:
        return FrameResult(None, (FrameProblem.of(None, None, Msg(N_("the list has no rows"))),))
    out = pd.DataFrame({"row": rows})

    def text(role: str) -> ObjectArray:
        return _text(table[resolved[role]])

    def report(mask: np.ndarray, column: str, message: Iterable[Msg] | Msg) -> None:
        idx = np.flatnonzero(mask)
        if isinstance(message, Msg):
            problems.extend(FrameProblem.of(int(rows[i]), column, message) for i in idx)
        else:
            problems.extend(
                FrameProblem.of(int(rows[i]), column, m) for i, m in zip(idx, message, strict=True)
            )

    unit = text("unit")
    report(unit == "", resolved["unit"], Msg(N_("the unit is empty")))
    if known_units is not None:
        bad = (unit != "") & ~pd.Series(unit).isin(set(map(str, known_units))).to_numpy()
        report(bad, resolved["unit"], [Msg(N_("unknown unit %(unit)s"), unit=repr(u)) for u in unit[bad]])
    out["unit"] = unit
    if "group" in resolved:
        group = text("group")
        report(group == "", resolved["group"], Msg(N_("the group is empty")))
        if known_groups is not None:
            bad = (group != "") & ~pd.Series(group).isin(set(map(str, known_groups))).to_numpy()
            expected = ", ".join(sorted(known_groups))
            report(
                bad,
                resolved["group"],
                [
                    Msg(
                        N_("unknown group %(group)s (expected %(expected)s)"),
                        group=repr(g),
                        expected=expected,
                    )
                    for g in group[bad]
                ],
            )
        out["group"] = group
    contact = np.zeros(n, dtype=bool)
    email = phone = None
    if "email" in resolved:
        email = text("email")
        bad = np.array([v != "" and _EMAIL.match(v) is None for v in email.tolist()], dtype=bool)
        report(
            bad,
            resolved["email"],
            [Msg(N_("%(email)s is not an e-mail address"), email=repr(e)) for e in email[bad]],
        )
        email = np.array([v.lower() for v in email.tolist()], dtype=object)
        out["email"] = email
        contact |= email != ""
    if "phone" in resolved:
        raw_phone = text("phone")
        pairs = [_phone(v, country_code) for v in raw_phone.tolist()]
        phone = np.array([e for e, _ in pairs], dtype=object)
        bad = ~np.array([ok for _, ok in pairs], dtype=bool)
        template = N_(
            "%(phone)s is not a phone number (expected +%(code)s..., 08... or %(code)s..., 10 to 15 digits)"
        )
        report(
            bad,
            resolved["phone"],
            [Msg(template, phone=repr(p), code=country_code) for p in raw_phone[bad]],
        )
        out["phone"] = phone
        contact |= phone != ""
    if require_contact and ("email" in resolved or "phone" in resolved):
        where = resolved.get("email") or resolved["phone"]
        report(~contact, where, Msg(N_("no e-mail address or phone number")))
    for a in mapping.auxiliary:
        out[a] = text(f"aux:{a}")
    if email is not None:
        problems.extend(_duplicates(email, rows, resolved["email"], Msg(N_("e-mail address"))))
    if phone is not None:
        problems.extend(_duplicates(phone, rows, resolved["phone"], Msg(N_("phone number"))))
    by = ["unit", "group"] if "group" in out.columns else ["unit"]
    counts = out.groupby(by, sort=True).size().rename("N").reset_index()
    if problems:
        order = {c: i for i, c in enumerate(cols)}
        problems.sort(key=lambda p: (p.row or 0, order.get(p.column or "", -1)))
        return FrameResult(None, tuple(problems), counts=counts)
    return FrameResult(out, (), frame_hash(out), counts)


def load_frame(
    source: str | Path | bytes,
    mapping: ColumnMapping,
    *,
    filename: str | None = None,
    sheet: str | None = None,
    known_units: Collection[str] | None = None,
    known_groups: Collection[str] | None = None,
    country_code: str = DEFAULT_COUNTRY_CODE,
) -> FrameResult:
    """:func:`read_table` then :func:`validate_frame`: a whole upload, all-or-nothing."""
    table, problems = read_table(source, filename=filename, sheet=sheet)
    if table is None:
        return FrameResult(None, tuple(problems))
    return validate_frame(
        table, mapping, known_units=known_units, known_groups=known_groups, country_code=country_code
    )


# --------------------------------------------------------------------------------------------- hash


def _canonical_chunks(frame: pd.DataFrame, rows: int = 100_000) -> Iterable[bytes]:
    columns = []
    for c in frame.columns:
        col = frame[c]
        values = col.to_numpy(dtype=object)
        if col.isna().any():
            values = np.where(col.isna().to_numpy(), "", values)
        columns.append(values)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([str(c) for c in frame.columns])
    for start in range(0, len(frame), rows):
        writer.writerows(zip(*(v[start : start + rows] for v in columns), strict=True))
        yield buf.getvalue().encode("utf-8")
        buf.seek(0)
        buf.truncate()
    if len(frame) == 0:
        yield buf.getvalue().encode("utf-8")


def canonical_csv(frame: pd.DataFrame) -> bytes:
    """The frame as canonical CSV: UTF-8, ``,``, ``\\n``, minimal quoting, header, rows in order.

    Cells are written as text (``str``; missing values empty), so the same list uploaded as CSV with
    ``;`` or as XLSX gives the same bytes.
    """
    return b"".join(_canonical_chunks(frame))


def frame_hash(frame: pd.DataFrame) -> str:
    """SHA-256 (hex) of :func:`canonical_csv`, recorded with a draw.

    Examples
    --------
    >>> f = pd.DataFrame({"row": [2, 3], "unit": ["A1", "A2"]})
    >>> frame_hash(f) == hashlib.sha256(b"row,unit\\n2,A1\\n3,A2\\n").hexdigest()
    True
    """
    h = hashlib.sha256()
    for chunk in _canonical_chunks(frame):
        h.update(chunk)
    return h.hexdigest()
