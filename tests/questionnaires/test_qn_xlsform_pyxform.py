"""The corpus of XLSForm workbooks against pyxform, the reference converter, and ODK Validate.

For every corpus form pyxform accepts, the import succeeds (with the expected warnings, or after leaving out
the refused rows) and asks the same questions, with the same names, types, choices, relevance, constraints
and required flags, as pyxform's JSON. Every bundled instrument and every corpus form exported again
converts with pyxform 4 and 3.0 without errors or warnings and passes ODK Validate, and comes back with the
same content hash.
"""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path

import pytest

from questionnaires.bundled import questionnaire_paths
from questionnaires.loader import load_questionnaire
from questionnaires.model import Questionnaire
from questionnaires.xlsform import ImportOptions, export_xlsform, import_xlsform
from tests.questionnaires import pyxform_reference as ref
from tests.questionnaires.xlsform_corpus import FORMS, Form

CONVERTERS = {"pyxform4": ref.pyxform4, "pyxform3": ref.pyxform3}


def _options(form: Form, skip_refused: bool = False) -> ImportOptions:
    return ImportOptions(attachments=form.attachments, skip_refused=skip_refused, **form.options)


def _imported(form: Form, folder: Path) -> Questionnaire:
    result = import_xlsform(form.build(folder), _options(form, skip_refused=bool(form.refused)))
    assert result.questionnaire is not None, [str(p) for p in result.problems]
    return result.questionnaire


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_corpus_form_imports_as_pyxform_reads_it(form: Form, tmp_path: Path) -> None:
    ref.pyxform4()
    path = form.build(tmp_path)
    reference = ref.pyxform_json(path)  # raises if pyxform refuses the form: every corpus form is valid
    first = import_xlsform(path, _options(form))
    if form.refused:
        assert first.questionnaire is None
        assert first.only_refused, [str(p) for p in first.problems]
        for fragment in form.refused:
            assert any(fragment in p.message for p in first.problems), (fragment, first.problems)
    result = import_xlsform(path, _options(form, skip_refused=bool(form.refused)))
    assert result.questionnaire is not None, [str(p) for p in result.problems]
    warnings = [w.message for w in result.warnings]
    for fragment in form.warnings:
        assert any(fragment in w for w in warnings), (fragment, warnings)
    expected = ref.pyxform_questions(reference)
    if form.refused:
        left_out = {str(w.message) for w in result.warnings if "left out" in w.message}
        assert left_out, warnings
        kept = {q.name for q in ref.our_questions(result.questionnaire)}
        expected = [q for q in expected if q.name in kept]
        assert expected, "nothing of the refused form was kept"
    ours = ref.our_questions(result.questionnaire)
    by_name = {q.name: q for q in expected}
    # select_one_from_file: pyxform leaves the choices to the attached file; compare what it has.
    ours = [
        replace(q, choices=None) if by_name.get(q.name) and by_name[q.name].choices is None else q
        for q in ours
    ]
    assert ours == expected


def _check_conversion(converter_name: str, path: Path, validate: bool = True) -> None:
    converter = CONVERTERS[converter_name]()
    if validate:
        ref.require_java()
    report = ref.convert(converter, path, validate=validate)
    assert report["code"] == 100, (converter.label, report)
    assert report["warnings"] == [], (converter.label, report)


@pytest.mark.slow
@pytest.mark.parametrize("converter", sorted(CONVERTERS))
@pytest.mark.parametrize("source", questionnaire_paths(), ids=lambda p: p.stem)
def test_bundled_instrument_exports_convert_and_pass_odk_validate(
    source: Path, converter: str, tmp_path: Path
) -> None:
    questionnaire = load_questionnaire(source)
    path = tmp_path / f"{questionnaire.id}.xlsx"
    export_xlsform(questionnaire, path)
    _check_conversion(converter, path)


@pytest.mark.slow
@pytest.mark.parametrize("converter", sorted(CONVERTERS))
@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_corpus_form_exported_again_converts_and_passes_odk_validate(
    form: Form, converter: str, tmp_path: Path
) -> None:
    questionnaire = _imported(form, tmp_path)
    path = tmp_path / "exported" / f"{form.name}.xlsx"
    path.parent.mkdir()
    export_xlsform(questionnaire, path)
    _check_conversion(converter, path)


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_corpus_round_trip_keeps_the_content_hash(form: Form, tmp_path: Path) -> None:
    questionnaire = _imported(form, tmp_path)
    path = tmp_path / "again.xlsx"
    export_xlsform(questionnaire, path)
    again = import_xlsform(path)
    assert again.questionnaire is not None, [str(p) for p in again.problems]
    assert again.questionnaire == questionnaire
    assert again.questionnaire.content_hash == questionnaire.content_hash
    # An export says where it comes from: no warning about the spelling of its own columns.
    assert not [w for w in again.warnings if "read as" in w.message], again.warnings


@pytest.mark.parametrize("source", questionnaire_paths(), ids=lambda p: p.stem)
def test_bundled_round_trip_keeps_introduction_consent_and_bounds(source: Path, tmp_path: Path) -> None:
    questionnaire = load_questionnaire(source)
    path = tmp_path / "out.xlsx"
    export_xlsform(questionnaire, path)
    result = import_xlsform(path)
    assert result.questionnaire == questionnaire
    assert result.warnings == []
    assert questionnaire.introduction
    assert result.questionnaire is not None
    assert result.questionnaire.introduction == questionnaire.introduction
    # What ODK sees: the introduction and consent on the first page, bounds as constraints.
    document = ref.pyxform_json(path) if _has_pyxform() else None
    if document is not None:
        first = document["children"][0]
        assert first["name"] == "spi_welcome"
        assert [c["name"] for c in first["children"]][:1] == ["spi_introduction"]
        bounded = [i for i in questionnaire.items if i.minimum is not None]
        questions = {q.name: q for q in ref.pyxform_questions(document)}
        for item in bounded:
            constraint = questions[item.id].constraint
            assert constraint is not None
            assert f". >= {item.minimum:g}" in constraint


def _has_pyxform() -> bool:
    return importlib.util.find_spec("pyxform") is not None
