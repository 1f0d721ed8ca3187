"""Exports read back with pandas / openpyxl / pyreadstat equal what was written."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from questionnaires.model import ItemType, Questionnaire
from questionnaires.profile import Category, Dimension, ScoringProfile
from survey_app.domain import files as response_files
from survey_app.domain.results import files as result_files

LONG_ID = "berapa_kali_anda_diminta_imbalan_di_luar_ketentuan_resmi"  # as in conftest


def escaped(value: object) -> object:
    return response_files.escape_formula(value) if isinstance(value, str) else value


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns with None for every kind of missing, so frames compare cell by cell."""
    return frame.astype(object).where(frame.notna(), None)


# Formula injection ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+62 812", "'+62 812"),
        ("-", "'-"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("-3", "-3"),
        ("+4.5", "+4.5"),
        ("-1e3", "-1e3"),
        ("-9", "-9"),
        ("Biaya = 5", "Biaya = 5"),
        ("", ""),
    ],
)
def test_escape_formula(cell: str, expected: str) -> None:
    assert response_files.escape_formula(cell) == expected


# CSV --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bom", [False, True])
def test_csv_round_trip(
    tmp_path: Path, questionnaire: Questionnaire, responses: pd.DataFrame, bom: bool
) -> None:
    path = tmp_path / "responses.csv"
    response_files.write_responses_csv(responses, questionnaire, path, bom=bom)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == bom
    back = pd.read_csv(
        path,
        dtype=response_files.responses_csv_dtypes(questionnaire),
        encoding="utf-8-sig",
        keep_default_na=False,
        na_values=[""],
    )
    expected = responses.map(escaped)
    # CSV has no difference between an empty string and a missing value.
    expected = expected.replace("", None)
    assert list(back.columns) == list(responses.columns)
    pd.testing.assert_frame_equal(normalise(back), normalise(expected), check_dtype=False)
    assert back.loc[1, "saran"] == '\'=HYPERLINK("http://contoh.id","klik")'
    assert back.loc[2, "saran"] == "-3"
    assert back.loc[4, "unit"] == "'=Kecamatan jahat"
    assert back.loc[0, "unit"] == "Dinas Kependudukan – Loket Ñ"
    assert back["long"].dtype == "Int64"


def test_csv_to_text_stream_and_list_answers(questionnaire: Questionnaire, responses: pd.DataFrame) -> None:
    as_lists = responses.assign(q_jenis=[["uang", "barang"], None, ["dk"], ["lain-lain"], [], ["barang"]])
    buffer = io.StringIO()
    response_files.write_responses_csv(as_lists, questionnaire, buffer, bom=True)
    text = buffer.getvalue()
    assert text.startswith("\ufeffresponse_id,")
    back = pd.read_csv(io.StringIO(text[1:]), dtype=response_files.responses_csv_dtypes(questionnaire))
    assert back.loc[0, "q_jenis"] == "uang barang"
    assert pd.isna(back.loc[1, "q_jenis"])
    assert back.loc[3, "q_jenis"] == "lain-lain"


def test_bad_layouts_are_named(questionnaire: Questionnaire, responses: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"missing metadata column.*weight"):
        response_files.write_responses_csv(
            responses.drop(columns="weight"), questionnaire, tmp_path / "x.csv"
        )
    with pytest.raises(
        ValueError, match="'q_unknown' is neither a metadata column nor an item of questionnaire"
    ):
        response_files.write_responses_csv(responses.assign(q_unknown=1), questionnaire, tmp_path / "x.csv")
    bad = responses.copy()
    bad.loc[2, "q_lihat"] = "mungkin"
    with pytest.raises(
        ValueError, match=r"item 'q_lihat', response 'r-55d1': code 'mungkin' is not an option"
    ):
        response_files.write_responses_sav(bad, questionnaire, tmp_path / "x.sav")


# XLSX -------------------------------------------------------------------------------------------------------


def test_xlsx_round_trip_with_variables_and_values(
    tmp_path: Path, questionnaire: Questionnaire, responses: pd.DataFrame
) -> None:
    path = tmp_path / "responses.xlsx"
    response_files.write_responses_xlsx(responses, questionnaire, path)
    sheets = pd.read_excel(path, sheet_name=None, dtype=object)
    assert list(sheets) == ["data", "variables", "values"]
    data = sheets["data"]
    expected = responses.replace("", None).assign(  # a blank cell is a missing value
        submitted_on=pd.to_datetime(responses["submitted_on"]),
        open_access=responses["open_access"].astype(int),
    )
    pd.testing.assert_frame_equal(normalise(data), normalise(expected), check_dtype=False)

    workbook = openpyxl.load_workbook(path)
    cells = {c.value: c for row in workbook["data"].iter_rows() for c in row if isinstance(c.value, str)}
    formula = '=HYPERLINK("http://contoh.id","klik")'
    assert cells[formula].data_type == "s"  # a string, not a formula
    assert cells["=Kecamatan jahat"].data_type == "s"
    # Dates are date cells, whole numbers integers (not 312.0), flags 0/1.
    sheet = workbook["data"]
    header = [c.value for c in sheet[1]]
    first = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert first["submitted_on"].is_date
    assert first["submitted_on"].value == datetime(2024, 5, 1)
    assert first["submitted_on"].number_format == "yyyy-mm-dd"
    assert first["duration_seconds"].value == 312
    assert isinstance(first["duration_seconds"].value, int)
    assert isinstance(first["long"].value, int)
    assert first["open_access"].value == 0

    variables = sheets["variables"].set_index("variable")
    assert list(variables.index) == list(responses.columns)
    assert variables.loc["q_frek", "label_id"] == "Seberapa sering pungutan liar terjadi?"
    assert variables.loc["q_frek", "label_en"] == "How often?"
    assert variables.loc["q_jenis", "type"] == "select_multiple"
    assert variables.loc["q_jenis", "scale"] == "jenis"
    assert variables.loc["weight", "type"] == "metadata"
    values = sheets["values"]
    jenis = values[values["scale"] == "jenis"]
    assert jenis["code"].tolist() == ["uang", "barang", "lain-lain", "dk"]
    assert jenis["label_id"].tolist()[1] == "Barang (parsel, hadiah)"
    assert (
        values.loc[(values["scale"] == "frekuensi") & (values["code"] == "9"), "missing"].item()
        == "dont_know"
    )


# SPSS and Stata ---------------------------------------------------------------------------------------------


def restore(data: pd.DataFrame, variables: pd.DataFrame, questionnaire: Questionnaire) -> pd.DataFrame:
    """Rebuild the export layout from a .sav/.dta file and its variable mapping."""
    out: dict[str, list[object]] = {}
    for column, rows in variables.groupby("column", sort=False):
        if rows["option"].notna().any():
            codes = []
            for i in range(len(data)):
                flags = {r.option: data.loc[i, r.name] for r in rows.itertuples()}
                if all(pd.isna(v) for v in flags.values()):
                    codes.append(None)
                else:
                    codes.append(" ".join(code for code, v in flags.items() if v == 1))
            out[column] = codes
            continue
        (row,) = rows.itertuples()
        series = data[row.name]
        if column in [i.id for i in questionnaire.items] and row.storage == "numeric":
            item = questionnaire.item(column)
            if item.type is ItemType.SELECT_ONE:
                scale = questionnaire.scale_of(item)
                assert scale is not None
                code_of = {}
                for code, number in response_files.numeric_codes(scale).items():
                    code_of[number.number] = code_of[number.stata] = code
                series = series.map(
                    lambda v, c=code_of: None if pd.isna(v) else c[v if isinstance(v, str) else int(v)]
                )
            elif item.type is ItemType.INTEGER:
                series = series.astype(float)
        elif column == "open_access":
            series = series.map(lambda v: None if pd.isna(v) else bool(v))
        elif column == "submitted_on":
            series = series.map(lambda v: None if pd.isna(v) else v.isoformat())
        elif row.storage == "string":
            series = series.replace("", None)  # neither format has missing strings
        out[column] = list(series)
    return pd.DataFrame(out)


def with_missing_ranges(path: Path) -> dict[str, list[dict[str, float]]]:
    _, meta = pyreadstat.read_sav(str(path), user_missing=True, metadataonly=True)
    return dict(meta.missing_ranges)


def multi_in_scale_order(responses: pd.DataFrame, questionnaire: Questionnaire) -> pd.DataFrame:
    order = [o.code for o in questionnaire.scales["jenis"].options]
    chosen = responses["q_jenis"].map(
        lambda v: None if not isinstance(v, str) else " ".join(c for c in order if c in v.split())
    )
    return responses.assign(q_jenis=chosen, saran=responses["saran"].replace("", None))


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_labelled_round_trip(
    tmp_path: Path, questionnaire: Questionnaire, responses: pd.DataFrame, fmt: str
) -> None:
    path = tmp_path / f"responses.{fmt}"
    write = response_files.write_responses_sav if fmt == "sav" else response_files.write_responses_dta
    read = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    variables = write(responses, questionnaire, path, language="id")
    # user_missing=True: keep the code of "don't know" (9, -8, Stata's .a) instead of reading it as missing
    data, meta = read(str(path), user_missing=True)
    assert list(data.columns) == variables["name"].tolist()

    back = restore(data, variables, questionnaire)
    expected = multi_in_scale_order(responses, questionnaire)
    expected.loc[4, "q_jenis"] = ""  # answered, nothing chosen: every indicator 0
    pd.testing.assert_frame_equal(normalise(back), normalise(expected), check_dtype=False)

    keys = zip(variables["column"], variables["option"].fillna(""), strict=True)
    name = dict(zip(keys, variables["name"], strict=True))
    labels = meta.column_names_to_labels
    value_labels = meta.variable_value_labels
    dk = 9 if fmt == "sav" else "a"  # the "don't know" code of q_frek: 9 in SPSS, .a in Stata
    frek = name[("q_frek", "")]
    assert meta.readstat_variable_types[frek] == "double"
    assert value_labels[frek] == {
        1: "Tidak pernah",
        2: "Jarang",
        3: "Kadang-kadang",
        4: "Sering",
        dk: "Tidak tahu",
    }
    assert data[frek].tolist()[:3] == [1, 4, dk]
    assert labels[frek] == "Seberapa sering pungutan liar terjadi?"
    # Text codes get the documented numbers: the options' values (ya 0, tidak 1 here), "don't know" -8 / .a.
    lihat = name[("q_lihat", "")]
    dk_text = -8 if fmt == "sav" else "a"
    assert meta.readstat_variable_types[lihat] == "double"
    assert value_labels[lihat] == {0: "Ya", 1: "Tidak", dk_text: "Tidak tahu"}
    assert data[lihat].tolist()[:3] == [0, 1, dk_text]
    uang = name[("q_jenis", "uang")]
    assert value_labels[uang] == {0: "tidak dipilih", 1: "dipilih", dk_text: "Tidak tahu"}
    assert labels[uang] == "Apa yang diberikan?: Uang"
    # Response 3 answered "don't know" alone: whether money was given is unknown, not "not selected".
    assert data[uang].tolist()[:4] == [1, pytest.approx(np.nan, nan_ok=True), dk_text, 0]
    assert data[name[("q_jenis", "dk")]].tolist()[:4] == [0, pytest.approx(np.nan, nan_ok=True), 1, 0]
    assert value_labels[name[("q_jenis", "dk")]] == {0: "tidak dipilih", 1: "dipilih"}
    formats = meta.original_variable_types
    if fmt == "sav":
        assert with_missing_ranges(path)[lihat] == [{"lo": -8.0, "hi": -8.0}]
        assert with_missing_ranges(path)[uang] == [{"lo": -8.0, "hi": -8.0}]
        assert name[("q_jenis", "dk")] not in with_missing_ranges(path)
        assert formats[name[("long", "")]] == "F8.0"
        assert formats[name[("duration_seconds", "")]] == "F8.0"
        assert formats[name[("weight", "")]] == "F8.2"
        assert formats[lihat] == "F2.0"
        assert formats[name[("open_access", "")]] == "F1.0"
        assert formats[name[("submitted_on", "")]] == "DATE11"
    else:
        assert meta.missing_user_values[lihat] == ["a"]
        assert meta.readstat_variable_types[name[("long", "")]] == "int32"  # Stata long
        assert meta.readstat_variable_types[name[("duration_seconds", "")]] == "int32"
        assert formats[name[("submitted_on", "")]] == "%tdCCYY-NN-DD"
        assert path.read_bytes().startswith(b"<stata_dta><header><release>118</release>")
    assert name[("q_jenis", "lain-lain")] == "q_jenis__lain_lain"
    assert data.loc[0, name[("unit", "")]] == "Dinas Kependudukan – Loket Ñ"
    assert data.loc[5, name[("saran", "")]] == "@SUM(A1:A2)\ndan\tbaris baru"
    assert data.loc[0, name[("submitted_on", "")]] == date(2024, 5, 1)
    assert value_labels[name[("open_access", "")]] == {0: "tidak", 1: "ya"}

    long_name = name[(LONG_ID, "")]
    if fmt == "dta":
        assert long_name == LONG_ID[:28]  # labelled: 4 characters kept for the label-set name
        assert name[("long", "")] == "long_"  # a Stata reserved word
        assert len(labels[long_name]) == 80
        assert labels[long_name].endswith("…")
    else:
        assert long_name == LONG_ID
        assert name[("long", "")] == "long"
        assert labels[long_name].startswith("Dalam 12 bulan terakhir")
        assert len(labels[long_name]) > 80
        assert with_missing_ranges(path)[frek] == [{"lo": 9.0, "hi": 9.0}]
    renamed = variables.loc[variables["renamed"], "name"].tolist()
    assert "q_jenis__lain_lain" in renamed


def test_labels_in_english(tmp_path: Path, questionnaire: Questionnaire, responses: pd.DataFrame) -> None:
    path = tmp_path / "responses.sav"
    response_files.write_responses_sav(responses, questionnaire, path, language="en")
    _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
    assert meta.column_names_to_labels["q_lihat"] == "Did you see a bribe?"
    assert meta.variable_value_labels["q_jenis__uang"] == {0: "not selected", 1: "selected", -8: "Don't know"}
    assert meta.column_names_to_labels["weight"] == "Sampling weight"


def test_unique_names_ignore_case_and_respect_the_limit(
    questionnaire: Questionnaire, responses: pd.DataFrame
) -> None:
    content = response_files.labelled_data(responses, questionnaire, "dta")
    names = content.variables["name"]
    assert names.str.lower().is_unique
    used: set[str] = {"a" * 32}
    assert response_files._unique("A" * 32, used, 32) == "A" * 30 + "_2"


@given(st.text(min_size=1, max_size=80))
def test_sanitised_names_are_valid(raw: str) -> None:
    stata = response_files.stata_name(raw)
    assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,31}", stata)
    assert stata not in response_files.STATA_RESERVED
    spss = response_files.spss_name(raw)
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_.]*", spss)
    assert len(spss.encode()) <= 64
    assert not spss.endswith(("_", "."))
    assert spss.upper() not in response_files.SPSS_RESERVED


# Results ----------------------------------------------------------------------------------------------------


@pytest.fixture
def profile() -> ScoringProfile:
    return ScoringProfile(
        id="spi-2024",
        version="1",
        title={"id": "SPI 2024", "en": "SPI 2024"},
        group_weights={"internal": 0.45, "external": 0.45, "expert": 0.1},
        dimensions=(Dimension("transparansi", {"id": "Transparansi"}),),
        categories=(
            Category("rentan", {"id": "Rentan"}, 0, 73),
            Category("terjaga", {"id": "Terjaga"}, 73, 100),
        ),
        min_cell=5,
    )


@pytest.fixture
def results() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit": ["RSUD Kota", "Kecamatan Bogor Selatan", "=Unit jahat"],
            "index": [76.18, np.nan, 70.5],
            "ci_low": [74.02, np.nan, 68.25],
            "ci_high": [78.34, np.nan, 72.75],
            "category": ["Terjaga", None, "Rentan"],
            "n": [120, 3, 44],
            "suppressed": [False, True, False],
        }
    )


def test_results_csv_with_sidecar(
    tmp_path: Path, questionnaire: Questionnaire, profile: ScoringProfile, results: pd.DataFrame
) -> None:
    computed = datetime(2024, 6, 1, 9, 30, tzinfo=UTC)
    meta = result_files.ResultsMetadata.build(
        profile, [questionnaire], computed_at=computed, campaign="spi-2024-bogor"
    )
    csv_path, sidecar = result_files.write_results_csv(results, meta, tmp_path / "results.csv")
    assert sidecar == tmp_path / "results.metadata.json"
    back = pd.read_csv(csv_path, dtype={"unit": "string", "category": "string"})
    expected = results.assign(unit=results["unit"].map(escaped))
    pd.testing.assert_frame_equal(normalise(back), normalise(expected), check_dtype=False)
    stored = json.loads(sidecar.read_text(encoding="utf-8"))
    assert stored["profile"] == {"id": "spi-2024", "version": "1", "hash": profile.content_hash}
    assert stored["questionnaires"] == {"external: spi-eksternal 2024.1": questionnaire.content_hash}
    assert stored["computed_at"] == "2024-06-01T09:30:00+00:00"
    assert stored["min_cell"] == 5
    assert result_files.ResultsMetadata.from_dict(stored) == meta

    archive = zipfile.ZipFile(io.BytesIO(result_files.results_csv_zip(results, meta, bom=True)))
    assert sorted(archive.namelist()) == ["results.csv", "results.metadata.json"]
    assert archive.read("results.csv").startswith("\ufeffunit,".encode())
    assert result_files.results_csv_zip(results, meta) == result_files.results_csv_zip(results, meta)


def test_results_xlsx(
    tmp_path: Path, questionnaire: Questionnaire, profile: ScoringProfile, results: pd.DataFrame
) -> None:
    meta = result_files.ResultsMetadata.build(
        profile, [questionnaire], computed_at=datetime(2024, 6, 1, tzinfo=UTC)
    )
    path = tmp_path / "results.xlsx"
    result_files.write_results_xlsx(results.set_index("unit"), meta, path)
    sheets = pd.read_excel(path, sheet_name=None)
    back = sheets["results"].set_index("unit")
    pd.testing.assert_frame_equal(normalise(back), normalise(results.set_index("unit")), check_dtype=False)
    rows = dict(zip(sheets["metadata"]["key"], sheets["metadata"]["value"].astype(str), strict=True))
    assert rows["profile_hash"] == profile.content_hash
    assert rows["questionnaire: external: spi-eksternal 2024.1"] == questionnaire.content_hash
    assert rows["software_version"] == result_files.software_version()


def test_results_writers_refuse_unsuppressed_small_cells(
    tmp_path: Path, questionnaire: Questionnaire, profile: ScoringProfile, results: pd.DataFrame
) -> None:
    meta = result_files.ResultsMetadata.build(profile, [questionnaire])
    leaking = results.copy()
    leaking.loc[1, "index"] = 55.0
    with pytest.raises(ValueError, match=r"1 row\(s\) with n < 5 still show values"):
        result_files.write_results_csv(leaking, meta, tmp_path / "r.csv")
    with pytest.raises(ValueError, match="suppress them"):
        result_files.write_results_xlsx(leaking, meta, tmp_path / "r.xlsx")
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_long_text_and_missing_text_survive(
    tmp_path: Path, questionnaire: Questionnaire, responses: pd.DataFrame, fmt: str
) -> None:
    long_text = "Pungutan liar di loket — " + "é" * 3000  # beyond Stata's str2045: written as strL
    responses = responses.assign(saran=[long_text, None, None, "ok", None, None])
    path = tmp_path / f"responses.{fmt}"
    (response_files.write_responses_sav if fmt == "sav" else response_files.write_responses_dta)(
        responses, questionnaire, path
    )
    data, _ = (pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta)(str(path))
    assert data["saran"].tolist() == [long_text, "", "", "ok", "", ""]


def test_csv_writes_integers_as_integers_and_flags_as_0_1(
    tmp_path: Path, questionnaire: Questionnaire, responses: pd.DataFrame
) -> None:
    path = tmp_path / "responses.csv"
    response_files.write_responses_csv(responses, questionnaire, path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    # duration_seconds and the integer item have a missing cell, which would make pandas write floats.
    assert raw["duration_seconds"].tolist() == ["312", "95", "604", "", "120", "333"]
    assert raw["long"].tolist() == ["3", "12", "", "1", "30", "0"]
    assert raw["open_access"].tolist() == ["0", "0", "1", "0", "1", "0"]
    assert raw["weight"].tolist()[:2] == ["1.5", "2.25"]
    with pytest.raises(ValueError, match=r"item 'long': 2\.5 is not a whole number"):
        response_files.write_responses_csv(responses.assign(long=2.5), questionnaire, tmp_path / "bad.csv")


def test_values_sheet_documents_the_numeric_codes(questionnaire: Questionnaire) -> None:
    values = response_files.values_table(questionnaire).set_index(["scale", "code"])
    assert values.loc[("frekuensi", "9"), "spss"] == 9
    assert values.loc[("frekuensi", "9"), "stata"] == ".a"
    assert values.loc[("ya_tidak", "ya"), "spss"] == 0  # the option's value
    assert values.loc[("ya_tidak", "dk"), "spss"] == -8
    assert values.loc[("ya_tidak", "dk"), "stata"] == ".a"
    assert values.loc[("jenis", "lain-lain"), "spss"] == 2


def test_numeric_codes_by_rule() -> None:
    from questionnaires.model import Missing, Option, Scale, ScaleKind

    def scale(*options: Option) -> dict[str, tuple[int, str]]:
        codes = response_files.numeric_codes(Scale("s", ScaleKind.NOMINAL, options))
        return {c: (n.number, n.stata_text) for c, n in codes.items()}

    dk, na = Missing.DONT_KNOW, Missing.NOT_APPLICABLE
    # Integer codes: kept, missing ones too in SPSS; Stata gets .a/.b.
    assert scale(
        Option("1", {}), Option("2", {}), Option("8", {}, missing=dk), Option("9", {}, missing=na)
    ) == {
        "1": (1, "1"),
        "2": (2, "2"),
        "8": (8, ".a"),
        "9": (9, ".b"),
    }
    # Integer substantive codes with a text "don't know": -8; a second one of a kind takes -10.
    assert scale(
        Option("1", {}),
        Option("dk", {}, missing=dk),
        Option("tt", {}, missing=na),
        Option("x", {}, missing=dk),
    ) == {"1": (1, "1"), "dk": (-8, ".a"), "tt": (-9, ".b"), "x": (-10, ".c")}
    # Values that are not distinct integers: positions.
    assert scale(Option("a", {}, 0.5), Option("b", {}, 1.0), Option("c", {})) == {
        "a": (1, "1"),
        "b": (2, "2"),
        "c": (3, "3"),
    }
    # -8 taken by a substantive option: "don't know" takes the next free number below -9.
    assert scale(Option("-8", {}), Option("x", {}, missing=dk))["x"] == (-10, ".a")


def test_results_csv_writes_counts_as_integers_and_flags_as_0_1(
    tmp_path: Path, questionnaire: Questionnaire, profile: ScoringProfile, results: pd.DataFrame
) -> None:
    meta = result_files.ResultsMetadata.build(profile, [questionnaire])
    table = results.assign(
        df=[11.0, np.nan, 43.0],
        n_below=[np.nan, 3.0, np.nan],
        category_uncertain=pd.Series([False, None, True], dtype=object),
    )
    csv_path, _ = result_files.write_results_csv(table, meta, tmp_path / "results.csv")
    raw = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    assert raw["n"].tolist() == ["120", "3", "44"]
    assert raw["df"].tolist() == ["11", "", "43"]
    assert raw["n_below"].tolist() == ["", "3", ""]
    assert raw["suppressed"].tolist() == ["0", "1", "0"]
    assert raw["category_uncertain"].tolist() == ["0", "", "1"]
    assert raw["index"].tolist() == ["76.18", "", "70.5"]
    zipped = zipfile.ZipFile(io.BytesIO(result_files.results_csv_zip(table, meta))).read("results.csv")
    assert zipped.decode() == csv_path.read_text(encoding="utf-8")
    path = tmp_path / "results.xlsx"
    result_files.write_results_xlsx(table, meta, path)
    sheet = openpyxl.load_workbook(path)["results"]
    header = [c.value for c in sheet[1]]
    first = dict(zip(header, (c.value for c in sheet[2]), strict=True))
    assert first["df"] == 11
    assert isinstance(first["df"], int)
    assert first["suppressed"] is False  # Excel's own true/false cell


def test_numeric_codes_of_the_bundled_scales_as_documented() -> None:
    from questionnaires.bundled import load_bundled_questionnaire

    scales = load_bundled_questionnaire("spi-external").scales

    def numbers(scale: str) -> dict[str, str]:
        return {
            c: f"{n.number} ({n.stata_text})" for c, n in response_files.numeric_codes(scales[scale]).items()
        }

    # The table in docs/exports.md, "Numeric codes".
    assert numbers("ya_tidak") == {"ya": "1 (1)", "tidak": "0 (0)", "dk": "-8 (.a)"}
    assert numbers("frekuensi5")["5"] == "5 (5)"
    assert numbers("frekuensi5")["dk"] == "-8 (.a)"
    assert numbers("kekerapan") == {
        "sekali": "1 (1)",
        "beberapa": "2 (2)",
        "sering": "3 (3)",
        "dk": "-8 (.a)",
    }
    assert numbers("jenis_pengguna") == {
        "perorangan": "1 (1)",
        "badan_usaha": "2 (2)",
        "penyedia": "3 (3)",
        "mitra": "4 (4)",
    }


def test_dta_labels_missing_codes_nobody_chose(
    tmp_path: Path, questionnaire: Questionnaire, responses: pd.DataFrame
) -> None:
    # No "don't know" in q_lihat: the column still carries the .a label, and Stata reads numbers.
    path = tmp_path / "responses.dta"
    response_files.write_responses_dta(responses.assign(q_lihat="ya"), questionnaire, path)
    data, meta = pyreadstat.read_dta(str(path), user_missing=True)
    assert data["q_lihat"].tolist() == [0] * 6
    assert meta.variable_value_labels["q_lihat"] == {0: "Ya", 1: "Tidak", "a": "Tidak tahu"}
