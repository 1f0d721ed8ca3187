"""Calculations, dates and times, cascading selects, required messages and ``${}`` in labels: what the
validator refuses, what the XLSForm import keeps, and what the canonical JSON of older versions keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from questionnaires import validate_text
from questionnaires.bundled import questionnaire_paths
from questionnaires.expressions import compile_expression, satisfies_constraint
from questionnaires.loader import load_questionnaire
from questionnaires.model import ItemType, Questionnaire
from questionnaires.xlsform import ImportOptions, import_xlsform
from tests.questionnaires.xlsform_corpus import BY_NAME, write_workbook
from tests.respondent.features_form import FEATURES_YAML, features

HEAD = """\
id: demo
version: "1"
group: external
languages: [en]
title: Demo
scales:
  - id: city
    kind: nominal
    options:
      - {code: bogor, label: Bogor, attributes: {province: jb}}
      - {code: kuta, label: Kuta, attributes: {province: bl}}
sections:
  - id: s1
    title: One
    items:
      - {id: province, type: text, label: Province?}
"""


def _problems(items: str) -> list[str]:
    return [p.message for p in validate_text(HEAD + items, "demo.yaml")]


def test_the_features_questionnaire_is_valid_and_round_trips() -> None:
    q = features()
    assert [i.type for i in q.items if i.id in ("visit", "at", "moment", "days")] == [
        ItemType.DATE,
        ItemType.TIME,
        ItemType.DATETIME,
        ItemType.CALCULATE,
    ]
    assert Questionnaire.from_json(q.canonical_json()) == q
    assert "choice_filter" in q.canonical_json()
    assert validate_text(FEATURES_YAML) == []


@pytest.mark.parametrize("source", questionnaire_paths(), ids=lambda p: p.stem)
def test_bundled_canonical_json_has_none_of_the_new_fields(source: Path) -> None:
    text = load_questionnaire(source).canonical_json()
    for key in ("required_message", "calculation", "choice_filter", "attributes"):
        assert f'"{key}"' not in text


@pytest.mark.parametrize(
    ("items", "fragment"),
    [
        ("      - {id: c, type: calculate}\n", "a calculate item needs a 'calculation'"),
        (
            "      - {id: c, type: calculate, calculation: '1', required: true}\n",
            "a calculation is computed, never asked, and cannot be required",
        ),
        (
            "      - {id: c, type: text, label: C, calculation: '1'}\n",
            "only calculate items have a calculation",
        ),
        (
            "      - {id: c, type: calculate, calculation: 'today()'}\n",
            "today() in a calculation would store the day of answering",
        ),
        (
            "      - {id: c, type: text, label: C, required: false, required_message: Say it}\n",
            "required_message on an item that is not required",
        ),
        (
            "      - {id: c, type: text, label: C, choice_filter: 'province = ${province}'}\n",
            "only choice items have a choice_filter",
        ),
        (
            "      - {id: c, type: select_one, scale: city, label: C,\n"
            "         choice_filter: 'region = ${province}'}\n",
            "the options of scale 'city' have no column 'region' (they have: name, province)",
        ),
        (
            "      - {id: c, type: text, label: C, relevant: province = 'jb'}\n",
            "bare names are only meaningful in a choice_filter",
        ),
        ("      - {id: c, type: text, label: 'In ${provinse}?'}\n", "refers to unknown item ${provinse}"),
        (
            "      - {id: c, type: text, label: 'After ${d}?'}\n      - {id: d, type: text, label: D}\n",
            "shows ${d}, which comes later",
        ),
        ("      - {id: c, type: date, label: C, min: 1}\n", "only integer and decimal items have bounds"),
        (
            "      - {id: c, type: date, label: C, scoring: {dimension: d, indicator: i, direction: risk}}\n",
            "only select_one and number items can be scored",
        ),
    ],
)
def test_problems_of_the_new_keys(items: str, fragment: str) -> None:
    problems = _problems(items)
    assert any(fragment in p for p in problems), problems


def test_date_constraints_and_arithmetic() -> None:
    assert satisfies_constraint(". >= date('2020-01-01')", "2020-01-01", {})
    assert not satisfies_constraint(". >= date('2020-01-01')", "2019-12-31", {})
    assert satisfies_constraint(". < '17:00'", "09:30", {})
    assert compile_expression("${b} - ${a}").evaluate({"a": "2024-02-28", "b": "2024-03-01"}) == 2.0
    assert compile_expression("date(19000)").evaluate({}) == "2022-01-08"
    assert compile_expression("${a} = '2024-02-28'").evaluate({"a": "2024-02-28"}) is True
    # A bare name is a column of the choice being filtered.
    filtered = compile_expression("province = ${province} or name = 'other'")
    assert filtered.columns == frozenset({"province", "name"})
    assert filtered.evaluate({"province": "jb"}, None, {"province": "jb", "name": "bogor"}) is True
    assert filtered.evaluate({"province": "jb"}, None, {"province": "bl", "name": "kuta"}) is False


def test_import_keeps_the_filter_columns_and_the_required_messages(tmp_path: Path) -> None:
    result = import_xlsform(BY_NAME["cascading_select"].build(tmp_path))
    q = result.questionnaire
    assert q is not None, result.problems
    assert q.item("city").choice_filter == "province=${province}"
    city = q.scales["city"]
    assert [(o.code, dict(o.attributes)) for o in city.options] == [
        ("bogor", {"province": "jb"}),
        ("denpasar", {"province": "bl"}),
    ]
    # Columns read by a filter are the choices' own: not "not an XLSForm column".
    assert not [w for w in result.warnings if "province" in w.message or "city" in w.message]

    result = import_xlsform(BY_NAME["required_message"].build(tmp_path))
    q = result.questionnaire
    assert q is not None, result.problems
    assert dict(q.item("visited").required_message) == {"en": "Please answer.", "id": "Mohon dijawab."}
    assert not q.item("times").required_message


def test_import_of_a_filter_naming_a_column_the_choices_lack(tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "f.xlsx",
        [
            ["type", "name", "label", "choice_filter"],
            ["text", "province", "Province"],
            ["select_one city", "city", "City", "region=${province}"],
        ],
        [["list_name", "name", "label"], ["city", "bogor", "Bogor"]],
    )
    result = import_xlsform(path, ImportOptions(language="en"))
    assert result.questionnaire is None
    assert [str(p).split(": ", 1)[1] for p in result.problems] == [
        "survey!D3 (choice_filter): question 'city' (choice_filter): the options of list 'city' have no "
        "column 'region' (they have: name)"
    ]


def test_import_of_a_filter_over_an_attached_file(tmp_path: Path) -> None:
    """The attached CSV's columns that a choice_filter reads become the options' attributes, as the
    choices sheet's do."""
    path = write_workbook(
        tmp_path / "f.xlsx",
        [
            ["type", "name", "label", "choice_filter"],
            ["select_one province", "province", "Province"],
            ["select_one_from_file cities.csv", "city", "City", "province=${province}"],
        ],
        [["list_name", "name", "label"], ["province", "jb", "West Java"], ["province", "bl", "Bali"]],
    )
    cities = b"name,label,province\nbogor,Bogor,jb\nbandung,Bandung,jb\ndenpasar,Denpasar,bl\n"
    result = import_xlsform(path, ImportOptions(language="en", attachments={"cities.csv": cities}))
    q = result.questionnaire
    assert q is not None, result.problems
    assert q.item("city").choice_filter == "province=${province}"
    listed = q.scale_of(q.item("city"))
    assert listed is not None
    assert [(o.code, dict(o.attributes)) for o in listed.options] == [
        ("bogor", {"province": "jb"}),
        ("bandung", {"province": "jb"}),
        ("denpasar", {"province": "bl"}),
    ]


def test_import_of_calculations_and_dates(tmp_path: Path) -> None:
    result = import_xlsform(BY_NAME["calculate_and_dates"].build(tmp_path))
    q = result.questionnaire
    assert q is not None, result.problems
    assert q.item("days").type is ItemType.CALCULATE
    assert q.item("days").calculation == "int(${visit} - date('2020-01-01'))"
    assert not q.item("days").required
    assert q.item("moment").type is ItemType.DATETIME
    assert q.item("why").relevant == "${days} > 100"
