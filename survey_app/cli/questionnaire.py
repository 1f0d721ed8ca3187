"""``flask questionnaire validate FILE`` and ``flask questionnaire load [FILE...]``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from questionnaires import QuestionnaireInvalid, load_questionnaire, validate_file
from questionnaires.bundled import questionnaire_paths
from survey_app.cli.common import transaction
from survey_app.dates import today
from survey_app.operations import store_questionnaire

questionnaire = AppGroup(
    "questionnaire", help="Validate questionnaire files and load them into the database."
)


@questionnaire.command("validate")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def validate(files: tuple[Path, ...]) -> None:
    """Check questionnaire or profile FILES; print every problem with its line and column."""
    problems = [problem for path in files for problem in validate_file(path)]
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) found")
    for path in files:
        click.echo(f"{path}: valid")


@questionnaire.command("load")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load(files: tuple[Path, ...]) -> None:
    """Store questionnaire FILES (default: all bundled ones); a version already stored is left as it is."""
    paths = list(files) or questionnaire_paths()
    loaded = []
    for path in paths:
        try:
            loaded.append(load_questionnaire(path))
        except QuestionnaireInvalid as exc:
            raise click.ClickException(f"{path} is not a valid questionnaire:\n{exc}") from None
    with transaction():
        for q in loaded:
            version, created = store_questionnaire(q, today())
            state = "loaded" if created else "already loaded"
            click.echo(f"{q.id}@{q.version} ({q.group}) {version.content_hash[:19]}… {state}")
