"""``flask questionnaire validate FILE`` and ``flask questionnaire load [FILE...]``.

Both take questionnaire YAML files and XLSForm workbooks (``.xlsx``, imported as ``python -m questionnaires
import-xlsform`` does).
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from questionnaires import QuestionnaireInvalid, load_questionnaire, validate_file
from questionnaires.bundled import questionnaire_paths
from questionnaires.model import Questionnaire
from questionnaires.problems import Problem
from questionnaires.xlsform import load_xlsform, read_xlsform
from survey_app.cli.common import transaction
from survey_app.dates import today
from survey_app.domain.questionnaires import store_questionnaire

questionnaire = AppGroup(
    "questionnaire", help="Validate questionnaire files and load them into the database."
)


@questionnaire.command("validate")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def validate(files: tuple[Path, ...]) -> None:
    """Check questionnaire or profile FILES (YAML or XLSForm .xlsx); print every problem with its place."""
    problems = [problem for path in files for problem in _problems(path)]
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) found")
    for path in files:
        click.echo(f"{path}: valid")


@questionnaire.command("load")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load(files: tuple[Path, ...]) -> None:
    """Store questionnaire FILES, YAML or XLSForm .xlsx (default: all bundled ones); a version already
    stored is left as it is. Nothing is stored unless every file is valid."""
    paths = list(files) or questionnaire_paths()
    loaded = []
    for path in paths:
        try:
            loaded.append(_load(path))
        except QuestionnaireInvalid as exc:
            raise click.ClickException(f"{path} is not a valid questionnaire:\n{exc}") from None
    with transaction():
        for q in loaded:
            version, created = store_questionnaire(q, today())
            state = "loaded" if created else "already loaded"
            click.echo(f"{q.id}@{q.version} ({q.group}) {version.content_hash[:19]}… {state}")


def _is_xlsform(path: Path) -> bool:
    return path.suffix.lower() in (".xlsx", ".xlsm")


def _problems(path: Path) -> list[Problem]:
    return read_xlsform(path)[1] if _is_xlsform(path) else validate_file(path)


def _load(path: Path) -> Questionnaire:
    return load_xlsform(path) if _is_xlsform(path) else load_questionnaire(path)
