"""Date items are written as dates where the writers already write ``submitted_on`` as one (XLSX, SPSS,
Stata); times, date-times and calculations as their ISO text; nothing crashes on the new item types."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from questionnaires.model import Item, ItemType, Questionnaire, Section
from survey_app.domain import files as response_files
from survey_app.domain.load_scripts import load_plan
from tests.domain.test_load_scripts import FORMATS, needs_r, run_r, write_all


def _with_dates(questionnaire: Questionnaire) -> Questionnaire:
    section = Section(
        id="waktu",
        title={"id": "Waktu", "en": "Time"},
        items=(
            Item(id="visit", type=ItemType.DATE, label={"id": "Tanggal?", "en": "Date?"}),
            Item(id="at", type=ItemType.TIME, label={"id": "Jam?", "en": "Time?"}),
            Item(id="moment", type=ItemType.DATETIME, label={"id": "Kapan?", "en": "When?"}),
            Item(id="days", type=ItemType.CALCULATE, label={}, calculation="${visit} - date('2020-01-01')"),
        ),
    )
    return replace(questionnaire, sections=(*questionnaire.sections, section))


def _frame(responses: pd.DataFrame) -> pd.DataFrame:
    n = len(responses)
    return responses.assign(
        visit=(["2024-05-01", None] * n)[:n],
        at=(["14:30", None] * n)[:n],
        moment=(["2024-05-01T09:05", None] * n)[:n],
        days=(["1582", None] * n)[:n],
    )


def test_xlsx_writes_date_items_as_dates(
    tmp_path: Path, questionnaire: Questionnaire, responses: pd.DataFrame
) -> None:
    q = _with_dates(questionnaire)
    path = tmp_path / "r.xlsx"
    response_files.write_responses_xlsx(_frame(responses), q, path)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    header = [c.value for c in sheet[1]]
    row = [c.value for c in sheet[2]]
    cell = row[header.index("visit")]
    assert cell.date() == date(2024, 5, 1)
    assert row[header.index("at")] == "14:30"
    assert row[header.index("moment")] == "2024-05-01T09:05"
    assert row[header.index("days")] == "1582"


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_spss_and_stata_write_date_items_as_dates(
    tmp_path: Path, questionnaire: Questionnaire, responses: pd.DataFrame, fmt: str
) -> None:
    q = _with_dates(questionnaire)
    path = tmp_path / f"r.{fmt}"
    writer = response_files.write_responses_sav if fmt == "sav" else response_files.write_responses_dta
    writer(_frame(responses), q, path)
    data, _ = (pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta)(str(path))
    assert data["visit"].iloc[0] == date(2024, 5, 1)
    assert data["at"].iloc[0] == "14:30"
    kinds = {v.column: v.kind for v in load_plan(_frame(responses), q)}
    assert kinds["visit"] == "date"
    assert kinds["moment"] == "string"


def test_csv_keeps_iso_text(tmp_path: Path, questionnaire: Questionnaire, responses: pd.DataFrame) -> None:
    path = tmp_path / "r.csv"
    response_files.write_responses_csv(_frame(responses), _with_dates(questionnaire), path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert raw["visit"].tolist()[:2] == ["2024-05-01", ""]
    assert raw["moment"].tolist()[0] == "2024-05-01T09:05"


@needs_r
@pytest.mark.parametrize("fmt", FORMATS)
def test_shipped_r_scripts_read_date_items_as_dates(
    tmp_path: Path, questionnaire: Questionnaire, responses: pd.DataFrame, fmt: str
) -> None:
    q = _with_dates(questionnaire)
    frame = _frame(responses.assign(q_jenis=responses["q_jenis"].replace("", None)))
    write_all(tmp_path, frame, q)
    out = run_r(
        tmp_path,
        f"""
invisible(capture.output(source("{fmt}.R")))
cat(class(responses$visit), format(responses$visit[1]), as.character(responses$at[1]), "\\n")
""",
    )
    assert out.split() == ["Date", "2024-05-01", "14:30"]
