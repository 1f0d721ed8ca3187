"""Population lists: every problem by row and column, all-or-nothing, CSV/XLSX alike, a canonical hash."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from scoring.frames import (
    ColumnMapping,
    FrameProblem,
    canonical_csv,
    frame_hash,
    load_frame,
    read_table,
    validate_frame,
)

MAPPING = ColumnMapping(unit="Unit", group="Group", email="Email", phone="Phone", auxiliary=("Sex",))
UNITS = {"A1", "A2", "B1"}

GOOD_ROWS = [
    ["Unit", "Group", "Email", "Phone", "Sex"],
    ["A1", "internal", "ani@kpk.go.id", "0812-3456-7890", "F"],
    ["A1", "internal", "budi@kpk.go.id", "", "M"],
    ["A2", "external", "", "+62 813 1111 2222", "F"],
    ["B1", "external", "Citra@Example.ID", "62 811 2222 3333", ""],
]


def _csv(rows: list[list[str]], sep: str = ",") -> str:
    return "\n".join(sep.join(r) for r in rows) + "\n"


def _problems(result_problems: tuple[FrameProblem, ...]) -> list[tuple[int | None, str | None, str]]:
    return [(p.row, p.column, p.message) for p in result_problems]


def test_good_list_gives_a_normalised_frame_and_its_hash() -> None:
    res = load_frame(_csv(GOOD_ROWS).encode(), MAPPING, filename="list.csv", known_units=UNITS)
    assert res.ok, [str(p) for p in res.problems]
    assert res.frame is not None
    assert list(res.frame.columns) == ["row", "unit", "group", "email", "phone", "Sex"]
    assert res.frame["row"].tolist() == [2, 3, 4, 5]
    assert res.frame["email"].tolist() == ["ani@kpk.go.id", "budi@kpk.go.id", "", "citra@example.id"]
    assert res.frame["phone"].tolist() == ["+6281234567890", "", "+6281311112222", "+6281122223333"]
    assert res.hash == hashlib.sha256(canonical_csv(res.frame)).hexdigest()
    assert res.counts is not None
    assert res.counts.to_dict("records") == [
        {"unit": "A1", "group": "internal", "N": 2},
        {"unit": "A2", "group": "external", "N": 1},
        {"unit": "B1", "group": "external", "N": 1},
    ]


def test_bad_list_gives_every_problem_by_row_and_column_and_no_frame() -> None:
    rows = [
        *GOOD_ROWS,
        ["A1", "internal", "ani@kpk.go.id", "0812 9999 0000", "F"],  # 6: duplicate e-mail
        ["Z9", "internal", "dewi@kpk", "12345", "M"],  # 7: unknown unit, bad e-mail, bad phone
        ["", "", "eko@kpk.go.id", "+6281234567890", "M"],  # 8: empty unit and group, duplicate phone
        ["A2", "external", "", "", "F"],  # 9: no contact
        ["B1", "expert", "f @kpk.go.id", "08 12", "F"],  # 10: unknown group, bad e-mail, bad phone
    ]
    res = validate_frame(
        read_table(_csv(rows).encode(), filename="x.csv")[0],  # type: ignore[arg-type]
        MAPPING,
        known_units=UNITS,
        known_groups={"internal", "external"},
    )
    assert not res.ok
    assert res.frame is None
    assert res.hash is None
    assert _problems(res.problems) == [
        (6, "Email", "e-mail address 'ani@kpk.go.id' repeats row 2"),
        (7, "Unit", "unknown unit 'Z9'"),
        (7, "Email", "'dewi@kpk' is not an e-mail address"),
        (7, "Phone", "'12345' is not a phone number (expected +62..., 08... or 62..., 10 to 15 digits)"),
        (8, "Unit", "the unit is empty"),
        (8, "Group", "the group is empty"),
        (8, "Phone", "phone number '+6281234567890' repeats row 2"),
        (9, "Email", "no e-mail address or phone number"),
        (10, "Group", "unknown group 'expert' (expected external, internal)"),
        (10, "Email", "'f @kpk.go.id' is not an e-mail address"),
        (10, "Phone", "'08 12' is not a phone number (expected +62..., 08... or 62..., 10 to 15 digits)"),
    ]
    assert str(res.problems[0]) == "row 6, column 'Email': e-mail address 'ani@kpk.go.id' repeats row 2"


def test_excel_indonesian_locale_semicolons_and_bom_read_like_a_plain_csv() -> None:
    plain = load_frame(_csv(GOOD_ROWS).encode(), MAPPING, filename="a.csv")
    excel = load_frame(_csv(GOOD_ROWS, ";").encode("utf-8-sig"), MAPPING, filename="b.csv")
    tabs = load_frame(_csv(GOOD_ROWS, "\t").encode("utf-16"), MAPPING, filename="c.txt")
    assert plain.ok
    assert excel.ok
    assert tabs.ok
    assert plain.hash == excel.hash == tabs.hash
    assert plain.frame is not None
    assert excel.frame is not None
    pd.testing.assert_frame_equal(plain.frame, excel.frame)


def test_xlsx_read_only_gives_the_same_frame_and_hash(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for r in GOOD_ROWS:
        ws.append(r)
    # Excel keeps a phone typed without an apostrophe as a number.
    ws["D3"] = 6281299998888
    wb.create_sheet("other").append(["nothing"])
    path = tmp_path / "list.xlsx"
    wb.save(path)
    res = load_frame(path, MAPPING, known_units=UNITS)
    assert res.ok, [str(p) for p in res.problems]
    assert res.frame is not None
    assert res.frame["phone"].tolist()[1] == "+6281299998888"
    rows = [list(r) for r in GOOD_ROWS]
    rows[2][3] = "6281299998888"
    assert res.hash == load_frame(_csv(rows).encode(), MAPPING, filename="l.csv").hash
    missing = read_table(path, sheet="nope")
    assert missing[0] is None
    assert "no sheet 'nope'" in str(missing[1][0])


def test_wrong_encoding_is_reported_on_every_bad_row() -> None:
    data = _csv(GOOD_ROWS).encode("utf-8") + "A1,internal,jose@kpk.go.id,,José\n".encode("cp1252")
    data += "A2,external,rené@x.id,,F\n".encode("cp1252")
    table, problems = read_table(data, filename="latin.csv")
    assert table is None
    assert [(p.row, p.column) for p in problems] == [(6, None), (7, None)]
    assert "not UTF-8 text (byte 0xe9" in problems[0].message
    assert "CSV UTF-8" in problems[0].message


def test_rows_with_the_wrong_number_of_fields_are_each_reported() -> None:
    rows = [*GOOD_ROWS, ["A1", "internal", "x@y.id"], ["A1", "internal", "z@y.id", "", "F", "extra"]]
    table, problems = read_table(_csv(rows, ";").encode(), filename="x.csv")
    assert table is None
    assert [str(p) for p in problems] == [
        "row 6: 3 fields where the header has 5 (separator ';')",
        "row 7: 6 fields where the header has 5 (separator ';')",
    ]


def test_a_mapped_column_missing_from_the_header_is_reported_on_row_1() -> None:
    table, _ = read_table(_csv(GOOD_ROWS).encode(), filename="x.csv")
    assert table is not None
    res = validate_frame(table, ColumnMapping(unit="Satker", email="email", phone="HP"))
    assert [(p.row, p.column) for p in res.problems] == [(1, "Satker"), (1, "HP")]
    assert "no such column for the unit" in res.problems[0].message
    # Case-insensitive match of a header is accepted (email -> Email).
    assert validate_frame(table, ColumnMapping(unit="unit", email="email", phone="PHONE")).ok


def test_empty_files() -> None:
    assert str(read_table(b"", filename="e.csv")[1][0]) == "the file is empty"
    table, problems = read_table(b"Unit,Email\n", filename="h.csv")
    assert table is not None
    assert not problems
    assert str(validate_frame(table, ColumnMapping(unit="Unit")).problems[0]) == "the list has no rows"


def test_hash_is_sha256_of_the_canonical_csv_and_sees_order() -> None:
    f = pd.DataFrame({"row": [2, 3], "unit": ["A,1", "B"]})
    assert canonical_csv(f) == b'row,unit\n2,"A,1"\n3,B\n'
    assert frame_hash(f) == hashlib.sha256(b'row,unit\n2,"A,1"\n3,B\n').hexdigest()
    assert frame_hash(f.iloc[::-1]) != frame_hash(f)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("081234567890", "+6281234567890"),
        ("+62 812-3456-7890", "+6281234567890"),
        ("(0274) 512345", "+62274512345"),
        ("0062 812 3456 7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phone_numbers_normalise_to_e164(raw: str, e164: str) -> None:
    t = pd.DataFrame({"u": ["A1"], "p": [raw]})
    res = validate_frame(t, ColumnMapping(unit="u", phone="p"))
    assert res.ok, [str(p) for p in res.problems]
    assert res.frame is not None
    assert res.frame["phone"].iat[0] == e164


@pytest.mark.parametrize("raw", ["12345", "81234567890", "+62 812", "0812-abc-7890", "+0812345678901"])
def test_bad_phone_numbers_are_problems(raw: str) -> None:
    t = pd.DataFrame({"u": ["A1"], "p": [raw]})
    assert not validate_frame(t, ColumnMapping(unit="u", phone="p")).ok


def test_short_rows_and_blank_lines_keep_their_row_numbers() -> None:
    # The C parser pads short rows silently; they are found and reported all the same.
    table, problems = read_table(b"Unit,Email,Sex\nA1,a@x.id,F\nA1,b@x.id\n", filename="x.csv")
    assert table is None
    assert [str(p) for p in problems] == ["row 3: 2 fields where the header has 3 (separator ',')"]
    # Blank lines are skipped but counted, so problems point at the right line.
    table, problems = read_table(b"Unit,Email,Sex\nA1,a@x.id,F\n\n\nZ9,c@x.id,\n", filename="x.csv")
    assert table is not None
    assert not problems
    assert table.index.tolist() == [2, 5]
    res = validate_frame(table, ColumnMapping(unit="Unit", email="Email"), known_units={"A1"})
    assert [str(p) for p in res.problems] == ["row 5, column 'Unit': unknown unit 'Z9'"]


def test_xlsx_empty_rows_are_skipped_but_counted(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Unit", "Email"])
    ws.append(["A1", "a@x.id"])
    ws.append([None, None])
    ws.append(["A1", "a@x.id"])
    path = tmp_path / "l.xlsx"
    wb.save(path)
    res = load_frame(path, ColumnMapping(unit="Unit", email="Email"))
    assert [str(p) for p in res.problems] == ["row 4, column 'Email': e-mail address 'a@x.id' repeats row 2"]
