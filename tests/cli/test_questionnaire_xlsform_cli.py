"""``flask questionnaire validate|load`` with XLSForm: --language, --skip-refused, warnings printed."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import QuestionnaireVersion
from tests.questionnaires.xlsform_corpus import BY_NAME


def _versions() -> int:
    return int(db.session.scalar(select(func.count()).select_from(QuestionnaireVersion)) or 0)


def test_language_is_required_for_a_form_without_language_columns(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = BY_NAME["no_language_suffix"].build(tmp_path)
    refused = runner.invoke(args=["questionnaire", "load", str(path)])
    assert refused.exit_code != 0
    assert "do not say which language" in refused.output
    assert _versions() == 0
    loaded = runner.invoke(args=["questionnaire", "load", "--language", "id", str(path)])
    assert loaded.exit_code == 0, loaded.output
    assert "no_language_suffix@1 (external)" in loaded.output
    assert "warning: " in loaded.output
    assert "no spi_group in settings" in loaded.output


def test_refused_rows_need_skip_refused(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = BY_NAME["repeat_refused"].build(tmp_path)
    checked = runner.invoke(args=["questionnaire", "validate", str(path)])
    assert checked.exit_code != 0
    assert "survey!A3 (type): a repeat is refused" in checked.output
    assert "--skip-refused imports the rest" in checked.output
    loaded = runner.invoke(args=["questionnaire", "load", "--skip-refused", str(path)])
    assert loaded.exit_code == 0, loaded.output
    assert "warning: " in loaded.output
    assert "left out (the whole repeat is left out)" in loaded.output
    assert _versions() == 1


def test_csv_beside_the_workbook_is_its_attachment(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = BY_NAME["select_from_file"].build(tmp_path)
    loaded = runner.invoke(args=["questionnaire", "load", str(path)])
    assert loaded.exit_code == 0, loaded.output
    (tmp_path / "units.csv").unlink()
    checked = runner.invoke(args=["questionnaire", "validate", str(path)])
    assert checked.exit_code != 0
    assert "'units.csv' is not attached" in checked.output
