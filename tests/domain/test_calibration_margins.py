"""Margins files checked against a questionnaire: numeric totals for linear calibration only, the methods'
rules, every problem by row."""

from __future__ import annotations

import dataclasses

from questionnaires.model import Item, ItemType, Section
from scoring.examples import tiny_questionnaire
from survey_app.domain.calibration import _read, validate_margins


def _questionnaire():  # type: ignore[no-untyped-def]
    base = tiny_questionnaire()
    years = Item(id="masa_kerja", type=ItemType.INTEGER, label={"en": "Years of service"})
    comment = Item(id="saran", type=ItemType.TEXT, label={"en": "Suggestions"})
    extra = Section(id="s3", title={"en": "About you"}, items=(years, comment))
    return dataclasses.replace(base, sections=(*base.sections, extra))


def _check(text: str, method: str) -> list[str]:
    table, problems = _read(text.encode(), "m.csv")
    assert table is not None, problems
    _, problems = validate_margins(table, _questionnaire(), method)
    return [str(p) for p in problems]


def test_a_numeric_total_is_for_linear_calibration() -> None:
    good = "variable,level,total\nb1,y,30\nb1,n,70\nmasa_kerja,,1250.5\n(Intercept),,100\n"
    assert _check(good, "linear") == []
    table, _ = _read(good.encode(), "m.csv")
    assert table is not None
    margins, _ = validate_margins(table, _questionnaire(), "linear")
    assert margins.to_dict(orient="list") == {
        "variable": ["b1", "b1", "masa_kerja", "(Intercept)"],
        "level": ["y", "n", "", ""],
        "total": [30.0, 70.0, 1250.5, 100.0],
    }
    raked = _check(good, "rake")
    assert (
        "row 4, column 'variable': masa_kerja is numeric: a numeric total needs linear calibration" in raked
    )
    assert "row 5, column 'variable': (Intercept) is for linear calibration only" in raked


def test_every_problem_is_listed_by_row() -> None:
    bad = "variable;level;total\nb1;y;30\nb1;;70\nmasa_kerja;5;10\nsaran;;3\n;y;4\nb2;y;0\nb2;n;1.000\n"
    problems = _check(bad, "rake")
    assert "row 3, column 'level': empty: b1 is a choice question; give one row per answer option" in problems
    assert any(p.startswith("row 4, column 'level': masa_kerja is a numeric question") for p in problems)
    assert any(p.startswith("row 5, column 'variable': saran is a text question") for p in problems)
    assert "row 6, column 'variable': empty: name a questionnaire item" in problems
    assert any(p.startswith("row 7, column 'total': a level of the population with nobody") for p in problems)
    assert any(p.startswith("column 'level': b1: level(s) n missing from the margins") for p in problems)
    # In a ";" file "1.000" is a thousand (the Indonesian thousands separator): b1 and b2 disagree.
    assert any("add up to different population sizes (b1 30, b2 1000)" in p for p in problems)


def test_an_unreadable_file_says_why() -> None:
    table, problems = _read(b"variabel,tingkat,jumlah\nb1,y,3\n", "m.csv")
    assert table is None
    assert "missing column(s) variable, level, total" in str(problems[0])
    table, problems = _read("variable,level,total\n".encode("utf-16"), "m.csv")
    assert table is None
    assert "not UTF-8" in str(problems[0])
