"""What the XLSForm import used to change silently, and its messages: each test here failed before.

Silent changes: a bare ``label`` beside ``label::Indonesian (id)`` lost its language; of two ``label`` columns
the left one was dropped; a form without language suffixes was declared Bahasa Indonesia; unknown ``${…}`` in
labels was accepted; choices without labels were accepted; cells on ``end_group`` rows and in columns without
a header were ignored; export → import failed for languages other than exactly id and en. Messages: someone
else's ``indicator`` column read as ours, ``or_other`` misreported, follow-on "unknown" errors, YAML words,
``end_group`` problems at the wrong row, sheets interleaved, repeated problems not collapsed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from questionnaires.loader import load_questionnaire_text
from questionnaires.model import Group, Item, ItemType, Questionnaire, Section
from questionnaires.xlsform import ImportOptions, XLSFormImport, export_xlsform, import_xlsform, to_yaml
from questionnaires.xlsform.document import questionnaire_document
from tests.questionnaires.xlsform_corpus import BY_NAME, write_workbook

YN = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]


def _import(
    tmp_path: Path,
    survey: Sequence[Sequence[Any]],
    choices: Sequence[Sequence[Any]] = (),
    settings: Sequence[Sequence[Any]] = (),
    **options: Any,
) -> XLSFormImport:
    path = write_workbook(tmp_path / "form.xlsx", survey, choices, settings)
    return import_xlsform(path, ImportOptions(**options))


def _messages(result: XLSFormImport) -> list[str]:
    return [p.message for p in result.problems]


def _warnings(result: XLSFormImport) -> list[str]:
    return [p.message for p in result.warnings]


# Silent changes ---------------------------------------------------------------------------------------------


def test_a_bare_label_beside_an_indonesian_one_keeps_its_language(tmp_path: Path) -> None:
    form = BY_NAME["bare_label_beside_indonesian"]
    result = import_xlsform(form.build(tmp_path))
    q = result.questionnaire
    assert q is not None, result.problems
    assert q.languages == ("en", "id")
    assert q.item("asked").label == {
        "en": "Were you asked for a payment?",
        "id": "Apakah Anda dimintai uang?",
    }
    assert q.scales["yn"].options[0].label == {"en": "Yes", "id": "Ya"}


def test_a_bare_label_beside_another_language_without_a_default_is_asked_for(tmp_path: Path) -> None:
    survey = [["type", "name", "label", "label::Indonesian (id)"], ["text", "q", "Question", "Pertanyaan"]]
    result = _import(tmp_path, survey)
    assert result.questionnaire is None
    assert any(
        "do not say which language" in m and "beside the columns in id" in m for m in _messages(result)
    )
    chosen = _import(tmp_path, survey, language="en")
    assert chosen.questionnaire is not None
    assert chosen.questionnaire.item("q").label == {"en": "Question", "id": "Pertanyaan"}


def test_two_columns_headed_label_are_refused_not_one_dropped(tmp_path: Path) -> None:
    survey = [["type", "name", "label", "hint", "label"], ["text", "q", "Left", None, "Right"]]
    result = _import(tmp_path, survey, language="en")
    assert result.questionnaire is None
    assert [str(p).split(": ", 1)[1] for p in result.problems] == [
        "survey!E1 (label): a second column headed 'label' (the first is column C); pyxform refuses such a "
        "form: delete or rename one"
    ]


def test_a_form_without_language_suffixes_is_in_the_language_given(tmp_path: Path) -> None:
    survey = [["type", "name", "label"], ["text", "q", "What would you change?"]]
    unknown = _import(tmp_path, survey)
    assert unknown.questionnaire is None  # not silently declared Bahasa Indonesia
    english = _import(tmp_path, survey, language="en")
    assert english.questionnaire is not None
    assert english.questionnaire.languages == ("en",)
    assert english.questionnaire.item("q").label == {"en": "What would you change?"}
    from_settings = _import(tmp_path, survey, settings=[["default_language"], ["English"]])
    assert from_settings.questionnaire is not None
    assert from_settings.questionnaire.languages == ("en",)


def test_unknown_references_in_labels_are_errors(tmp_path: Path) -> None:
    survey = [
        ["type", "name", "label::English (en)", "hint::English (en)"],
        ["integer", "visits", "How many visits?"],
        ["text", "why", "Why ${visit} times?", "You said ${visits}"],
    ]
    result = _import(tmp_path, survey)
    assert result.questionnaire is None
    assert [str(p).split(": ", 1)[1] for p in result.problems] == [
        "survey!C3 (label::English (en)): question 'why' (label): refers to unknown question ${visit}; "
        "did you mean ${visits}?"
    ]
    # A known name is inserted when the page is shown (survey_app/respondent/display.py): no warning.
    assert not any("${visits}" in w for w in _warnings(result))


def test_a_choice_without_a_label_is_an_error(tmp_path: Path) -> None:
    survey = [["type", "name", "label"], ["select_one yn", "q", "Question"]]
    choices = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", None]]
    result = _import(tmp_path, survey, choices, language="en")
    assert result.questionnaire is None
    assert [str(p).split(": ", 1)[1] for p in result.problems] == [
        "choices!C3 (label): choice 'no' of list 'yn' has no label; every choice needs one (ODK Validate "
        "refuses a choice without)"
    ]


def test_cells_on_end_group_rows_and_without_header_are_reported(tmp_path: Path) -> None:
    survey = [
        ["type", "name", "label"],
        ["begin_group", "g", "Group"],
        ["text", "q", "Question", None, "stray note"],
        ["end_group", "g", "a label on an end_group row"],
    ]
    result = _import(tmp_path, survey, language="en")
    assert result.questionnaire is not None
    warnings = [str(p).split(": ", 1)[1] for p in result.warnings]
    assert "survey!E3: column E has values but no header; they are not imported" in warnings
    assert "survey!C4 (label): a cell on an end_group row is not imported" in warnings


def test_export_then_import_for_languages_other_than_id_and_en(tmp_path: Path) -> None:
    q = Questionnaire(
        id="fr-only",
        version="1",
        title={"fr": "Enquête"},
        group=Group.EXTERNAL,
        languages=("fr",),
        sections=(Section("s1", {"fr": "Partie"}, (Item("q", ItemType.TEXT, {"fr": "Pourquoi ?"}),)),),
        special_codes={"dont_know": "nsp", "not_applicable": "na"},
    )
    path = tmp_path / "fr.xlsx"
    export_xlsform(q, path)
    again = import_xlsform(path)
    assert again.questionnaire is not None, again.problems
    assert again.questionnaire.content_hash == q.content_hash
    # And through the YAML document that import-xlsform writes.
    assert load_questionnaire_text(to_yaml(questionnaire_document(q))).content_hash == q.content_hash


# Messages ---------------------------------------------------------------------------------------------------


def test_someone_elses_indicator_column_is_not_read_as_scoring(tmp_path: Path) -> None:
    survey = [["type", "name", "label", "indicator"]] + [
        ["select_one yn", f"q{n}", f"Question {n}", f"SDG 16.{n}"] for n in range(1, 30)
    ]
    result = _import(tmp_path, survey, YN, language="en")
    assert result.questionnaire is not None, result.problems
    assert all(i.scoring is None for i in result.questionnaire.items)
    assert (
        _warnings(result).count(
            "survey!D1 (indicator): column 'indicator' is not an XLSForm column this product reads; its "
            "content is not imported"
        )
        == 1
    )


def test_or_other_is_imported_as_pyxform_does(tmp_path: Path) -> None:
    result = import_xlsform(BY_NAME["or_other"].build(tmp_path))
    q = result.questionnaire
    assert q is not None, result.problems
    assert [o.code for o in q.scale_of(q.item("where")).options] == ["office", "online", "other"]  # type: ignore[union-attr]
    assert q.item("where_other").relevant == "selected(${where}, 'other')"


def test_a_rejected_question_is_reported_once_not_again_where_it_is_used(tmp_path: Path) -> None:
    survey = [
        ["type", "name", "label", "relevant"],
        ["slider", "q1", "Rate it"],
        ["text", "q2", "Why?", "${q1} > 3"],
        ["text", "q3", "And?", "${q1} > 4"],
    ]
    result = _import(tmp_path, survey, language="en")
    assert [str(p).split(": ", 1)[1].split(" (types read")[0] for p in result.problems] == [
        "survey!A2 (type): 'slider' is not an XLSForm question type"
    ]


def test_references_to_left_out_rows_name_the_cause(tmp_path: Path) -> None:
    survey = [
        ["type", "name", "label", "relevant"],
        ["geopoint", "where", "Where?"],
        ["text", "q", "Q", "${where} != ''"],
    ]
    refused = _import(tmp_path, survey, language="en")
    assert [p.message.split(":")[0] for p in refused.problems] == ["survey!A2 (type)"]  # the cause, once
    skipped = _import(tmp_path, survey, language="en", skip_refused=True)
    assert [str(p).split(": ", 1)[1] for p in skipped.problems] == [
        "survey!D3 (relevant): question 'q' (relevant): refers to ${where}, 'geopoint', which was left out "
        "(survey!A2 (type))"
    ]


def test_messages_use_xlsform_words_and_group_problems_point_at_their_rows(tmp_path: Path) -> None:
    survey = [
        ["type", "name", "label"],
        ["begin_group", "outer", "Outer"],  # row 2: never closed
        ["begin_group", "inner", "Inner"],
        ["text", "q", "Question"],
        ["end_group", "inner"],
        ["text", "r", "Another"],
    ]
    result = _import(tmp_path, survey, language="en")
    assert [str(p).split(": ", 1)[1] for p in result.problems] == [
        "survey!A2 (type): group 'outer' has no end_group"
    ]
    stray = _import(tmp_path, [["type", "name", "label"], ["text", "q", "Q"], ["end_group"]], language="en")
    assert [str(p).split(": ", 1)[1] for p in stray.problems] == [
        "survey!A3 (type): end_group without a matching begin_group"
    ]
    assert not any("missing required key" in m for m in _messages(result) + _messages(stray))


def test_messages_are_sorted_by_sheet_then_row(tmp_path: Path) -> None:
    survey = [["type", "name", "label"]] + [["text", f"q{n}", f"Q{n}"] for n in range(1, 12)]
    survey.append(["select_one nolist", "bad", "Bad"])  # survey row 13
    choices = [["list_name", "name", "label"], ["yn", "yes", None]]  # choices row 2
    result = _import(tmp_path, survey, choices, language="en")
    sheets = [p.message.split("!")[0] for p in result.problems]
    assert sheets == sorted(sheets, key=lambda s: {"survey": 0, "choices": 1}[s]), result.problems
    assert [p.line for p in result.problems] == [13, 2]


def test_repeated_problems_are_collapsed_and_respellings_suggested(tmp_path: Path) -> None:
    survey = [["type", "name", "label", "appearance"]] + [
        ["select one yn", f"q{n}", f"Q{n}", "minimal"] for n in range(1, 41)
    ]
    result = _import(
        tmp_path,
        survey,
        [["list name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]],
        language="en",
    )
    assert result.questionnaire is not None
    warnings = [str(p).split(": ", 1)[1] for p in result.warnings]
    appearance = [w for w in warnings if "appearance" in w]
    assert len(appearance) == 4
    assert appearance[-1] == "survey!D5 (appearance): … and 37 more rows like this"
    assert "survey!A2 (type): 'select one' read as 'select_one'" in warnings
    assert "choices!A1 (list name): read as 'list_name'; write 'list_name'" in warnings


def test_workbooks_exported_before_the_spi_prefix_still_import(tmp_path: Path) -> None:
    """The earlier export wrote bare `dimension`, `value`, `group`, `title::…`: read as ours, respelled."""
    survey = [
        [
            "type",
            "name",
            "label::English (en)",
            "required",
            "dimension",
            "indicator",
            "direction",
            "min",
            "max",
        ],
        ["begin_group", "s1", "Part"],
        ["select_one agree", "fair", "Fair?", "yes", "transparansi", "terbuka", "integrity"],
        ["integer", "n", "How many?", "yes", None, None, None, 0, 9],
        ["end_group", "s1"],
    ]
    choices = [
        ["list_name", "name", "label::English (en)", "value", "missing", "kind"],
        ["agree", "1", "No", 0, None, "ordinal"],
        ["agree", "2", "Yes", 1, None, "ordinal"],
        ["agree", "dk", "Don't know", None, "dont_know", "ordinal"],
    ]
    settings = [
        [
            "form_id",
            "version",
            "group",
            "access",
            "title::English (en)",
            "consent::English (en)",
            "dont_know_code",
        ],
        ["old-form", "3", "internal", "invitation", "Old form", "You may stop at any time.", "dk"],
    ]
    result = _import(tmp_path, survey, choices, settings)
    q = result.questionnaire
    assert q is not None, result.problems
    assert q.group.value == "internal"
    assert q.title == {"en": "Old form"}
    assert q.consent == {"en": "You may stop at any time."}
    assert q.item("fair").scoring is not None
    assert q.item("fair").scoring.dimension == "transparansi"
    assert (q.item("n").minimum, q.item("n").maximum) == (0, 9)
    assert [o.value for o in q.scales["agree"].options] == [0, 1, None]
    assert "survey!E1 (dimension): read as 'spi_dimension'; write 'spi_dimension'" in [
        str(w).split(": ", 1)[1] for w in result.warnings
    ]


def test_a_misspelt_type_gets_a_suggestion_and_no_follow_on(tmp_path: Path) -> None:
    survey = [["type", "name", "label"], ["interger", "n", "How many?"]]
    result = _import(tmp_path, survey, language="en")
    assert [p.message.split(" (types read")[0] for p in result.problems] == [
        "survey!A2 (type): 'interger' is not an XLSForm question type; did you mean 'integer'?"
    ]
