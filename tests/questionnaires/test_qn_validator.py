"""Each kind of problem is reported at its exact line and column, and all of them at once."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from questionnaires import (
    Problem,
    QuestionnaireInvalid,
    load_profile_text,
    load_questionnaire,
    load_questionnaire_text,
    validate_file,
    validate_text,
)
from questionnaires.bundled import load_bundled_profile
from questionnaires.model import Direction, ItemType, Missing, ScaleKind

VALID = textwrap.dedent(
    """\
    id: demo
    version: "1"
    group: external
    languages: [id, en]
    title: {id: Survei contoh, en: Example survey}
    scales:
      - id: yn
        kind: nominal
        dont_know: true
        options:
          - {code: ya, value: 1, label: {id: Ya, en: "Yes"}}
          - {code: tidak, value: 0, label: {id: Tidak, en: "No"}}
      - id: agree
        dont_know: true
        options:
          - {code: "1", label: {id: Tidak setuju, en: Disagree}}
          - {code: "2", label: {id: Netral, en: Neutral}}
          - {code: "3", label: {id: Setuju, en: Agree}}
    sections:
      - id: s1
        title: {id: Satu, en: One}
        items:
          - id: q1
            type: select_one
            scale: yn
            label: {id: Pertanyaan satu, en: Question one}
            scoring: {dimension: transparansi, indicator: info, direction: risk}
          - id: q2
            type: integer
            label: {id: "Berapa kali?", en: "How many times?"}
            relevant: ${q1} = 'ya'
            min: 0
            max: 100
            constraint: . <= 50
            constraint_message: {id: Terlalu banyak, en: Too many}
      - id: s2
        title: {id: Dua, en: Two}
        items:
          - id: q3
            type: select_one agree
            label: {id: "Setuju?", en: "Agree?"}
            scoring: {dimension: transparansi, indicator: info, direction: integrity, weight: 2}
    """
)


def lines_of(text: str) -> list[str]:
    return text.splitlines()


def line_number(text: str, fragment: str, occurrence: int = 1) -> int:
    """The 1-based line holding the n-th occurrence of ``fragment``, so tests do not hard-code numbers."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if fragment in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{fragment!r} not in text")


def column_of(text: str, line: int, fragment: str) -> int:
    return text.splitlines()[line - 1].index(fragment) + 1


def edit(old: str, new: str, text: str = VALID) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def only(problems: list[Problem], needle: str) -> Problem:
    found = [p for p in problems if needle in p.message]
    assert len(found) == 1, problems
    return found[0]


def test_valid_file_loads_into_the_model() -> None:
    assert validate_text(VALID, "demo.yaml") == []
    q = load_questionnaire_text(VALID, "demo.yaml")
    assert [i.id for i in q.items] == ["q1", "q2", "q3"]
    assert q.item("q3").type is ItemType.SELECT_ONE
    assert q.item("q3").scale == "agree"
    agree = q.scales["agree"]
    assert agree.kind is ScaleKind.ORDINAL
    assert [o.value for o in agree.options] == [1.0, 2.0, 3.0, None]
    assert agree.options[-1].missing is Missing.DONT_KNOW
    assert agree.options[-1].code == "dk"
    assert all(isinstance(o.value, float) for o in q.scales["yn"].scored_options)
    assert q.item("q1").scoring is not None
    assert q.item("q1").scoring.direction is Direction.RISK
    assert q.item("q3").scoring is not None
    assert q.item("q3").scoring.weight == 2.0
    assert q.item("q2").minimum == 0.0
    assert q.item("q2").maximum == 100.0
    assert q.item("q2").required
    assert dict(q.special_codes) == {"dont_know": "dk", "not_applicable": "na"}


def test_problem_string_and_exception_list_every_problem() -> None:
    text = edit("scale: yn", "scale: nope")
    text = edit("type: integer", "type: integr", text)
    with pytest.raises(QuestionnaireInvalid) as caught:
        load_questionnaire_text(text, "q.yaml")
    problems = caught.value.problems
    assert len(problems) == 2
    assert str(caught.value).splitlines() == [str(p) for p in problems]
    assert str(problems[0]).startswith(f"q.yaml:{line_number(text, 'scale: nope')}:")


@pytest.mark.parametrize(
    ("old", "new", "needle", "marker"),
    [
        ("id: q2\n", "id: q1\n", "item id 'q1' is already used", "id: q1"),
        ("id: s2\n", "id: s1\n", "section id 's1' is already used", "id: s1"),
        ("id: s2\n", "id: q1\n", "section id 'q1' is already used", "id: q1"),
        ("- id: agree\n", "- id: yn\n", "duplicate scale id", "- id: yn"),
        ('{code: "2"', '{code: "1"', "duplicate option code", '{code: "1", label: {id: Netral'),
        ("scale: yn", "scale: yes_no", "unknown scale 'yes_no'", "scale: yes_no"),
        ("type: select_one agree", "type: select_one agre", "unknown scale 'agre'", "type: select_one agre"),
        (
            "label: {id: Pertanyaan satu, en: Question one}",
            "label: {id: Pertanyaan satu}",
            "missing the 'en'",
            "label: {id: Pertanyaan satu}",
        ),
        ('en: "Agree?"}', 'en: "Agree?", fr: "D accord?"}', "language 'fr'", "fr: "),
        ("type: integer", "type: integr", "unknown item type 'integr'", "type: integr"),
        ("min: 0", "min: zero", "expected a number, got the text 'zero'", "min: zero"),
        ("min: 0", "mni: 0", "unknown key 'mni'; did you mean 'min'?", "mni: 0"),
        (
            "kind: nominal",
            "kind: nominal\n    dont_know: maybe",
            "expected true or false",
            "dont_know: maybe",
        ),
        ("group: external", "group: public", "not a respondent group", "group: public"),
        ("languages: [id, en]", "languages: id", "expected a list", "languages: id"),
        ("max: 100", "max: -1", "max (-1) is below min (0)", "max: -1"),
        ("constraint: . <= 50", "constraint: . <= 50.5\n        minn: 1", "unknown key 'minn'", "minn: 1"),
        ("direction: risk}", "direction: up}", "expected integrity or risk, got 'up'", "direction: up"),
        ("relevant: ${q1} = 'ya'", "relevant: ${q3} = 'ya'", "which comes later", "relevant: ${q3}"),
        ("relevant: ${q1} = 'ya'", "relevant: ${q9} = 'ya'", "unknown item ${q9}", "relevant: ${q9}"),
        ("relevant: ${q1} = 'ya'", "relevant: ${q2} = 'ya'", "which comes later", "relevant: ${q2}"),
        (
            "relevant: ${q1} = 'ya'",
            "relevant: selected(${q1}, 'maybe')",
            "has no option 'maybe'",
            "relevant: selected",
        ),
        ("relevant: ${q1} = 'ya'", "relevant: . = 'ya'", "only meaningful in a constraint", "relevant: . ="),
        ("    items:\n      - id: q3", "    relevant: ${q2} > 1\n    items:\n      - id: q3", "", ""),
    ],
)
def test_each_problem_is_reported_at_its_line(old: str, new: str, needle: str, marker: str) -> None:
    text = edit(old, new)
    problems = validate_text(text, "q.yaml")
    if not needle:  # an edit that must stay valid (section relevance on an earlier section's item)
        assert problems == []
        return
    problem = only(problems, needle)
    # The marker's last occurrence: for duplicates, the second definition is the one reported.
    expected_line = max(n for n, line in enumerate(lines_of(text), start=1) if marker in line)
    assert (problem.file, problem.line) == ("q.yaml", expected_line), problem
    start = column_of(text, expected_line, marker)
    assert start <= problem.column <= start + len(marker), problem


def test_expression_syntax_error_points_into_the_expression() -> None:
    text = edit("relevant: ${q1} = 'ya'", "relevant: ${q1} = = 'ya'")
    problem = only(validate_text(text, "q.yaml"), "unexpected")
    line = line_number(text, "relevant: ${q1} = =")
    assert problem.line == line
    # The column of the second '=' inside the line, not just the start of the value.
    assert problem.column == lines_of(text)[line - 1].index("= =") + 3


def test_unknown_function_is_named() -> None:
    text = edit("constraint: . <= 50", "constraint: pulldata('prices', .)")
    problem = only(validate_text(text, "q.yaml"), "unknown function 'pulldata()'")
    assert problem.line == line_number(text, "constraint: pulldata")
    assert problem.column == column_of(text, problem.line, "pulldata")


def test_empty_section_and_missing_required_keys() -> None:
    text = VALID[: VALID.index("    items:\n      - id: q3")] + "    items: []\n"
    problems = validate_text(text, "q.yaml")
    assert only(problems, "the section is empty").line == line_number(text, "items: []")
    text = edit("  - id: s2\n    title: {id: Dua, en: Two}\n", "  - id: s2\n")
    problem = only(validate_text(text, "q.yaml"), "missing required key 'title'")
    assert problem.line == line_number(text, "- id: s2")


def test_clashing_dont_know_code() -> None:
    text = edit('{code: "3", label', "{code: dk, label")
    problem = only(validate_text(text, "q.yaml"), "clashes with the option")
    assert problem.line == line_number(text, "dont_know: true", 2)


def test_duplicate_yaml_key() -> None:
    text = edit('version: "1"', 'version: "1"\nversion: "2"')
    problem = only(validate_text(text, "q.yaml"), "duplicate key 'version'")
    assert (problem.line, problem.column) == (3, 1)


def test_yaml_syntax_error_has_its_position() -> None:
    text = edit(
        "title: {id: Survei contoh, en: Example survey}", "title: {id: Survei contoh, en: Example survey"
    )
    (problem,) = validate_text(text, "q.yaml")
    assert problem.message.startswith("YAML syntax error")
    assert problem.line >= line_number(text, "title: {id: Survei")


def test_many_problems_reported_together_in_order() -> None:
    text = edit("scale: yn", "scale: nope")
    text = edit("min: 0", "min: zero", text)
    text = edit("id: s2\n", "id: s1\n", text)
    text = edit("direction: risk}", "direction: up}", text)
    problems = validate_text(text, "q.yaml")
    assert len(problems) == 4
    assert problems == sorted(problems, key=lambda p: (p.line, p.column))


def test_profile_dimension_check(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(
        edit(
            "dimension: transparansi, indicator: info, direction: risk",
            "dimension: transparency, indicator: info, direction: risk",
        )
    )
    assert validate_file(path) == []
    problems = validate_file(path, profile=load_bundled_profile("spi-2024"))
    problem = only(problems, "'transparency' is not a dimension of profile 'spi-2024'")
    assert problem.line == line_number(path.read_text(), "dimension: transparency")
    with pytest.raises(QuestionnaireInvalid):
        load_questionnaire(path, profile=load_bundled_profile("spi-2024"))


def test_validate_file_never_raises_on_unreadable_or_odd_files(tmp_path: Path) -> None:
    missing = validate_file(tmp_path / "nope.yaml")
    assert len(missing) == 1
    assert "cannot read" in missing[0].message
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert "not UTF-8" in validate_file(binary)[0].message
    empty = tmp_path / "e.yaml"
    empty.write_text("")
    assert validate_file(empty)[0].message == "the file is empty"
    scalar = tmp_path / "s.yaml"
    scalar.write_text("just text\n")
    assert "cannot tell" in validate_file(scalar)[0].message


def test_kind_decides_between_questionnaire_and_profile() -> None:
    problems = validate_text("kind: profile\nid: x\nsections: []\n", "p.yaml")
    assert any("unknown key 'sections'" in p.message for p in problems)


PROFILE = textwrap.dedent(
    """\
    kind: profile
    id: p
    version: "1"
    title: {id: Profil, en: Profile}
    group_weights: {internal: 0.5, external: 0.5}
    dimensions:
      - {id: transparansi, label: {id: Transparansi, en: Transparency}, weight: 2}
    categories:
      - {id: low, label: {id: Rendah, en: Low}, lower: 0, upper: 50}
      - {id: high, label: {id: Tinggi, en: High}, lower: 50, upper: 100}
    corrections:
      - {id: cases, label: {id: Kasus, en: Cases}, points_per_case: 2, max_points: 10}
    min_cell: 5
    """
)


def test_profile_loads() -> None:
    profile = load_profile_text(PROFILE)
    assert profile.dimension("transparansi").weight == 2.0
    assert profile.category_of(50).id == "high"  # type: ignore[union-attr]
    assert profile.corrections[0].max_points == 10


@pytest.mark.parametrize(
    ("old", "new", "needle", "marker"),
    [
        ("external: 0.5}", "external: 0.4}", "add up to 0.9, not 1", "group_weights"),
        ("external: 0.5}", "public: 0.5}", "unknown key 'public'", "group_weights"),
        ("lower: 50, upper: 100", "lower: 55, upper: 100", "starts at 55", "id: high"),
        ("lower: 50, upper: 100", "lower: 50, upper: 90", "must end at 100", "id: high"),
        (
            "{id: high, label: {id: Tinggi, en: High}",
            "{id: low, label: {id: Tinggi, en: High}",
            "duplicate id 'low'",
            "Tinggi",
        ),
        ("min_cell: 5", "min_cell: 2.5", "expected a whole number", "min_cell"),
        ("points_per_case: 2", "points_per_case: -2", "must be greater than 0", "points_per_case"),
        (
            "label: {id: Kasus, en: Cases}",
            "label: {id: Kasus}",
            "missing the 'en' text",
            "label: {id: Kasus}",
        ),
    ],
)
def test_profile_problems_have_their_line(old: str, new: str, needle: str, marker: str) -> None:
    text = edit(old, new, PROFILE)
    problem = only(validate_text(text, "p.yaml"), needle)
    assert problem.line == line_number(text, marker)


def test_access_modes_default_by_group_and_a_default_declaration_keeps_the_hash() -> None:
    from questionnaires.model import AccessMode

    external = load_questionnaire_text(VALID)
    assert external.access_modes == (AccessMode.INVITATION, AccessMode.OPEN)
    declared = load_questionnaire_text(
        VALID.replace("group: external\n", "group: external\naccess: [open, invitation]\n")
    )
    assert declared.content_hash == external.content_hash
    internal = load_questionnaire_text(VALID.replace("group: external", "group: internal"))
    assert not internal.allows_open_access
    opened = load_questionnaire_text(
        VALID.replace("group: external\n", "group: internal\naccess: [invitation, open]\n")
    )
    assert opened.allows_open_access
    assert opened.content_hash != internal.content_hash
    assert type(opened).from_json(opened.canonical_json()) == opened


@pytest.mark.parametrize(
    ("access", "needle"),
    [
        ("[invitation, walk-in]", "access: 'walk-in' is not an access mode"),
        ("[open]", "access: list invitation as well"),
        ("[]", "access: declare at least [invitation]"),
        ("[invitation, invitation]", "access: 'invitation' is listed twice"),
    ],
)
def test_bad_access_declarations_are_reported(access: str, needle: str) -> None:
    with pytest.raises(QuestionnaireInvalid) as caught:
        load_questionnaire_text(VALID.replace("group: external\n", f"group: external\naccess: {access}\n"))
    assert needle in str(caught.value)


def test_profile_recommendations_load_in_every_language_and_keep_the_hash_without() -> None:
    """Issue 17: a dimension's recommendation (the report's high-risk sections), checked like every text;
    a profile without any hashes as before the key existed."""
    plain = load_profile_text(PROFILE)
    with_text = PROFILE.replace(
        "weight: 2}", "weight: 2, recommendation: {id: Umumkan anggaran., en: Publish the budget.}}"
    )
    profile = load_profile_text(with_text)
    assert dict(profile.dimension("transparansi").recommendation) == {
        "id": "Umumkan anggaran.",
        "en": "Publish the budget.",
    }
    assert "recommendation" not in plain.to_dict()["dimensions"][0]
    assert profile.content_hash != plain.content_hash
    one_language = PROFILE.replace("weight: 2}", "weight: 2, recommendation: {id: Umumkan anggaran.}}")
    problem = only(validate_text(one_language, "p.yaml"), "recommendation: missing the 'en' text")
    assert problem.line == line_number(one_language, "recommendation")
    # Stored campaigns keep their profile as JSON; read back, a recommendation survives.
    from questionnaires.profile import ScoringProfile

    assert ScoringProfile.from_dict(profile.to_dict()).content_hash == profile.content_hash
