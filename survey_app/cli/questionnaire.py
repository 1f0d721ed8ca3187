"""``flask questionnaire validate FILE`` and ``flask questionnaire load [FILE...]``.

Both take questionnaire YAML files and XLSForm workbooks (``.xlsx``, imported as ``python -m questionnaires
import-xlsform`` does): ``--language`` names the language of a form whose columns have no language suffix,
``--skip-refused`` imports a form without its refused rows (locations, media, repeats...). The import's
warnings are printed on standard error; the CSV files beside a workbook are its attachments
(``select_one_from_file``).
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from questionnaires import QuestionnaireInvalid, load_questionnaire, validate_file
from questionnaires.bundled import questionnaire_paths
from questionnaires.model import Questionnaire
from questionnaires.problems import Problem
from questionnaires.xlsform import ImportOptions, attachments_beside, import_xlsform
from survey_app.cli.common import transaction
from survey_app.dates import today
from survey_app.domain.questionnaires import store_questionnaire

questionnaire = AppGroup(
    "questionnaire", help="Validate questionnaire files and load them into the database."
)


_LANGUAGE = click.option(
    "--language",
    metavar="CODE",
    help="XLSForm: the language (id, en...) of columns without a language suffix (label, hint...).",
)
_SKIP_REFUSED = click.option(
    "--skip-refused",
    is_flag=True,
    help="XLSForm: import without the refused rows (locations, media, repeats...); each is reported.",
)


@questionnaire.command("validate")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@_LANGUAGE
@_SKIP_REFUSED
def validate(files: tuple[Path, ...], language: str | None, skip_refused: bool) -> None:
    """Check questionnaire or profile FILES (YAML or XLSForm .xlsx); print every problem with its place."""
    problems = [problem for path in files for problem in _problems(path, language, skip_refused)]
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) found")
    for path in files:
        click.echo(f"{path}: valid")


@questionnaire.command("load")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_LANGUAGE
@_SKIP_REFUSED
def load(files: tuple[Path, ...], language: str | None, skip_refused: bool) -> None:
    """Store questionnaire FILES, YAML or XLSForm .xlsx (default: all bundled ones); a version already
    stored is left as it is. Nothing is stored unless every file is valid."""
    paths = list(files) or questionnaire_paths()
    loaded = []
    for path in paths:
        try:
            loaded.append(_load(path, language, skip_refused))
        except QuestionnaireInvalid as exc:
            raise click.ClickException(f"{path} is not a valid questionnaire:\n{exc}") from None
    with transaction():
        for q in loaded:
            version, created = store_questionnaire(q, today())
            state = "loaded" if created else "already loaded"
            click.echo(f"{q.id}@{q.version} ({q.group}) {version.content_hash[:19]}… {state}")


def _is_xlsform(path: Path) -> bool:
    return path.suffix.lower() in (".xlsx", ".xlsm")


def _import(
    path: Path, language: str | None, skip_refused: bool
) -> tuple[Questionnaire | None, list[Problem]]:
    options = ImportOptions(
        language=language, skip_refused=skip_refused, attachments=attachments_beside(path)
    )
    result = import_xlsform(path, options)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if result.only_refused:
        click.echo(f"{path}: only refused rows stand in the way; --skip-refused imports the rest", err=True)
    return result.questionnaire, result.problems


def _problems(path: Path, language: str | None, skip_refused: bool) -> list[Problem]:
    return _import(path, language, skip_refused)[1] if _is_xlsform(path) else validate_file(path)


def _load(path: Path, language: str | None, skip_refused: bool) -> Questionnaire:
    if not _is_xlsform(path):
        return load_questionnaire(path)
    questionnaire, problems = _import(path, language, skip_refused)
    if questionnaire is None:
        raise QuestionnaireInvalid(problems or [Problem(str(path), 0, 0, "nothing to import")])
    return questionnaire
