"""XLSForm import and export: a form built here with openpyxl imports, validates and round-trips."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from questionnaires import QuestionnaireInvalid, load_questionnaire_text
from questionnaires.bundled import load_bundled_questionnaire, questionnaire_paths
from questionnaires.model import Direction, ItemType, Missing, ScaleKind
from questionnaires.xlsform import export_xlsform, import_xlsform, load_xlsform, read_xlsform

SURVEY_HEADER = [
    "type",
    "name",
    "label::Bahasa Indonesia (id)",
    "label::English (en)",
    "hint::id",
    "hint::en",
    "required",
    "relevant",
    "constraint",
    "constraint_message::Bahasa Indonesia (id)",
    "constraint_message::English (en)",
    "appearance",
    "dimension",
    "indicator",
    "direction",
    "weight",
]


def survey_row(**cells: Any) -> list[Any]:
    names = [
        "type",
        "name",
        "label_id",
        "label_en",
        "hint_id",
        "hint_en",
        "required",
        "relevant",
        "constraint",
        "msg_id",
        "msg_en",
        "appearance",
        "dimension",
        "indicator",
        "direction",
        "weight",
    ]
    return [cells.get(n) for n in names]


SURVEY = [
    survey_row(type="note", name="intro", label_id="Selamat datang", label_en="Welcome"),
    survey_row(
        type="begin group",
        name="layanan",
        label_id="Layanan",
        label_en="Service",
        hint_en="About it",
        hint_id="Tentangnya",
    ),
    survey_row(
        type="select_one yn",
        name="diminta",
        label_id="Apakah petugas meminta imbalan?",
        label_en="Did an official ask for a payment?",
        required="yes",
        dimension="integritas_pelaksanaan_tugas",
        indicator="pemerasan",
        direction="risk",
    ),
    survey_row(
        type="select_multiple given",
        name="bentuk",
        label_id="Apa yang diminta?",
        label_en="What was asked for?",
        relevant="${diminta} = 'ya'",
        constraint="not(selected(., 'dk') and count-selected(.) > 1)",
        msg_id="'Tidak tahu' tidak dapat digabung",
        msg_en="'Don't know' cannot be combined",
    ),
    survey_row(
        type="integer",
        name="kali",
        label_id="Berapa kali?",
        label_en="How many times?",
        relevant="${diminta} = 'ya'",
        constraint=". >= 1 and . <= 50",
        required="yes",
    ),
    survey_row(type="end group"),
    survey_row(type="begin_group", name="pendapat", label_id="Pendapat", label_en="Opinion"),
    survey_row(
        type="select_one agree",
        name="adil",
        label_id="Petugas adil.",
        label_en="Officials are fair.",
        required="true",
        dimension="integritas_pelaksanaan_tugas",
        indicator="perlakuan_adil",
        direction="integrity",
        weight=2,
    ),
    survey_row(type="decimal", name="biaya", label_id="Biaya (juta Rp)", label_en="Cost (million Rp)"),
    survey_row(type="text", name="saran", label_id="Saran", label_en="Suggestions", appearance="multiline"),
    survey_row(type="end_group"),
]

CHOICES = [
    ["list_name", "name", "label::Bahasa Indonesia (id)", "label::English (en)", "value"],
    ["yn", "ya", "Ya", "Yes", 1],
    ["yn", "tidak", "Tidak", "No", 0],
    ["given", "uang", "Uang", "Money"],
    ["given", "barang", "Barang", "Goods"],
    ["agree", 1, "Tidak setuju", "Disagree", 1],
    ["agree", 2, "Netral", "Neutral", 2],
    ["agree", 3, "Setuju", "Agree", 3],
]


def build_form(
    path: Path,
    survey: list[list[Any]] | None = None,
    choices: list[list[Any]] | None = None,
    extra_sheet: bool = False,
    survey_header: list[str] | None = None,
) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "survey"
    sheet.append(survey_header or SURVEY_HEADER)
    for row in survey if survey is not None else SURVEY:
        sheet.append(row)
    choice_sheet = workbook.create_sheet("choices")
    for row in choices if choices is not None else CHOICES:
        choice_sheet.append(row)
    settings = workbook.create_sheet("settings")
    settings.append(["form_id", "version", "form_title", "default_language"])
    settings.append(["kobo-form", "2024-03", "Survei layanan", "Bahasa Indonesia (id)"])
    if extra_sheet:
        workbook.create_sheet("external_choices").append(["list_name", "name"])
    workbook.save(path)
    return path


def test_hand_built_xlsform_imports_with_the_expected_content(tmp_path: Path) -> None:
    q = load_xlsform(build_form(tmp_path / "form.xlsx"))
    assert (q.id, q.version, q.languages) == ("kobo-form", "2024-03", ("id", "en"))
    assert [s.id for s in q.sections] == ["section_1", "layanan", "pendapat"]
    assert q.sections[1].description == {"id": "Tentangnya", "en": "About it"}
    assert q.item("diminta").required is True
    assert q.item("bentuk").required is False  # XLSForm's default
    assert q.item("bentuk").type is ItemType.SELECT_MULTIPLE
    assert q.item("saran").type is ItemType.LONG_TEXT
    assert q.item("biaya").type is ItemType.DECIMAL
    assert q.item("intro").type is ItemType.NOTE
    scoring = q.item("adil").scoring
    assert scoring is not None
    assert (scoring.direction, scoring.weight) == (Direction.INTEGRITY, 2.0)
    assert q.item("bentuk").scoring is None
    assert q.item("bentuk").constraint_message["en"] == "'Don't know' cannot be combined"
    assert [o.code for o in q.scales["agree"].options] == ["1", "2", "3"]
    # Lists without a 'kind' column: ordinal when every option has a value.
    assert q.scales["agree"].kind is ScaleKind.ORDINAL
    assert q.scales["given"].kind is ScaleKind.NOMINAL
    assert [o.value for o in q.scales["agree"].options] == [1.0, 2.0, 3.0]
    assert q.title == {"id": "Survei layanan", "en": "Survei layanan"}


def test_round_trip_keeps_the_content_hash(tmp_path: Path) -> None:
    first = load_xlsform(build_form(tmp_path / "form.xlsx"))
    export_xlsform(first, tmp_path / "again.xlsx")
    second = load_xlsform(tmp_path / "again.xlsx")
    assert second == first
    assert second.content_hash == first.content_hash


def test_imported_yaml_is_readable_and_loads_to_the_same_questionnaire(tmp_path: Path) -> None:
    path = build_form(tmp_path / "form.xlsx")
    text, problems = read_xlsform(path)
    assert problems == []
    assert text is not None
    assert "Apakah petugas meminta imbalan?" in text  # unicode and text as written, not escaped
    assert ": {" not in text  # block style, no flow mappings
    keys = [line.split(":")[0] for line in text.splitlines() if line and not line.startswith(" ")]
    assert keys[:5] == ["kind", "id", "version", "group", "languages"]
    assert load_questionnaire_text(text) == load_xlsform(path)


@pytest.mark.parametrize("path", questionnaire_paths(), ids=lambda p: p.stem)
def test_bundled_instruments_round_trip_through_xlsform(path: Path, tmp_path: Path) -> None:
    original = load_bundled_questionnaire(path.stem)
    export_xlsform(original, tmp_path / "out.xlsx")
    again = load_xlsform(tmp_path / "out.xlsx")
    assert again.content_hash == original.content_hash
    dk = again.scales["setuju5"].options[-1]
    assert (dk.code, dk.missing) == ("dk", Missing.DONT_KNOW)


def problems_of(path: Path) -> list[str]:
    _, problems = read_xlsform(path)
    return [str(p) for p in problems]


def test_what_is_not_imported_is_reported_by_sheet_row_and_column(tmp_path: Path) -> None:
    survey = [
        *SURVEY[:2],
        survey_row(type="range", name="calc"),  # row 4: refused (not supported yet)
        survey_row(type="begin_group", name="inner", label_id="x", label_en="x"),  # row 5: nested
        survey_row(type="select_one yn", name="q", label_id="a", label_en="b", appearance="minimal"),  # row 6
        survey_row(type="select_one nolist", name="q2", label_id="a", label_en="b"),  # row 7
        survey_row(type="end_group"),
        survey_row(type="end_group"),
    ]
    header = [*SURVEY_HEADER, "media::image"]
    survey[2] = [*survey[2], "picture.png"]
    path = build_form(tmp_path / "bad.xlsx", survey=survey, survey_header=header, extra_sheet=True)
    result = import_xlsform(path)
    problems = [str(p) for p in result.problems]
    warnings = [str(p) for p in result.warnings]
    assert problems == [
        f"{path}:4:1: survey!A4 (type): 'range' is refused: range questions are not supported yet; import "
        "without the refused rows to keep the rest",
        f"{path}:7:1: survey!A7 (type): question 'q2': unknown list 'nolist' (lists on the choices sheet: "
        "agree, given, yn)",
    ]
    expected = [
        f"{path}:1:17: survey!Q1 (media::image): column 'media::image' is not imported: images are not shown",
        f"{path}:5:0: survey row 5: group 'inner' is inside group 'layanan': it becomes a page of its own",
        f"{path}:6:12: survey!L6 (appearance): appearance 'minimal' is not imported",
        f"{path}:0:0: sheet 'external_choices': sheet 'external_choices' is not an XLSForm sheet",
    ]
    for fragment in expected:
        assert any(m.startswith(fragment) for m in warnings), (fragment, warnings)
    with pytest.raises(QuestionnaireInvalid):
        load_xlsform(path)


def test_validator_problems_point_at_the_cell(tmp_path: Path) -> None:
    survey = [list(row) for row in SURVEY]
    survey[3][7] = "${kali} = 'ya'"  # row 5 (header is row 1): refers to a later item
    survey[8][1] = "diminta"  # row 10: duplicate name
    path = build_form(tmp_path / "bad.xlsx", survey=survey)
    messages = problems_of(path)
    assert any(
        m.startswith(f"{path}:5:8: survey!H5 (relevant): ") and "comes later" in m for m in messages
    ), messages
    assert any(m.startswith(f"{path}:10:2: survey!B10 (name): ") and "already used" in m for m in messages), (
        messages
    )


def test_missing_language_in_choices_is_reported_on_the_choice_row(tmp_path: Path) -> None:
    """As ODK does, a text missing in one language shows another's; the warning names the cell."""
    choices = [list(row) for row in CHOICES]
    choices[4][3] = None  # row 5: 'barang' without English
    result = import_xlsform(build_form(tmp_path / "bad.xlsx", choices=choices))
    assert result.questionnaire is not None, result.problems
    assert result.questionnaire.scales["given"].options[1].label == {"id": "Barang", "en": "Barang"}
    assert [str(w) for w in result.warnings if w.line == 5] == [
        f"{tmp_path / 'bad.xlsx'}:5:3: choices!C5 (label::Bahasa Indonesia (id)): no en text: the id text is "
        "shown in en too"
    ]


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_text("hello")
    (problem,) = read_xlsform(path)[1]
    assert "cannot read the workbook" in problem.message


def test_access_modes_round_trip_through_xlsform(tmp_path: Path) -> None:
    from dataclasses import replace

    from questionnaires.model import AccessMode, Group

    internal = replace(load_xlsform(build_form(tmp_path / "form.xlsx")), group=Group.INTERNAL, access=None)
    opened = replace(internal, access=(AccessMode.INVITATION, AccessMode.OPEN))
    assert opened.allows_open_access
    assert not internal.allows_open_access
    for questionnaire in (internal, opened):
        export_xlsform(questionnaire, tmp_path / "out.xlsx")
        again = load_xlsform(tmp_path / "out.xlsx")
        assert again == questionnaire
        assert again.content_hash == questionnaire.content_hash
